import Testing

@testable import Quantizers

@Suite struct MemoryProjectionTests {
    @Test func shapesHaveThePublishedParameterCounts() {
        // 6,738,415,616 and 68,976,648,192 parameters (Llama-2 7B and 70B, embedding and output
        // untied, norms included) — the counts the models' safetensors hold.
        #expect(ModelShape.llama2_7B.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } == 6_738_415_616)
        #expect(ModelShape.llama2_70B.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } == 68_976_648_192)
    }

    @Test func projectionsFollowTheStorageRules() {
        let shape = ModelShape.llama2_7B
        let norms = (2 * 32 + 1) * 4096
        let matrices = shape.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } - norms
        // Q4_0 everywhere (pure): 18 bytes per 32 weights, norms F32.
        let q4 = MemoryProjection.project(QuantizationRecipe(method: .ggml(.q4_0)), onto: shape)
        #expect(q4.bytes == matrices / 32 * 18 + norms * 4)
        // RTN 4-bit g128 on the blocks, embedding and output kept F16.
        let rtn = MemoryProjection.project(QuantizationRecipe(method: .rtn(RTNSettings(bits: 4, granularity: .group(size: 128)))), onto: shape)
        let blockMatrices = matrices - 2 * 32000 * 4096
        #expect(rtn.bytes == blockMatrices / 2 + blockMatrices / 128 * 2 + 2 * 32000 * 4096 * 2 + norms * 4)
        // NF4 with double quantization costs 4.127 bits on the block matrices (QLoRA).
        let nf4 = MemoryProjection.project(QuantizationRecipe(method: .bnb4bit(BnB4BitSettings(quantType: .nf4, doubleQuant: true))), onto: shape)
        let nf4BlockBits = Double((nf4.bytes - 2 * 32000 * 4096 * 2 - norms * 4) * 8) / Double(blockMatrices)
        // 4 + 8/64 + 32/(64 · 256) = 4.12695 bits (QLoRA rounds it to 4.127).
        #expect(abs(nf4BlockBits - 4.126953) < 0.00001)
        // Q4_K_M: Q4_K with Q6_K on output and on attn_v/ffn_down of 16 of the 32 layers.
        let q4km = MemoryProjection.project(QuantizationRecipe(method: .ggmlPreset(.q4_K_M)), onto: shape)
        let q6Layers = (0..<32).filter { LlamaQuantize.useMoreBits($0, 32) }.count
        let attnV = 4096 * 4096
        let ffnDown = 11008 * 4096
        let expected =
            (matrices - 32000 * 4096 - q6Layers * (attnV + ffnDown)) / 256 * 144
            + (32000 * 4096 + q6Layers * (attnV + ffnDown)) / 256 * 210 + norms * 4
        #expect(q6Layers == 16)
        #expect(q4km.bytes == expected)
    }
}
