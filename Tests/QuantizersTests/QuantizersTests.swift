import Foundation
import QuantCore
import Testing

@testable import Quantizers

/// Deterministic test weights (SplitMix64).
struct Weights {
    var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> Float { Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1 }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

func squaredError(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
}

@Suite struct RTNTests {
    @Test func handComputedSymmetricTensor() throws {
        // amax 1 → scale = FP16(1/7) = 0.142822265625; codes round(x/scale) half away from zero.
        let q = try RTN.quantize([-1, 0.5, 0.25, 0], rows: 1, columns: 4, name: "w", settings: RTNSettings(bits: 4, granularity: .tensor))
        let scale: Float = 0.142822265625
        #expect(q.values == [-7 * scale, 4 * scale, 2 * scale, 0])
        // 4 codes × 4 bits = 2 bytes, one FP16 scale = 2 bytes.
        #expect(q.parts.map(\.bytes) == [2, 2])
        #expect(q.bitsPerWeight == 8)
    }

    @Test func asymmetricKeepsZeroExact() throws {
        let q = try RTN.quantize([0.1, 0.2, 0, 0.9], rows: 1, columns: 4, name: "w", settings: RTNSettings(bits: 3, symmetric: false, granularity: .tensor))
        #expect(q.values[2] == 0)
        // range [0, 0.9] over 7 steps: scale FP16(0.9/7), zero point 0.
        let scale = Half.f16ToF32(Half.f32ToF16(0.9 / 7))
        #expect(q.values[3] == 7 * scale)
        #expect(q.parts.map(\.bytes) == [2, 2, 1])
    }

    @Test func storageIsExact() throws {
        var w = Weights(state: 3)
        let values = w.floats(64 * 192)
        let g64 = try RTN.quantize(values, rows: 64, columns: 192, name: "w", settings: RTNSettings(bits: 4, granularity: .group(size: 64)))
        // 4 bits per weight + one FP16 scale per 64 weights = 4.25 bits per weight.
        #expect(g64.bitsPerWeight == 4.25)
        let asym = try RTN.quantize(values, rows: 64, columns: 192, name: "w", settings: RTNSettings(bits: 3, symmetric: false, granularity: .channel))
        // codes 12288 × 3 bits = 4608 bytes; 64 FP16 scales = 128; 64 zero points × 3 bits = 24 bytes.
        #expect(asym.parts.map(\.bytes) == [4608, 128, 24])
    }

    @Test func errorFallsWithBitsAndFinerGroupsAndClipSearch() throws {
        var w = Weights(state: 9)
        var values = w.floats(32 * 256)
        values[5] = 12  // an outlier widens its group's range
        func error(_ s: RTNSettings) throws -> Double {
            squaredError(values, try RTN.quantize(values, rows: 32, columns: 256, name: "w", settings: s).values)
        }
        let e2 = try error(RTNSettings(bits: 2))
        let e4 = try error(RTNSettings(bits: 4))
        let e8 = try error(RTNSettings(bits: 8))
        #expect(e8 < e4 && e4 < e2)
        let perTensor = try error(RTNSettings(bits: 4, granularity: .tensor))
        let perChannel = try error(RTNSettings(bits: 4, granularity: .channel))
        let grouped = try error(RTNSettings(bits: 4, granularity: .group(size: 32)))
        #expect(grouped < perChannel && perChannel < perTensor)
        #expect(try error(RTNSettings(bits: 3, clipSearch: true)) <= (try error(RTNSettings(bits: 3))))
    }

    @Test func badSettingsNameTheSettingAndWhatIsAllowed() {
        let values = [Float](repeating: 0.5, count: 192)
        #expect(throws: QuantizerError.invalidSetting(key: "bits", value: "1", allowed: "2 to 8")) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 1))
        }
        #expect(throws: QuantizerError.invalidSetting(key: "bits", value: "9", allowed: "2 to 8")) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 9))
        }
        #expect(throws: QuantizerError.invalidSetting(key: "group_size", value: "0", allowed: "32 to 1024")) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 4, granularity: .group(size: 0)))
        }
        let notDividing = QuantizerError.groupDoesNotDivide(tensor: "blk.0.attn_q.weight", rowLength: 192, groupSize: 128, suggestions: [32, 64])
        #expect(throws: notDividing) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "blk.0.attn_q.weight", settings: RTNSettings(bits: 4, granularity: .group(size: 128)))
        }
        #expect(notDividing.description == "group_size 128 does not divide the rows of blk.0.attn_q.weight (192 weights each); group sizes that fit: 32, 64")
        var withNaN = values
        withNaN[3] = .nan
        #expect(throws: QuantizerError.nonFinite(tensor: "w", index: 3)) {
            try RTN.quantize(withNaN, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 4))
        }
    }
}

