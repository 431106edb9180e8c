import Testing

@testable import QuantCore

@Suite struct TensorTypeTests {
    /// GGUF files store ggml's numbers (`enum ggml_type`); the gaps are types ggml removed or
    /// QuantLab does not read (4 and 5 were Q4_2 and Q4_3).
    @Test func numbersAreGgmls() {
        let numbers: [(TensorType, UInt32)] = [
            (.f32, 0), (.f16, 1), (.q4_0, 2), (.q4_1, 3), (.q5_0, 6), (.q5_1, 7), (.q8_0, 8), (.q8_1, 9), (.q2_K, 10), (.q3_K, 11),
            (.q4_K, 12), (.q5_K, 13), (.q6_K, 14), (.q8_K, 15), (.iq4_NL, 20), (.bf16, 30),
        ]
        #expect(TensorType.allCases.count == numbers.count)
        for (type, number) in numbers { #expect(type.rawValue == number && TensorType(rawValue: number) == type) }
        for gap: UInt32 in [4, 5, 16, 19, 21, 29, 31] { #expect(TensorType(rawValue: gap) == nil, "\(gap)") }
    }

    /// Names as ggml prints them, and looked up whatever their case.
    @Test func namesAreGgmlsAndFoundInAnyCase() {
        #expect(
            TensorType.allCases.map(\.description) == [
                "F32", "F16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ4_NL", "BF16",
            ])
        #expect(TensorType(name: "q4_k") == .q4_K && TensorType(name: "Q4_K") == .q4_K && TensorType(name: "iq4_nl") == .iq4_NL)
        #expect(TensorType(name: "bf16") == .bf16 && TensorType(name: "F32") == .f32)
        for unknown in ["q4_k_m", "q7_k", "fp16", "", "q4 0"] { #expect(TensorType(name: unknown) == nil, "\(unknown)") }
    }
}
