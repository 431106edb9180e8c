import Testing

@testable import QuantCore
@testable import Quantizers

@Suite struct BlockDecodeSpeedTests {
    static func formats(_ recipe: QuantizationRecipe) -> [String] {
        BlockDecodeSpeed.formats(for: recipe, shape: .llama7B).formats.map(\.description)
    }

    @Test func aGGUFTypeRunsPackedOnEveryMatrix() {
        #expect(Self.formats(QuantizationRecipe(method: .ggml(.q8_0))) == Array(repeating: "Q8_0", count: 7))
        #expect(Self.formats(QuantizationRecipe(method: .ggml(.q4_K))) == Array(repeating: "Q4_K", count: 7))
        // F16 stays F16; BF16 and F32 run as F32 in QuantLab.
        #expect(Self.formats(QuantizationRecipe(method: .ggml(.f16))) == Array(repeating: "F16", count: 7))
        #expect(Self.formats(QuantizationRecipe(method: .ggml(.bf16))) == Array(repeating: "F32", count: 7))
        #expect(Self.formats(QuantizationRecipe(method: .keep)) == Array(repeating: "F16", count: 7))
    }

    /// llama-quantize's mixtures on Llama-2-7B: Q4_K_M gives attn_v and ffn_down Q6_K in 16 of
    /// the 32 layers (use_more_bits), a tie that goes to the larger format; Q3_K_M gives them
    /// Q5_K in the first two layers only, and attn_output Q4_K.
    @Test func mixturesTakeTheMajorityTypeOverTheLayers() {
        #expect(Self.formats(QuantizationRecipe(method: .ggmlPreset(.q4_K_M))) == ["Q4_K", "Q4_K", "Q6_K", "Q4_K", "Q4_K", "Q4_K", "Q6_K"])
        #expect(Self.formats(QuantizationRecipe(method: .ggmlPreset(.q3_K_M))) == ["Q3_K", "Q3_K", "Q4_K", "Q4_K", "Q3_K", "Q3_K", "Q4_K"])
        #expect(Self.formats(QuantizationRecipe(method: .ggmlPreset(.q5_K_M))) == ["Q5_K", "Q5_K", "Q6_K", "Q5_K", "Q5_K", "Q5_K", "Q6_K"])
    }

    @Test func overridesApplyByName() {
        let recipe = QuantizationRecipe(method: .ggml(.q4_0), overrides: [.init(pattern: "blk.*.ffn_down.weight", method: .ggml(.q8_0))])
        #expect(Self.formats(recipe) == ["Q4_0", "Q4_0", "Q4_0", "Q4_0", "Q4_0", "Q4_0", "Q8_0"])
        // An override on a minority of the layers does not decide the block's format.
        let few = QuantizationRecipe(method: .ggml(.q4_0), overrides: [.init(pattern: "blk.1*.attn_q.weight", method: .ggml(.q8_0))])
        #expect(Self.formats(few)[0] == "Q4_0")
    }

    @Test func methodsWithoutPackedKernelsAreTimedInF32AndSaySo() {
        let rtn = QuantizationRecipe(method: .rtn(RTNSettings(bits: 4, granularity: .group(size: 128))))
        let plan = BlockDecodeSpeed.formats(for: rtn, shape: .llama7B)
        #expect(plan.formats == Array(repeating: .f32, count: 7))
        #expect(
            plan.notes == [
                "RTN 4-bit sym g128 has no packed kernels in QuantLab yet: its weights are dequantized and multiplied in F32, so it was timed in F32."
            ])
    }

    @Test func aTinyTrialTimesTheRecipeAgainstF16() throws {
        let trial = BlockDecodeSpeed.Trial(shape: .tiny, policy: .init(minimumPairs: 3, maximumPairs: 4, halfWidth: 0.05))
        let s = try BlockDecodeSpeed.measure(QuantizationRecipe(method: .ggml(.q8_0)), trial: trial, threads: 2)
        let weights = DecodeBlock.Shape.tiny.weights
        #expect(s.block == "tiny 256/768" && s.threads == 1)
        #expect(s.formats == Array(repeating: "Q8_0", count: 7))
        #expect(s.baselineBytes == weights * 2 && s.bytes == weights / 32 * 34)
        #expect((3...4).contains(s.comparison.pairs) && s.comparison.lower <= s.comparison.upper && s.tokensPerSecond > 0)
    }
}
