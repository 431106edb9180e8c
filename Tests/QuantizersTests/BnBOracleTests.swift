import Digests
import Foundation
import Testing

@testable import QuantCore
@testable import Quantizers

/// Our bitsandbytes bytes against bitsandbytes' own (Fixtures/bnb4bit.json, written by
/// scripts/dev/gen-bnb-fixtures.py from bitsandbytes 0.50 on the CPU).
@Suite struct BnBOracleTests {
    struct Stored: Decodable {
        var bytes: Int
        var sha256: String
        var hex: String?

        func matches(_ data: [UInt8]) -> Bool {
            data.count == bytes && SHA256.hex(data) == sha256 && (hex.map { $0 == Self.hex(data) } ?? true)
        }

        /// Why `data` is not these bytes, short enough for a test message (nil when it is).
        func mismatch(_ data: [UInt8]) -> String? {
            guard !matches(data) else { return nil }
            guard data.count == bytes else { return "\(data.count) bytes, expected \(bytes)" }
            guard let hex else { return "SHA-256 differs" }
            let expected = BnBOracleTests.bytes(hex)
            let differing = data.indices.filter { data[$0] != expected[$0] }
            let first = differing[0]
            return "\(differing.count) bytes differ, the first at \(first): \(data[first]) instead of \(expected[first])"
        }

        static func hex(_ data: [UInt8]) -> String { data.map { String(format: "%02x", $0) }.joined() }
    }

    struct Case: Decodable, CustomTestStringConvertible {
        var rows: Int
        var columns: Int
        var blocksize: Int
        var quantType: String
        var doubleQuant: Bool
        var seed: UInt64
        var kind: String
        var parts: [Stored]
        var values: Stored

        var testDescription: String { "\(rows)×\(columns) \(quantType) b\(blocksize)\(doubleQuant ? " DQ" : "")" }
        var settings: BnB4BitSettings {
            BnB4BitSettings(quantType: BnB4BitSettings.QuantType(rawValue: quantType)!, blocksize: blocksize, doubleQuant: doubleQuant)
        }
    }

    struct Int8Case: Decodable {
        var rows: Int
        var columns: Int
        var seed: UInt64?
        var kind: String?
        var input: [Float]?
        var codes: Stored
        var rowStats: Stored
    }

    struct Fixture: Decodable {
        var tables: [String: String]
        var cases: [Case]
        var int8: [Int8Case]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/bnb4bit.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    /// The generator's inputs, float32 operation for operation: w = u·u·u · 2^(r mod 5 − 2), ×16
    /// at every 61st flat index, rows with r mod 11 = 10 zero ("cubic"); or all 0.5 ("constant").
    static func weights(rows: Int, columns: Int, seed: UInt64, kind: String) -> [Float] {
        if kind == "constant" { return [Float](repeating: 0.5, count: rows * columns) }
        var generator = Weights(state: seed)
        return (0..<(rows * columns)).map { i in
            let u = generator.next()
            let r = i / columns
            var w = u * u * u * Float(sign: .plus, exponent: r % 5 - 2, significand: 1)
            if i % 61 == 0 { w *= 16 }
            return r % 11 == 10 ? 0 : w
        }
    }

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }

    @Test func codeTablesAreBitsandbytesBitForBit() {
        for (name, table) in [("nf4", BnB4Bit.nf4), ("fp4", BnB4Bit.fp4), ("dynamic", BnB4Bit.dynamicMap)] {
            let expected = Packing.floats(Self.bytes(Self.fixture.tables[name]!))
            let differing = table.indices.filter { $0 < expected.count && table[$0].bitPattern != expected[$0].bitPattern }
            #expect(table.count == expected.count && differing.isEmpty, "\(name): entries \(differing) differ")
        }
    }

    @Test(arguments: fixture.cases)
    func bytesEqualBitsandbytes(_ c: Case) throws {
        let w = Self.weights(rows: c.rows, columns: c.columns, seed: c.seed, kind: c.kind)
        let q = try BnB4Bit.quantize(w, rows: c.rows, columns: c.columns, name: "w", settings: c.settings)
        #expect(q.parts.count == c.parts.count)
        for (part, expected) in zip(q.parts, c.parts) {
            let mismatch = expected.mismatch(part.data ?? [])
            #expect(mismatch == nil, "\(part.name): \(mismatch ?? "")")
        }
        let values = c.values.mismatch(Packing.float32(q.values))
        #expect(values == nil, "dequantized values: \(values ?? "")")
        let decoded = try BnB4Bit.dequantize(q.parts, rows: c.rows, columns: c.columns, settings: c.settings)
        #expect(bitPatterns(decoded) == bitPatterns(q.values), "values decoded from the bytes")
    }

    /// LLM.int8() weights: the engine's per-row int8 codes against `int8_vectorwise_quant`, which
    /// rounds x·(127/absmax) half to even, as the engine does, ties included.
    @Test func int8RowCodesEqualBitsandbytes() throws {
        for c in Self.fixture.int8 {
            let w = c.input ?? Self.weights(rows: c.rows, columns: c.columns, seed: c.seed!, kind: c.kind!)
            let matrix = Int8Matrix(w, rows: c.rows, columns: c.columns, perRow: true)
            let codes = matrix.codes.map { UInt8(bitPattern: Int8($0)) }
            let absmax = (0..<c.rows).map { r in w[(r * c.columns)..<((r + 1) * c.columns)].reduce(Float(0)) { max($0, abs($1)) } }
            #expect(c.rowStats.mismatch(Packing.float32(absmax)) == nil)
            let mismatch = c.codes.mismatch(codes)
            #expect(mismatch == nil, "\(c.rows)×\(c.columns)\(c.input == nil ? "" : " (ties)"): \(mismatch ?? "")")
        }
    }
}
