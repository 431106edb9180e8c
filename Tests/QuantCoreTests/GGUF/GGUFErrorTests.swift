import Testing

@testable import QuantCore

@Suite struct GGUFErrorTests {
    @Test func messagesNameWhatIsWrongAndWhatWasExpected() {
        let error = GGUFError(path: "m.gguf", .tensorOutOfFile(tensor: "blk.0.attn_q.weight", offset: 64, bytes: 1024, dataBytes: 512))
        #expect(error.description == "m.gguf: tensor 'blk.0.attn_q.weight' needs bytes 64..<1088 of the data section, which has 512 bytes")
        #expect(GGUFError(path: "m.gguf", .badMagic(found: [0x50, 0x4B, 3, 4])).description.contains("50 4B 03 04"))
    }
}
