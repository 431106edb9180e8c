import Foundation
import Testing

@testable import CourseContent

@Suite struct JSONTests {
    struct Sample: Codable, Equatable {
        var zeta: Double
        var alpha: String
        var missing: Int?
    }

    /// Pretty output: two-space indent, keys sorted, slashes left alone, nil left out.
    @Test func prettyOutputSortsKeysAndKeepsSlashes() throws {
        #expect(try JSON.encode(Sample(zeta: 1.5, alpha: "lessons/01-a.md")) == "{\n  \"alpha\" : \"lessons/01-a.md\",\n  \"zeta\" : 1.5\n}")
    }

    @Test func compactOutputIsOneLine() throws {
        let data = try JSON.compact.encode(Sample(zeta: -2, alpha: "a/b", missing: 3))
        #expect(String(decoding: data, as: UTF8.self) == "{\"alpha\":\"a/b\",\"missing\":3,\"zeta\":-2}")
    }

    /// Standard JSON has no NaN or infinity: they are written as strings, and read back.
    @Test func nonFiniteNumbersAreStringsBothWays() throws {
        #expect(try JSON.encode([Double.nan, .infinity, -.infinity, 0.25]) == "[\n  \"nan\",\n  \"inf\",\n  \"-inf\",\n  0.25\n]")
        let compact = String(decoding: try JSON.compact.encode(Sample(zeta: .nan, alpha: "")), as: UTF8.self)
        #expect(compact == "{\"alpha\":\"\",\"zeta\":\"nan\"}")
        let values = try JSON.decoder.decode([Double].self, from: Data("[\"nan\", \"inf\", \"-inf\", 1e3]".utf8))
        #expect(values[0].isNaN && values[1] == .infinity && values[2] == -.infinity && values[3] == 1000)
        // What either style writes, the decoder reads back.
        let sample = Sample(zeta: -.infinity, alpha: "x", missing: 7)
        #expect(try JSON.decoder.decode(Sample.self, from: Data(try JSON.encode(sample).utf8)) == sample)
        #expect(try JSON.decoder.decode(Sample.self, from: JSON.compact.encode(sample)) == sample)
    }
}
