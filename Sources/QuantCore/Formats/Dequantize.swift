/// Scalar reference dequantizers, one per tensor type, following ggml's `dequantize_row_*`
/// (ggml-quants.c) element for element and operation for operation, so results are bit-identical
/// to ggml's scalar code. Each reads its blocks from any alignment (little-endian fields) and
/// writes `destination.count` floats; `source` must hold exactly the blocks for them.
///
/// Swift never contracts `a * b + c` into a fused multiply-add without being asked, so the
/// rounding steps are the ones written here.
public enum Dequantize {
    // MARK: Plain floats

    public static func f32(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 1, bytesPerBlock: 4)
        for i in 0..<blocks {
            destination[i] = Float(bitPattern: le32(source, i * 4))
        }
    }

    public static func f16(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 1, bytesPerBlock: 2)
        for i in 0..<blocks {
            destination[i] = half(source, i * 2)
        }
    }

    public static func bf16(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 1, bytesPerBlock: 2)
        for i in 0..<blocks {
            destination[i] = Half.bf16ToF32(le16(source, i * 2))
        }
    }

    // MARK: 32-element blocks

    /// block_q4_0 { half d; uint8 qs[16] }: y[j] = (nibble − 8)·d, low nibbles first.
    public static func q4_0(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 32, bytesPerBlock: 18)
        for i in 0..<blocks {
            let b = i * 18
            let y = i * 32
            let d = half(source, b)
            for j in 0..<16 {
                let q = source[b + 2 + j]
                let x0 = Int32(q & 0x0F) - 8
                let x1 = Int32(q >> 4) - 8
                destination[y + j] = Float(x0) * d
                destination[y + j + 16] = Float(x1) * d
            }
        }
    }

    /// ggml's `kvalues_iq4nl`: the 16 non-linear levels of IQ4_NL (ggml-common.h).
    public static let iq4NLValues: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// block_iq4_nl { half d; uint8 qs[16] }: y[j] = d·kvalues[nibble], low nibbles first.
    public static func iq4_NL(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 32, bytesPerBlock: 18)
        for i in 0..<blocks {
            let b = i * 18
            let y = i * 32
            let d = half(source, b)
            for j in 0..<16 {
                let q = source[b + 2 + j]
                destination[y + j] = d * Float(iq4NLValues[Int(q & 0x0F)])
                destination[y + j + 16] = d * Float(iq4NLValues[Int(q >> 4)])
            }
        }
    }

    /// block_q4_1 { half d, m; uint8 qs[16] }: y[j] = nibble·d + m.
    public static func q4_1(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 32, bytesPerBlock: 20)
        for i in 0..<blocks {
            let b = i * 20
            let y = i * 32
            let d = half(source, b)
            let m = half(source, b + 2)
            for j in 0..<16 {
                let q = source[b + 4 + j]
                let x0 = Int32(q & 0x0F)
                let x1 = Int32(q >> 4)
                destination[y + j] = Float(x0) * d + m
                destination[y + j + 16] = Float(x1) * d + m
            }
        }
    }

    /// block_q5_0 { half d; uint8 qh[4]; uint8 qs[16] }: y[j] = (nibble | fifth bit<<4 − 16)·d.
    public static func q5_0(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 32, bytesPerBlock: 22)
        for i in 0..<blocks {
            let b = i * 22
            let y = i * 32
            let d = half(source, b)
            let qh = le32(source, b + 2)
            for j in 0..<16 {
                let xh0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) << 4) & 0x10
                let xh1 = UInt8(truncatingIfNeeded: qh >> UInt32(j + 12)) & 0x10
                let q = source[b + 6 + j]
                let x0 = Int32((q & 0x0F) | xh0) - 16
                let x1 = Int32((q >> 4) | xh1) - 16
                destination[y + j] = Float(x0) * d
                destination[y + j + 16] = Float(x1) * d
            }
        }
    }

    /// block_q5_1 { half d, m; uint8 qh[4]; uint8 qs[16] }: y[j] = (nibble | fifth bit<<4)·d + m.
    public static func q5_1(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 32, bytesPerBlock: 24)
        for i in 0..<blocks {
            let b = i * 24
            let y = i * 32
            let d = half(source, b)
            let m = half(source, b + 2)
            let qh = le32(source, b + 4)
            for j in 0..<16 {
                let xh0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) << 4) & 0x10
                let xh1 = UInt8(truncatingIfNeeded: qh >> UInt32(j + 12)) & 0x10
                let q = source[b + 8 + j]
                let x0 = Int32((q & 0x0F) | xh0)
                let x1 = Int32((q >> 4) | xh1)
                destination[y + j] = Float(x0) * d + m
                destination[y + j + 16] = Float(x1) * d + m
            }
        }
    }

    /// block_q8_0 { half d; int8 qs[32] }: y[j] = qs[j]·d.
    public static func q8_0(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 32, bytesPerBlock: 34)
        for i in 0..<blocks {
            let b = i * 34
            let y = i * 32
            let d = half(source, b)
            for j in 0..<32 {
                destination[y + j] = Float(i8(source, b + 2 + j)) * d
            }
        }
    }

    /// block_q8_1 { half d, s; int8 qs[32] }: y[j] = qs[j]·d (s, d·Σqs, is only for dot products).
    /// ggml has no `dequantize_row_q8_1`; this is Q8_0's formula on Q8_1's fields.
    public static func q8_1(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = checkedBlockCount(source, destination, blockSize: 32, bytesPerBlock: 36)
        for i in 0..<blocks {
            let b = i * 36
            let y = i * 32
            let d = half(source, b)
            for j in 0..<32 {
                destination[y + j] = Float(i8(source, b + 4 + j)) * d
            }
        }
    }

    // MARK: Shared checks

    /// The number of blocks, after checking the contract: `destination.count` is a whole number
    /// of blocks and `source` holds exactly their bytes. A violation is a programming error.
    @inline(__always)
    static func checkedBlockCount(
        _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>,
        blockSize: Int, bytesPerBlock: Int
    ) -> Int {
        let blocks = destination.count / blockSize
        precondition(blocks * blockSize == destination.count, "element count is not a multiple of the block size")
        precondition(source.count == blocks * bytesPerBlock, "source size does not match the element count")
        return blocks
    }

    // MARK: Little-endian field reads at any alignment

    @inline(__always)
    static func le16(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    static func le32(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    static func i8(_ p: UnsafeRawBufferPointer, _ offset: Int) -> Int8 {
        Int8(bitPattern: p[offset])
    }

    /// An F16 field, as F32.
    @inline(__always)
    static func half(_ p: UnsafeRawBufferPointer, _ offset: Int) -> Float {
        Half.f16ToF32(le16(p, offset))
    }
}
