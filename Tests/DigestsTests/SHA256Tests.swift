import Testing

@testable import Digests

@Suite struct SHA256Tests {
    @Test func knownDigests() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func streamingInPiecesEqualsOneUpdate() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256()
        for piece in stride(from: 0, to: 1000, by: 37) { hasher.update(bytes[piece..<min(1000, piece + 37)]) }
        #expect(SHA256.hexString(hasher.finalize()) == SHA256.hex(bytes))
    }

    /// FIPS 180-2's other two examples: the 896-bit message and a million "a"s.
    @Test func longMessageVectors() {
        #expect(
            SHA256.hex(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8))
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries: 55 bytes still fit the length in their block, 56
    /// to 63 need a second one, 64 fill one exactly (digests from Python's hashlib).
    @Test(arguments: [
        (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
    ])
    func paddingBoundaries(length: Int, digest: String) {
        let bytes = [UInt8](repeating: 0x61, count: length)
        #expect(SHA256.hex(bytes) == digest)
        #expect(bytes.withUnsafeBytes { SHA256.hex($0) } == digest)
        // Fed one byte at a time, the pending block fills and empties at every length.
        var hasher = SHA256()
        for byte in bytes { hasher.update([byte]) }
        #expect(SHA256.hexString(hasher.finalize()) == digest)
    }

    @Test func theDigestIs32BytesBigEndian() {
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        let digest = hasher.finalize()
        #expect(digest.count == 32)
        #expect(Array(digest.prefix(4)) == [0xba, 0x78, 0x16, 0xbf] && Array(digest.suffix(4)) == [0xf2, 0x00, 0x15, 0xad])
        #expect(SHA256.hexString([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
    }
}