@Suite struct BnB4BitTests {
    @Test func codeTablesAreThePublishedOnes() {
        #expect(BnB4Bit.nf4.count == 16 && BnB4Bit.nf4 == BnB4Bit.nf4.sorted())
        #expect(BnB4Bit.nf4[0] == -1 && BnB4Bit.nf4[7] == 0 && BnB4Bit.nf4[15] == 1)
        #expect(BnB4Bit.nf4[8] == 0.07958029955625534 && BnB4Bit.nf4[1] == -0.6961928009986877)
        // FP4: bitsandbytes' [0, 0.0625, 8, 12, 4, 6, 2, 3, …] / 12.
        #expect(BnB4Bit.fp4[3] == 1 && BnB4Bit.fp4[2] == 8.0 / 12 && BnB4Bit.fp4[1] == 0.0625 / 12)
        #expect(BnB4Bit.fp4[11] == -1 && BnB4Bit.fp4[8] == 0)
    }

    @Test func dynamicMapHas256SortedValues() {
        let map = BnB4Bit.dynamicMap
        #expect(map.count == 256)
        #expect(zip(map, map.dropFirst()).allSatisfy { $0 < $1 })
        #expect(map.contains(0) && map.last == 1)
        #expect(map.filter { $0 < 0 }.count == 127)
        // The smallest magnitude: 10⁻⁶ × (0.1 + 1)/2 = 5.5e-7.
        #expect(abs(map[128] - 5.5e-7) < 1e-12)
    }

    @Test func handQuantizedNF4Block() throws {
        // absmax 2: scaled values 1, −0.5, 0.1, 0 → nearest NF4 entries 1, −0.5250…, 0.0795…, 0.
        let q = try BnB4Bit.quantize([2, -1, 0.2, 0] + [Float](repeating: 0, count: 60), rows: 1, columns: 64, name: "w", settings: BnB4BitSettings())
        let expected: [Float] = [2, -0.5250730514526367 * 2, 0.07958029955625534 * 2, 0]
        #expect(Array(q.values.prefix(4)) == expected)
        // 64 codes in 32 bytes and one FP32 absmax: 4.5 bits per weight.
        #expect(q.parts.map(\.bytes) == [32, 4])
        #expect(q.bitsPerWeight == 4.5)
    }

    @Test func doubleQuantizationCostsAbout4Point127BitsPerWeight() throws {
        var w = Weights(state: 21)
        let values = w.floats(256 * 256)
        let plain = try BnB4Bit.quantize(values, rows: 256, columns: 256, name: "w", settings: BnB4BitSettings())
        let dq = try BnB4Bit.quantize(values, rows: 256, columns: 256, name: "w", settings: BnB4BitSettings(doubleQuant: true))
        // 1024 blocks: 1024 one-byte codes, 4 FP32 second-level absmax, one FP32 offset.
        #expect(dq.parts.map(\.bytes) == [32768, 1024, 16, 4])
        #expect(abs(dq.bitsPerWeight - 4.1274) < 0.0001)
        #expect(plain.bitsPerWeight == 4.5)
        // The 8-bit absmax barely changes the weights.
        #expect(squaredError(values, dq.values) < squaredError(values, plain.values) * 1.05)
        let fp4 = try BnB4Bit.quantize(values, rows: 256, columns: 256, name: "w", settings: BnB4BitSettings(quantType: .fp4))
        // On uniform weights FP4's log-spaced levels lose to NF4's.
        #expect(squaredError(values, fp4.values) > squaredError(values, plain.values))
    }

    @Test func badBlocksizeIsRejected() {
        #expect(throws: QuantizerError.invalidSetting(key: "blocksize", value: "7", allowed: "32, 64, 128, 256, 512, 1024, 2048, 4096")) {
            try BnB4Bit.quantize([1], rows: 1, columns: 1, name: "w", settings: BnB4BitSettings(blocksize: 7))
        }
    }
}

@Suite struct ModelQuantizerTests {
    @Test func globPatterns() {
        #expect(QuantizationRecipe.matches("blk.*.ffn_down.weight", "blk.3.ffn_down.weight"))
        #expect(!QuantizationRecipe.matches("blk.*.ffn_down.weight", "blk.3.ffn_up.weight"))
        #expect(QuantizationRecipe.matches("*", "output.weight"))
        #expect(QuantizationRecipe.matches("out*", "output.weight"))
        #expect(!QuantizationRecipe.matches("out", "output.weight"))
        #expect(!QuantizationRecipe.matches(String(repeating: "*a", count: 40) + "b", String(repeating: "a", count: 60)))
    }

    @Test func recipeRulesAndDefaults() {
        let recipe = QuantizationRecipe(
            method: .rtn(RTNSettings(bits: 4)),
            overrides: [.init(pattern: "blk.0.*", method: .ggml(.q8_0)), .init(pattern: "output.weight", method: .ggml(.q8_0))])
        #expect(recipe.method(for: "blk.0.attn_q.weight") == .ggml(.q8_0))
        #expect(recipe.method(for: "blk.1.attn_q.weight") == .rtn(RTNSettings(bits: 4)))
        #expect(recipe.method(for: "token_embd.weight") == .keep)
        #expect(recipe.method(for: "output.weight") == .ggml(.q8_0))
    }

