import CKernels

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
        let (blocks, stride) = checkedBlockCount(source, destination, .f32)
        for i in 0..<blocks {
            destination[i] = Float(bitPattern: le32(source, i * stride))
        }
    }

    public static func f16(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .f16)
        for i in 0..<blocks {
            destination[i] = half(source, i * stride)
        }
    }

    public static func bf16(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .bf16)
        for i in 0..<blocks {
            destination[i] = Half.bf16ToF32(le16(source, i * stride))
        }
    }

    // MARK: 32-element blocks

    /// block_q4_0 { half d; uint8 qs[16] }: y[j] = (nibble − 8)·d, low nibbles first.
    public static func q4_0(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .q4_0)
        for i in 0..<blocks {
            let b = i * stride
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

    /// ggml's `kvalues_iq4nl`: the 16 non-linear levels of IQ4_NL (the one copy is CKernels'
    /// ggml_tables.c, which the C kernels read too).
    public static let iq4NLValues: [Int8] = withUnsafeBytes(of: ql_kvalues_iq4nl) { Array($0.bindMemory(to: Int8.self)) }

    /// block_iq4_nl { half d; uint8 qs[16] }: y[j] = d·kvalues[nibble], low nibbles first.
    public static func iq4_NL(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .iq4_NL)
        for i in 0..<blocks {
            let b = i * stride
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
        let (blocks, stride) = checkedBlockCount(source, destination, .q4_1)
        for i in 0..<blocks {
            let b = i * stride
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
        let (blocks, stride) = checkedBlockCount(source, destination, .q5_0)
        for i in 0..<blocks {
            let b = i * stride
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
        let (blocks, stride) = checkedBlockCount(source, destination, .q5_1)
        for i in 0..<blocks {
            let b = i * stride
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
        let (blocks, stride) = checkedBlockCount(source, destination, .q8_0)
        for i in 0..<blocks {
            let b = i * stride
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
        let (blocks, stride) = checkedBlockCount(source, destination, .q8_1)
        for i in 0..<blocks {
            let b = i * stride
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
    /// The number of `type` blocks `destination` holds, checked against `source`, and the bytes
    /// per block (both from the format table).
    static func checkedBlockCount(
        _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>, _ type: TensorType
    ) -> (blocks: Int, stride: Int) {
        let format = type.format
        let blocks = destination.count / format.blockSize
        precondition(blocks * format.blockSize == destination.count, "element count is not a multiple of the block size")
        precondition(source.count == blocks * format.bytesPerBlock, "source size does not match the element count")
        return (blocks, format.bytesPerBlock)
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
