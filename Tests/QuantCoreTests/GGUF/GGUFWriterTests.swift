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

@Suite struct GGUFWriterTests {
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

    @Test func writerRejectsInconsistentTensors() throws {
        var writer = GGUFWriter()
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "x", shape: [31], type: .q8_0, bytes: []) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "x", shape: [32], type: .q8_0, bytes: [UInt8](repeating: 0, count: 33)) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "x", shape: [0], type: .f32, bytes: []) }
        try writer.addTensor(name: "x", shape: [1], floats: [0])
        #expect(throws: GGUFError(path: "x", .duplicateTensor("x"))) { try writer.addTensor(name: "x", shape: [1], floats: [0]) }
    }

    /// A zero-filled tensor reads back as zeros, takes its full size in the file, and is a hole
    /// on disk; the streamed file equals the in-memory image byte for byte.
    @Test func zeroTensorsAreHolesThatReadAsZeros() throws {
        var writer = try sampleWriter()
        try writer.addZeroTensor(name: "big", shape: [4096, 512], type: .q8_0)  // 2,228,224 bytes
        try writer.addTensor(name: "after", shape: [3], floats: [1, 2, 3])
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("sparse.gguf").path
        try writer.write(to: path)
        let image = writer.serialize()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(image))
        let file = try GGUFFile.open(path: path)
        let big = try #require(file.tensor("big"))
        #expect(big.byteCount == 4096 * 512 / 32 * 34)
        #expect(file.data(of: big).allSatisfy { $0 == 0 })
        #expect(file.floats(of: try #require(file.tensor("after"))) == [1, 2, 3])
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(Int(info.st_size) == image.count)
        #expect(Int(info.st_blocks) * 512 < image.count - 2_000_000, "\(info.st_blocks) blocks allocated")
        // The pages of a tensor can be dropped and read again from the file.
        file.releasePages(of: big)
        #expect(file.data(of: big).allSatisfy { $0 == 0 })
    }
}