    /// The reference model under several recipes: memory is exact and divergence from the base
    /// grows as bits fall.
    @Test func referenceModelMemoryAndAccuracy() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try GGUFFile.open(path: root.appendingPathComponent(ReferenceModel.relativePath).path)
        let base = try LlamaModel(file: file)
        var tokens: [Int32] = [0]
        for i in 0..<31 { tokens.append(Int32((i * 37 + 11) % 1000 + 2)) }
        var cache = base.makeCache(capacity: 32)
        let baseLogits = try base.forward(tokens, cache: &cache, logitRows: 0..<32)
        func drift(_ recipe: QuantizationRecipe) throws -> (Double, MemoryReport) {
            let (model, report) = try ModelQuantizer.apply(recipe, to: file)
            var c = model.makeCache(capacity: 32)
            let logits = try model.forward(tokens, cache: &c, logitRows: 0..<32)
            return (squaredError(baseLogits, logits), report)
        }
        let (d8, r8) = try drift(QuantizationRecipe(method: .rtn(RTNSettings(bits: 8))))
        let (d4, r4) = try drift(QuantizationRecipe(method: .rtn(RTNSettings(bits: 4, granularity: .group(size: 64)))))
        let (d3, _) = try drift(QuantizationRecipe(method: .rtn(RTNSettings(bits: 3, granularity: .group(size: 64)))))
        let (dnf4, rnf4) = try drift(QuantizationRecipe(method: .bnb4bit(BnB4BitSettings())))
        #expect(d8 < d4 && d4 < d3)
        #expect(dnf4 > d8)
        // Block matrices: 4 × (36,864 + 12,288 + 12,288 + 36,864 + 3 × 98,304) = 1,572,864 weights.
        let blockRows = r4.rows.filter { $0.tensor.hasPrefix("blk.") && $0.elements > 192 }
        #expect(blockRows.reduce(0) { $0 + $1.elements } == 1_572_864)
        // RTN 4-bit g64: 1,572,864 × 4.25 / 8 = 835,584 bytes; NF4 b64: × 4.5 / 8 = 884,736 bytes.
        #expect(blockRows.reduce(0) { $0 + $1.bytes } == 835_584)
        #expect(rnf4.rows.filter { $0.tensor.hasPrefix("blk.") && $0.elements > 192 }.reduce(0) { $0 + $1.bytes } == 884_736)
        // Reports keep each part's size, not its bytes.
        #expect((r4.rows + rnf4.rows).allSatisfy { $0.parts.allSatisfy { $0.data == nil } })
        // Embedding, output and norms are kept in F32: 2 × 196,608 × 4 + norms.
        let kept = r8.rows.filter { !($0.tensor.hasPrefix("blk.") && $0.elements > 192) }.reduce(0) { $0 + $1.bytes }
        let embeddingAndOutput = 2 * 196_608 * 4
        let norms = (8 * 192 + 192) * 4
        #expect(kept == embeddingAndOutput + norms)
    }
}

@Suite struct LlamaQuantizeTests {
    struct Fixture: Decodable { var mixtures: [String: [String: String]] }

    @Test(arguments: LlamaQuantize.Preset.allCases)
    func mixtureTypesEqualLlamaQuantize(preset: LlamaQuantize.Preset) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fixture = try JSONDecoder().decode(
            Fixture.self, from: Data(contentsOf: root.appendingPathComponent("Tests/QuantCoreTests/Fixtures/quantize/kquants.json")))
        let expected = try #require(fixture.mixtures[preset.rawValue.uppercased().replacingOccurrences(of: "_K_", with: "_K_")])
        let file = try GGUFFile.open(path: root.appendingPathComponent(ReferenceModel.relativePath).path)
        let types = LlamaQuantize.types(for: file, preset: preset)
        #expect(types.count == expected.count)
        for (name, type) in types { #expect(expected[name] == type.description, "\(name)") }
    }

    @Test func useMoreBitsPicksFirstAndLastEighthAndEveryThirdLayer() {
        let chosen = (0..<32).filter { LlamaQuantize.useMoreBits($0, 32) }
        #expect(chosen == [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31])
        #expect((0..<4).filter { LlamaQuantize.useMoreBits($0, 4) } == [2, 3])
    }
}

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

    @Test func the70BRuleGivesTheRemainingAttnVQ5K() {
        let types = LlamaQuantize.types(for: ModelShape.llama2_70B.tensors, preset: .q4_K_M)
        let attnV = (0..<80).map { types["blk.\($0).attn_v.weight"]! }
        #expect(attnV.filter { $0 == .q6_K }.count == (0..<80).filter { LlamaQuantize.useMoreBits($0, 80) }.count)
        #expect(attnV.allSatisfy { $0 == .q6_K || $0 == .q5_K })
        #expect(types["blk.0.attn_q.weight"] == .q4_K && types["output.weight"] == .q6_K)
    }
}
