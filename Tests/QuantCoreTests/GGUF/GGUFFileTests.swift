import Foundation
import TestSupport
import Testing

@testable import QuantCore

@Suite struct GGUFFileTests {
    @Test func typedAccessorsNameTheKey() throws {
        let file = try GGUFFile(path: "sample.gguf", bytes: try sampleWriter().serialize())
        #expect(try file.string("test.string") == "café ✓ 日本")
        #expect(try file.integer("test.u32", in: 0...Int64(UInt32.max)) == 4_000_000_000)
        #expect(throws: GGUFError(path: "sample.gguf", .missingKey("nope"))) { try file.string("nope") }
        #expect(throws: GGUFError(path: "sample.gguf", .wrongValueType(key: "test.bool", expected: "str", actual: "bool"))) { try file.string("test.bool") }
        #expect(throws: GGUFError(path: "sample.gguf", .badValue(key: "test.i32", expected: "0…2147483647", actual: "-2000000000"))) {
            try file.integer("test.i32")
        }
        #expect(throws: GGUFError(path: "sample.gguf", .badValue(key: "test.f32", expected: "a finite number", actual: "nan"))) { try file.float("test.f32") }
        #expect(throws: GGUFError(path: "sample.gguf", .wrongTensorShape(tensor: "a", expected: [4], actual: [3]))) { try file.floats("a", shape: [4]) }
    }

    func expectProblem(_ expected: GGUFError.Problem, _ make: () -> RawGGUF) {
        #expect(throws: GGUFError(path: "bad.gguf", expected)) { try make().open() }
    }

    @Test func headerProblems() {
        #expect(throws: GGUFError(path: "bad.gguf", .tooSmall(size: 3))) { try GGUFFile(path: "bad.gguf", bytes: [0x47, 0x47, 0x55]) }
        var notGGUF = [UInt8](repeating: 0, count: 32)
        notGGUF[0] = 0x7F
        notGGUF[1] = 0x45
        #expect(throws: GGUFError(path: "bad.gguf", .badMagic(found: [0x7F, 0x45, 0, 0]))) { try GGUFFile(path: "bad.gguf", bytes: notGGUF) }
        expectProblem(.unsupportedVersion(1)) { RawGGUF(version: 1, tensors: 0, keys: 0) }
        expectProblem(.unsupportedVersion(4)) { RawGGUF(version: 4, tensors: 0, keys: 0) }
        expectProblem(.countTooLarge(reading: "the metadata section", count: UInt64.max, limit: 0)) { RawGGUF(tensors: 0, keys: .max) }
        expectProblem(.countTooLarge(reading: "the tensor-info section", count: 1 << 40, limit: 0)) { RawGGUF(tensors: 1 << 40, keys: 0) }
    }

    @Test func metadataProblems() {
        expectProblem(.truncated(offset: 52, reading: "a metadata key")) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.w.u64(1 << 50)  // a key claiming a petabyte
            raw.w.bytes([UInt8](repeating: 0, count: 20))
            return raw
        }
        expectProblem(.invalidUTF8(reading: "a metadata key")) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.w.u64(2)
            raw.w.bytes([0xC3, 0x28])
            raw.w.u32(0)
            raw.w.u8(1)
            return raw
        }
        expectProblem(.unknownValueType(key: "k", raw: 13)) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.key("k", type: 13) { $0.u64(0) }
            return raw
        }
        expectProblem(.nestedArray(key: "k")) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.key("k", type: 9) {
                $0.u32(9)
                $0.u64(1)
                $0.u32(0)
                $0.u64(0)
            }
            return raw
        }
        expectProblem(.countTooLarge(reading: "array 'k'", count: 1 << 60, limit: 0)) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.key("k", type: 9) {
                $0.u32(8)
                $0.u64(1 << 60)
            }
            return raw
        }
        expectProblem(.duplicateKey("k")) {
            var raw = RawGGUF(tensors: 0, keys: 2)
            raw.key("k", type: 0) { $0.u8(1) }
            raw.key("k", type: 0) { $0.u8(2) }
            return raw
        }
        expectProblem(.badValue(key: "k", expected: "a bool (0 or 1)", actual: "2")) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.key("k", type: 7) { $0.u8(2) }
            return raw
        }
        expectProblem(.badAlignment(3)) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.key("general.alignment", type: 4) { $0.u32(3) }
            return raw
        }
        expectProblem(.badAlignment(0)) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.key("general.alignment", type: 4) { $0.u32(0) }
            return raw
        }
        expectProblem(.truncated(offset: 41, reading: "the value of 'k'")) {
            var raw = RawGGUF(tensors: 0, keys: 1)
            raw.key("k", type: 10) { $0.u32(0) }  // a u64 with only 4 bytes left
            return raw
        }
    }

    @Test func tensorProblems() {
        expectProblem(.badDimensionCount(tensor: "t", count: 5)) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [1, 1, 1, 1, 1], type: 0, offset: 0)
            raw.data(4)
            return raw
        }
        expectProblem(.badDimensionCount(tensor: "t", count: 0)) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [], type: 0, offset: 0)
            raw.data(4)
            return raw
        }
        expectProblem(.badShape(tensor: "t", shape: [1 << 32, 1 << 32])) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [1 << 32, 1 << 32], type: 0, offset: 0)
            raw.data(4)
            return raw
        }
        expectProblem(.badShape(tensor: "t", shape: [4, 0])) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [4, 0], type: 0, offset: 0)
            raw.data(4)
            return raw
        }
        expectProblem(.unknownTensorType(tensor: "t", raw: 4)) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [1], type: 4, offset: 0)  // Q4_2, removed from ggml
            raw.data(4)
            return raw
        }
        expectProblem(.shapeNotBlockMultiple(tensor: "t", rowLength: 33, blockSize: 32, type: "Q8_0")) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [33], type: 8, offset: 0)
            raw.data(68)
            return raw
        }
        expectProblem(.misalignedTensor(tensor: "t", offset: 4, alignment: 32)) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [1], type: 0, offset: 4)
            raw.data(64)
            return raw
        }
        expectProblem(.tensorOutOfFile(tensor: "t", offset: 0, bytes: 400, dataBytes: 100)) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [100], type: 0, offset: 0)
            raw.data(100)
            return raw
        }
        expectProblem(.tensorOutOfFile(tensor: "t", offset: UInt64.max & ~31, bytes: 4, dataBytes: 32)) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [1], type: 0, offset: UInt64.max & ~31)
            raw.data(32)
            return raw
        }
        expectProblem(.overlappingTensors("a", "b")) {
            var raw = RawGGUF(tensors: 2, keys: 0)
            raw.tensor("a", shape: [16], type: 0, offset: 0)
            raw.tensor("b", shape: [16], type: 0, offset: 32)
            raw.data(128)
            return raw
        }
        expectProblem(.duplicateTensor("a")) {
            var raw = RawGGUF(tensors: 2, keys: 0)
            raw.tensor("a", shape: [1], type: 0, offset: 0)
            raw.tensor("a", shape: [1], type: 0, offset: 32)
            raw.data(64)
            return raw
        }
        expectProblem(.truncated(offset: 57, reading: "the padding before the data section")) {
            var raw = RawGGUF(tensors: 1, keys: 0)
            raw.tensor("t", shape: [1], type: 0, offset: 0)
            return raw
        }
    }

    @Test func everyTruncationOfAValidFileFailsCleanly() throws {
        let bytes = try sampleWriter().serialize()
        for length in stride(from: 24, to: bytes.count, by: 7) {
            do {
                let file = try GGUFFile(path: "cut.gguf", bytes: Array(bytes.prefix(length)))
                // A cut inside the data section leaves a valid header only if every tensor still fits.
                for info in file.tensors { #expect(file.dataOffset + info.offset + info.byteCount <= length) }
            } catch {
                #expect(error.path == "cut.gguf")
            }
        }
    }
}

/// Hand-built headers for the malformed-file cases.
struct RawGGUF {
    var w = ByteWriter()

    init(version: UInt32 = 3, tensors: UInt64, keys: UInt64) {
        w.bytes(Array("GGUF".utf8))
        w.u32(version)
        w.u64(tensors)
        w.u64(keys)
    }

    mutating func key(_ name: String, type: UInt32, _ body: (inout ByteWriter) -> Void) {
        w.string(name)
        w.u32(type)
        body(&w)
    }

    mutating func tensor(_ name: String, shape: [UInt64], type: UInt32, offset: UInt64) {
        w.string(name)
        w.u32(UInt32(shape.count))
        shape.forEach { w.u64($0) }
        w.u32(type)
        w.u64(offset)
    }

    mutating func data(_ count: Int) {
        w.pad(to: 32)
        w.bytes([UInt8](repeating: 0, count: count))
    }

    func open() throws(GGUFError) -> GGUFFile { try GGUFFile(path: "bad.gguf", bytes: w.buffer) }
}
