import Foundation

/// What an exercise's rubric can check (`metric = "…"` in a `[check.NAME]` table) and what a run
/// measures, by their file names. Every metric but `decodeSpeedup` is computed (identical on
/// rerun and for any thread count); `decodeSpeedup` is timed.
public enum Metric: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable, Comparable, CustomStringConvertible {
    case pplRatio = "ppl_ratio"
    case meanKLD = "mean_kld"
    case sameTop = "same_top"
    case bitsPerWeight = "bits_per_weight"
    case blockBitsPerWeight = "block_bits_per_weight"
    case llama2_7bGB = "llama2_7b_gb"
    case outlierColumns = "outlier_columns"
    case decodeMBPerToken = "decode_mb_per_token"
    case decodeSpeedupEstimate = "decode_speedup_estimate"
    case decodeSpeedup = "decode_speedup"

    /// The file name.
    public var description: String { rawValue }

    public static func < (a: Metric, b: Metric) -> Bool { a.rawValue < b.rawValue }

    /// What it means, for reports and errors.
    public var label: String {
        switch self {
        case .pplRatio: "PPL(Q)/PPL(base)"
        case .meanKLD: "mean KL divergence"
        case .sameTop: "same top token"
        case .bitsPerWeight: "bits per weight, whole model"
        case .blockBitsPerWeight: "bits per weight, block matrices"
        case .llama2_7bGB: "same recipe on Llama-2-7B"
        case .outlierColumns: "LLM.int8() 16-bit columns"
        case .decodeMBPerToken: "weight MB read per decoded token"
        case .decodeSpeedupEstimate: "decode speed-up vs F16, bytes"
        case .decodeSpeedup: "decode speed-up vs F16, timed"
        }
    }

    /// Whether the value is timed (differs from run to run) rather than computed.
    public var isTimed: Bool { self == .decodeSpeedup }

    /// A value as reports print it ("n/a" when not finite).
    public func format(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        switch self {
        case .meanKLD: return String(format: "%.6f", value)
        case .pplRatio: return String(format: "%.4f", value)
        case .sameTop, .outlierColumns: return String(format: "%.2f%%", value)
        case .llama2_7bGB: return String(format: "%.2f GB", value)
        case .decodeMBPerToken: return String(format: "%.3f MB", value)
        case .decodeSpeedupEstimate, .decodeSpeedup: return String(format: "%.2f×", value)
        case .bitsPerWeight, .blockBitsPerWeight: return String(format: "%.3f", value)
        }
    }

    /// Every name, quoted and sorted, for messages.
    public static var quotedNames: String { allCases.map(\.rawValue).sorted().map { "\"\($0)\"" }.joined(separator: ", ") }
}
