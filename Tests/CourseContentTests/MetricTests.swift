import Foundation
import TestSupport
import Testing

@testable import CourseContent

@Suite struct MetricTests {
    /// The names a rubric's `metric = "…"` uses, one per case.
    static let names: [(String, Metric)] = [
        ("ppl_ratio", .pplRatio), ("mean_kld", .meanKLD), ("same_top", .sameTop), ("bits_per_weight", .bitsPerWeight),
        ("block_bits_per_weight", .blockBitsPerWeight), ("llama2_7b_gb", .llama2_7bGB), ("outlier_columns", .outlierColumns),
        ("decode_mb_per_token", .decodeMBPerToken), ("decode_speedup_estimate", .decodeSpeedupEstimate), ("decode_speedup", .decodeSpeedup),
    ]

    @Test func everyFileNameNamesOneMetric() {
        #expect(Metric.allCases.count == Self.names.count)
        for (name, metric) in Self.names {
            #expect(Metric(rawValue: name) == metric)
            #expect(metric.description == name)
        }
        // Names are exact: no other case, spelling or abbreviation.
        for wrong in ["PPL_RATIO", "ppl", "kld", "mean-kld", " mean_kld", ""] { #expect(Metric(rawValue: wrong) == nil, "\(wrong)") }
    }

    /// Each name in a rubric's TOML becomes its metric.
    @Test func aRubricDecodesEveryMetricName() throws {
        for (name, metric) in Self.names {
            let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec.replacingOccurrences(of: "\"same_top\"", with: "\"\(name)\""))
            defer { try? FileManager.default.removeItem(at: root) }
            let exercise = try Exercise.load(directory: directory)
            #expect(exercise.checks.map(\.metric) == [.blockBitsPerWeight, metric])
        }
    }

    /// An unknown name is refused with every valid name, sorted and quoted.
    @Test func anUnknownNameListsTheValidOnes() throws {
        #expect(
            Metric.quotedNames
                == "\"bits_per_weight\", \"block_bits_per_weight\", \"decode_mb_per_token\", \"decode_speedup\", \"decode_speedup_estimate\", \"llama2_7b_gb\", \"mean_kld\", \"outlier_columns\", \"ppl_ratio\", \"same_top\""
        )
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec.replacingOccurrences(of: "\"same_top\"", with: "\"kld\""))
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(
            throws: CourseProblem(file: directory.path + "/exercise.toml", line: 15, message: "[check.first] `metric` must be one of \(Metric.quotedNames)")
        ) {
            try Exercise.load(directory: directory)
        }
    }

    /// In JSON (gradebooks, caches) metrics are keyed by their names, and read back.
    @Test func jsonUsesTheNames() throws {
        #expect(try JSON.encode([Metric.meanKLD: 0.5, .sameTop: 97.25]) == "{\n  \"mean_kld\" : 0.5,\n  \"same_top\" : 97.25\n}")
        let decoded = try JSON.decoder.decode([Metric: Double].self, from: Data("{\"decode_speedup\": 1.5, \"ppl_ratio\": 1.01}".utf8))
        #expect(decoded == [.decodeSpeedup: 1.5, .pplRatio: 1.01])
        #expect(throws: DecodingError.self) { try JSON.decoder.decode([Metric].self, from: Data("[\"speedup\"]".utf8)) }
    }

    @Test func valuesAreFormattedPerMetric() {
        #expect(Metric.meanKLD.format(0.012_345_6) == "0.012346")
        #expect(Metric.pplRatio.format(1.234_56) == "1.2346")
        #expect(Metric.sameTop.format(95.5) == "95.50%")
        #expect(Metric.outlierColumns.format(0.25) == "0.25%")
        #expect(Metric.llama2_7bGB.format(3.5) == "3.50 GB")
        #expect(Metric.decodeMBPerToken.format(12.3456) == "12.346 MB")
        #expect(Metric.decodeSpeedupEstimate.format(1.5) == "1.50×")
        #expect(Metric.decodeSpeedup.format(2) == "2.00×")
        #expect(Metric.bitsPerWeight.format(4.25) == "4.250")
        #expect(Metric.blockBitsPerWeight.format(4.127) == "4.127")
        for value in [Double.nan, .infinity, -.infinity] { #expect(Metric.meanKLD.format(value) == "n/a") }
    }

    @Test func onlyTheDecodeSpeedupIsTimedAndMetricsSortByName() {
        #expect(Metric.allCases.filter(\.isTimed) == [.decodeSpeedup])
        #expect(
            [Metric.sameTop, .meanKLD, .bitsPerWeight, .decodeSpeedupEstimate, .decodeSpeedup].sorted() == [
                .bitsPerWeight, .decodeSpeedup, .decodeSpeedupEstimate, .meanKLD, .sameTop,
            ])
    }
}
