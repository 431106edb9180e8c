import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// A small valid file: every metadata type, arrays, and three tensors of different types.
func sampleWriter(alignment: Int = 32) throws -> GGUFWriter {
    var writer = GGUFWriter(alignment: alignment)
    writer.set("general.architecture", .string("llama"))
    writer.set("test.u8", .uint8(200))
    writer.set("test.i8", .int8(-100))
    writer.set("test.u16", .uint16(60000))
    writer.set("test.i16", .int16(-30000))
    writer.set("test.u32", .uint32(4_000_000_000))
    writer.set("test.i32", .int32(-2_000_000_000))
    writer.set("test.u64", .uint64(UInt64.max))
    writer.set("test.i64", .int64(Int64.min))
    writer.set("test.f32", .float32(.nan))
    writer.set("test.f64", .float64(-0.0))
    writer.set("test.bool", .bool(true))
    writer.set("test.string", .string("café ✓ 日本"))
    writer.set("test.empty", .string(""))
    writer.set("test.strings", .array(.string(["a", "", "ü"])))
    writer.set("test.floats", .array(.float32([1.5, -2, .infinity])))
    writer.set("test.bools", .array(.bool([true, false])))
    writer.set("test.i64s", .array(.int64([1, -1])))
    writer.set("test.u8s", .array(.uint8([])))
    try writer.addTensor(name: "a", shape: [3], floats: [1, 2, 3])
    try writer.addTensor(name: "b", shape: [32, 2], type: .q8_0, bytes: [UInt8](repeating: 0, count: 68))
    try writer.addTensor(name: "c", shape: [2, 2, 1, 1], type: .f16, bytes: [0x00, 0x3C, 0x00, 0x40, 0x00, 0xC0, 0x00, 0x00])
    return writer
}

@Suite struct GGUFRoundTripTests {
    @Test func writeThenReadGivesIdenticalMetadataAndTensors() throws {
        let writer = try sampleWriter()
        let file = try GGUFFile(path: "sample.gguf", bytes: writer.serialize())
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.metadata.count == writer.metadata.count)
        for (written, read) in zip(writer.metadata, file.metadata) {
            #expect(written.key == read.key)
            #expect(written.value.isIdentical(to: read.value), "\(written.key)")
        }
        #expect(file.tensors.map(\.name) == ["a", "b", "c"])
        #expect(file.tensors.map(\.shape) == [[3], [32, 2], [2, 2, 1, 1]])
        #expect(file.tensors.map(\.type) == [.f32, .q8_0, .f16])
        // Offsets are aligned: a takes 12 bytes padded to 32, b 68 padded to 96.
        #expect(file.tensors.map(\.offset) == [0, 32, 128])
        #expect(file.dataOffset % 32 == 0)
        for (tensor, info) in zip(writer.tensors, file.tensors) {
            #expect(Array(file.data(of: info)) == tensor.bytes)
        }
        #expect(file.floats(of: file.tensor("c")!) == [1, 2, -2, 0])
        #expect(file.floats(of: file.tensor("a")!) == [1, 2, 3])
        // Serializing what was read gives the same bytes.
        var again = GGUFWriter()
        for (key, value) in file.metadata { again.set(key, value) }
        for info in file.tensors { try again.addTensor(name: info.name, shape: info.shape, type: info.type, bytes: Array(file.data(of: info))) }
        #expect(again.serialize() == writer.serialize())
    }

    @Test func customAlignmentIsRecordedAndHonoured() throws {
        let writer = try sampleWriter(alignment: 64)
        let file = try GGUFFile(path: "aligned.gguf", bytes: writer.serialize())
        #expect(file.alignment == 64)
        #expect(file.value("general.alignment") == .uint32(64))
        #expect(file.tensors.map(\.offset) == [0, 64, 192])
        #expect(file.dataOffset % 64 == 0)
    }

    @Test func writesAtomicallyAndMapsTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try sampleWriter()
        try writer.write(to: path)
        let file = try GGUFFile.open(path: path)
        #expect(file.fileSize == writer.serialize().count)
        #expect(file.floats(of: file.tensor("a")!) == [1, 2, 3])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).filter {
            $0.contains(".tmp-") && $0.contains((path as NSString).lastPathComponent)
        }
        #expect(leftovers.isEmpty)
    }

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

    @Test func writerRejectsInconsistentTensors() throws {
        var writer = GGUFWriter()
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "x", shape: [31], type: .q8_0, bytes: []) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "x", shape: [32], type: .q8_0, bytes: [UInt8](repeating: 0, count: 33)) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "x", shape: [0], type: .f32, bytes: []) }
        try writer.addTensor(name: "x", shape: [1], floats: [0])
        #expect(throws: GGUFError(path: "x", .duplicateTensor("x"))) { try writer.addTensor(name: "x", shape: [1], floats: [0]) }
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

@Suite struct GGUFMalformedFileTests {
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

    @Test func messagesNameWhatIsWrongAndWhatWasExpected() {
        let error = GGUFError(path: "m.gguf", .tensorOutOfFile(tensor: "blk.0.attn_q.weight", offset: 64, bytes: 1024, dataBytes: 512))
        #expect(error.description == "m.gguf: tensor 'blk.0.attn_q.weight' needs bytes 64..<1088 of the data section, which has 512 bytes")
        #expect(GGUFError(path: "m.gguf", .badMagic(found: [0x50, 0x4B, 3, 4])).description.contains("50 4B 03 04"))
    }
}

@Suite struct GGUFFuzzTests {
    /// Random byte mutations of a valid model file: opening and loading either succeed or throw
    /// a typed error; nothing traps, hangs or allocates without bound.
    @Test func mutatedModelFilesNeverCrash() throws {
        let original = try TinyModel.gguf(weights: TinyModel.weights()).serialize()
        let iterations = Int(ProcessInfo.processInfo.environment["QUANTLAB_FUZZ_ITERATIONS"] ?? "") ?? 400
        var random = SeededRandom(state: UInt64(ProcessInfo.processInfo.environment["QUANTLAB_FUZZ_SEED"] ?? "") ?? 1)
        var opened = 0
        var loaded = 0
        let headerEnd = 1400  // mutations land in the header and tensor infos, where the checks are
        for _ in 0..<iterations {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(headerEnd))
                switch random.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[position] ^= 1 << UInt8(random.next() % 8)
                default: bytes[position] = [0x00, 0xFF, 0x7F, 0x80][Int(random.next() % 4)]
                }
            }
            if random.next() % 8 == 0 { bytes.removeLast(Int(random.next() % UInt64(bytes.count / 2))) }
            guard let file = try? GGUFFile(path: "fuzz.gguf", bytes: bytes) else { continue }
            opened += 1
            if let model = try? LlamaModel(file: file) {
                loaded += 1
                var cache = model.makeCache(capacity: 4)
                _ = try? model.forward([0, 1], cache: &cache)
            }
        }
        // The mutations are mild enough that some files still open and load.
        #expect(opened > 0)
        #expect(loaded > 0)
    }
}
