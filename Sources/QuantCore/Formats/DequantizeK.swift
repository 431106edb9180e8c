/// The K-quant dequantizers: 256-element super-blocks (ggml's `QK_K`), following ggml's
/// `dequantize_row_q{2,3,4,5,6,8}_K` loop for loop, so the float operations and their order are
/// ggml's.
extension Dequantize {
    /// block_q2_K { uint8 scales[16]; uint8 qs[64]; half d, dmin }: 16 groups of 16, each with a
    /// 4-bit scale (low nibble) and 4-bit min (high nibble); y = (d·sc)·q − dmin·m, q 2 bits.
    public static func q2_K(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .q2_K)
        for i in 0..<blocks {
            let b = i * stride
            var y = i * 256
            let d = half(source, b + 80)
            let min = half(source, b + 82)
            var q = b + 16
            var scaleIndex = b
            for _ in 0..<2 {  // n = 0, 128
                var shift: UInt8 = 0
                for _ in 0..<4 {
                    var sc = source[scaleIndex]
                    scaleIndex += 1
                    var dl = d * Float(sc & 0xF)
                    var ml = min * Float(sc >> 4)
                    for l in 0..<16 {
                        destination[y] = dl * Float((source[q + l] >> shift) & 3) - ml
                        y += 1
                    }
                    sc = source[scaleIndex]
                    scaleIndex += 1
                    dl = d * Float(sc & 0xF)
                    ml = min * Float(sc >> 4)
                    for l in 0..<16 {
                        destination[y] = dl * Float((source[q + l + 16] >> shift) & 3) - ml
                        y += 1
                    }
                    shift += 2
                }
                q += 32
            }
        }
    }

    /// block_q3_K { uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; half d }: 16 groups of 16 with
    /// 6-bit scales (packed: low 4 bits in bytes 0–7, high 2 bits in bytes 8–11, unpacked with
    /// ggml's kmask1/kmask2 word trick); q = 2 low bits − (hmask bit clear ? 4 : 0);
    /// y = (d·(scale − 32))·q.
    public static func q3_K(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .q3_K)
        let kmask1: UInt32 = 0x0303_0303
        let kmask2: UInt32 = 0x0f0f_0f0f
        for i in 0..<blocks {
            let b = i * stride
            var y = i * 256
            let dAll = half(source, b + 108)

            // The 12 scale bytes as little-endian words, rearranged into 16 signed bytes.
            let a0 = le32(source, b + 96)
            let a1 = le32(source, b + 100)
            let tmp = le32(source, b + 104)
            let words: (UInt32, UInt32, UInt32, UInt32) = (
                (a0 & kmask2) | (((tmp >> 0) & kmask1) << 4),
                (a1 & kmask2) | (((tmp >> 2) & kmask1) << 4),
                ((a0 >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4),
                ((a1 >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4)
            )
            func scale(_ k: Int) -> Int32 {
                let word: UInt32
                switch k >> 2 {
                case 0: word = words.0
                case 1: word = words.1
                case 2: word = words.2
                default: word = words.3
                }
                return Int32(Int8(truncatingIfNeeded: word >> UInt32(8 * (k & 3))))
            }

            var q = b + 32
            let hm = b
            var m: UInt8 = 1
            var scaleIndex = 0
            for _ in 0..<2 {  // n = 0, 128
                var shift: UInt8 = 0
                for _ in 0..<4 {
                    var dl = dAll * Float(scale(scaleIndex) - 32)
                    scaleIndex += 1
                    for l in 0..<16 {
                        let low = Int32((source[q + l] >> shift) & 3)
                        let high: Int32 = source[hm + l] & m != 0 ? 0 : 4
                        destination[y] = dl * Float(low - high)
                        y += 1
                    }
                    dl = dAll * Float(scale(scaleIndex) - 32)
                    scaleIndex += 1
                    for l in 0..<16 {
                        let low = Int32((source[q + l + 16] >> shift) & 3)
                        let high: Int32 = source[hm + l + 16] & m != 0 ? 0 : 4
                        destination[y] = dl * Float(low - high)
                        y += 1
                    }
                    shift += 2
                    m <<= 1
                }
                q += 32
            }
        }
    }

    /// block_q4_K { half d, dmin; uint8 scales[12]; uint8 qs[128] }: 8 groups of 32 with 6-bit
    /// scales and mins (`get_scale_min_k4`); y = (d·sc)·q − dmin·m, q 4 bits.
    public static func q4_K(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .q4_K)
        for i in 0..<blocks {
            let b = i * stride
            var y = i * 256
            let d = half(source, b)
            let min = half(source, b + 2)
            var q = b + 16
            var group = 0
            for _ in 0..<4 {  // j = 0, 64, 128, 192
                var (sc, m) = scaleMinK4(source, b + 4, group)
                let d1 = d * Float(sc)
                let m1 = min * Float(m)
                (sc, m) = scaleMinK4(source, b + 4, group + 1)
                let d2 = d * Float(sc)
                let m2 = min * Float(m)
                for l in 0..<32 {
                    destination[y] = d1 * Float(source[q + l] & 0xF) - m1
                    y += 1
                }
                for l in 0..<32 {
                    destination[y] = d2 * Float(source[q + l] >> 4) - m2
                    y += 1
                }
                q += 32
                group += 2
            }
        }
    }

    /// block_q5_K { half d, dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128] }: as Q4_K with a
    /// fifth bit per element from qh; y = (d·sc)·q − dmin·m.
    public static func q5_K(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .q5_K)
        for i in 0..<blocks {
            let b = i * stride
            var y = i * 256
            let d = half(source, b)
            let min = half(source, b + 2)
            var ql = b + 48
            let qh = b + 16
            var group = 0
            var u1: UInt8 = 1
            var u2: UInt8 = 2
            for _ in 0..<4 {  // j = 0, 64, 128, 192
                var (sc, m) = scaleMinK4(source, b + 4, group)
                let d1 = d * Float(sc)
                let m1 = min * Float(m)
                (sc, m) = scaleMinK4(source, b + 4, group + 1)
                let d2 = d * Float(sc)
                let m2 = min * Float(m)
                for l in 0..<32 {
                    let q = Int32(source[ql + l] & 0xF) + (source[qh + l] & u1 != 0 ? 16 : 0)
                    destination[y] = d1 * Float(q) - m1
                    y += 1
                }
                for l in 0..<32 {
                    let q = Int32(source[ql + l] >> 4) + (source[qh + l] & u2 != 0 ? 16 : 0)
                    destination[y] = d2 * Float(q) - m2
                    y += 1
                }
                ql += 32
                group += 2
                u1 <<= 2
                u2 <<= 2
            }
        }
    }

    /// block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d }: 16 groups of 16 with
    /// 8-bit signed scales; q = (4 low bits | 2 high bits << 4) − 32; y = d·scale·q (left to right).
    public static func q6_K(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .q6_K)
        for i in 0..<blocks {
            let b = i * stride
            var y = i * 256
            let d = half(source, b + 208)
            var ql = b
            var qh = b + 128
            var sc = b + 192
            for _ in 0..<2 {  // n = 0, 128
                for l in 0..<32 {
                    let s = sc + l / 16
                    let h = source[qh + l]
                    let lo0 = source[ql + l]
                    let lo32 = source[ql + l + 32]
                    let q1 = Int32((lo0 & 0xF) | (((h >> 0) & 3) << 4)) - 32
                    let q2 = Int32((lo32 & 0xF) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int32((lo0 >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int32((lo32 >> 4) | (((h >> 6) & 3) << 4)) - 32
                    destination[y + l] = d * Float(i8(source, s)) * Float(q1)
                    destination[y + l + 32] = d * Float(i8(source, s + 2)) * Float(q2)
                    destination[y + l + 64] = d * Float(i8(source, s + 4)) * Float(q3)
                    destination[y + l + 96] = d * Float(i8(source, s + 6)) * Float(q4)
                }
                y += 128
                ql += 64
                qh += 32
                sc += 8
            }
        }
    }

    /// block_q8_K { float d; int8 qs[256]; int16 bsums[16] }: y = d·qs (bsums is only for dot
    /// products and is ignored).
    public static func q8_K(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) {
        let (blocks, stride) = checkedBlockCount(source, destination, .q8_K)
        for i in 0..<blocks {
            let b = i * stride
            let y = i * 256
            let d = Float(bitPattern: le32(source, b))
            for j in 0..<256 {
                destination[y + j] = d * Float(i8(source, b + 4 + j))
            }
        }
    }

    /// ggml's `get_scale_min_k4`: the 6-bit scale and min of group `j` (0..<8) from the 12 packed
    /// bytes at `offset`.
    @inline(__always)
    static func scaleMinK4(_ p: UnsafeRawBufferPointer, _ offset: Int, _ j: Int) -> (UInt8, UInt8) {
        if j < 4 {
            return (p[offset + j] & 63, p[offset + j + 4] & 63)
        }
        let sc = (p[offset + j + 4] & 0xF) | ((p[offset + j - 4] >> 6) << 4)
        let m = (p[offset + j + 4] >> 4) | ((p[offset + j] >> 6) << 4)
        return (sc, m)
    }
}
