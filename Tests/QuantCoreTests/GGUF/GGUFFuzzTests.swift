import Foundation
import TestSupport
import Testing

@testable import QuantCore

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
