/// Reference quantizers for ggml's K-quant super-blocks of 256 values (no importance matrix),
/// following `quantize_row_q4_K_ref`, `…q5_K_ref` and `…q6_K_ref` in ggml-quants.c: the same
/// searches (`make_qkx2_quants`, `make_qx_quants`), the same float32 operations in the same order,
/// and ggml's `nearest_int` (round half to even through the 1.5·2²³ trick), so the bytes equal
/// what llama-quantize writes.
extension Quantize {
    /// ggml's `nearest_int`: adds 1.5·2²³ in float32 and reads the low mantissa bits.
    @inline(__always) static func nearestInt(_ value: Float) -> Int {
        let shifted = value + 12_582_912
        return Int(Int32(bitPattern: shifted.bitPattern) & 0x007F_FFFF) - 0x0040_0000
    }

    static func checkK(_ source: UnsafeBufferPointer<Float>, _ destination: UnsafeMutableRawBufferPointer, blockBytes: Int) throws(Failure) -> Int {
        guard source.count % 256 == 0 else { throw .notBlockMultiple(count: source.count, blockSize: 256) }
        let blocks = source.count / 256
        guard destination.count == blocks * blockBytes else { throw .destinationSize(expected: blocks * blockBytes, actual: destination.count) }
        if let bad = source.firstIndex(where: { !$0.isFinite || abs($0) > 1e30 }) { throw .nonFinite(index: bad) }
        return blocks
    }

    /// `make_qkx2_quants`: a scale and a minimum for `n` values with levels 0…nmax, searching
    /// `nstep + 1` candidate scales for the least weighted squared error. Returns (scale, −min).
    static func makeQKX2(
        _ x: UnsafePointer<Float>, n: Int, nmax: Int, weights: [Float], levels L: inout [UInt8], offset: Int,
        rmin: Float, rdelta: Float, nstep: Int, useMAD: Bool = false
    ) -> (scale: Float, negativeMin: Float) {
        var minimum = x[0]
        var maximum = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < minimum { minimum = x[i] }
            if x[i] > maximum { maximum = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if minimum > 0 { minimum = 0 }
        if maximum == minimum {
            for i in 0..<n { L[offset + i] = 0 }
            return (0, -minimum)
        }
        var iscale = Float(nmax) / (maximum - minimum)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = nearestInt(iscale * (x[i] - minimum))
            L[offset + i] = UInt8(max(0, min(nmax, l)))
            let diff = scale * Float(L[offset + i]) + minimum - x[i]
            bestError += weights[i] * (useMAD ? abs(diff) : diff * diff)
        }
        var aux = [UInt8](repeating: 0, count: n)
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (maximum - minimum)
            var sumL: Float = 0
            var sumL2: Float = 0
            var sumXL: Float = 0
            for i in 0..<n {
                let l = max(0, min(nmax, nearestInt(iscale * (x[i] - minimum))))
                aux[i] = UInt8(l)
                let w = weights[i]
                sumL += w * Float(l)
                sumL2 += w * Float(l) * Float(l)
                sumXL += w * Float(l) * x[i]
            }
            let determinant = sumW * sumL2 - sumL * sumL
            guard determinant > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / determinant
            var thisMin = (sumL2 * sumX - sumL * sumXL) / determinant
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<n {
                let diff = thisScale * Float(aux[i]) + thisMin - x[i]
                error += weights[i] * (useMAD ? abs(diff) : diff * diff)
            }
            if error < bestError {
                for i in 0..<n { L[offset + i] = aux[i] }
                bestError = error
                scale = thisScale
                minimum = thisMin
            }
        }
        return (scale, -minimum)
    }

    /// `make_qx_quants` with rmse_type 1 (weights x²) and no importance: a signed scale for `n`
    /// values with levels −nmax…nmax−1, trying 18 scales around nmax/max.
    static func makeQX(_ x: UnsafePointer<Float>, n: Int, nmax: Int, levels L: inout [Int8], offset: Int, weights qw: [Float]? = nil) -> Float {
        let maximum = signedAbsMax(x, count: n)
        let amax = abs(maximum)
        if amax < 1e-15 {
            for i in 0..<n { L[offset + i] = 0 }
            return 0
        }
        func levelsFor(_ iscale: Float) -> (sumLX: Float, sumL2: Float) {
            var sumLX: Float = 0
            var sumL2: Float = 0
            for i in 0..<n {
                let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
                let w = qw?[i] ?? x[i] * x[i]
                sumLX += w * x[i] * Float(l)
                sumL2 += w * Float(l) * Float(l)
            }
            return (sumLX, sumL2)
        }
        func store(_ iscale: Float) {
            for i in 0..<n { L[offset + i] = Int8(nmax + max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))) }
        }
        var iscale = -Float(nmax) / maximum
        store(iscale)
        var (sumLX, sumL2) = levelsFor(iscale)
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / maximum
            (sumLX, sumL2) = levelsFor(iscale)
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                store(iscale)
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }

    /// The 6-bit scales and minimums of a Q4_K/Q5_K super-block, packed as ggml packs them.
    static func packScalesMins(_ scales: [Float], _ mins: [Float], maxScale: Float, maxMin: Float) -> [UInt8] {
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        return pack6BitScalesMins(
            scales.map { min(63, UInt8(truncatingIfNeeded: nearestInt(inverseScale * $0))) },
            mins.map { min(63, UInt8(truncatingIfNeeded: nearestInt(inverseMin * $0))) })
    }

    /// Eight 6-bit scale levels and eight 6-bit minimum levels in ggml's 12-byte layout.
    static func pack6BitScalesMins(_ ls: [UInt8], _ lm: [UInt8]) -> [UInt8] {
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<8 {
            if j < 4 {
                packed[j] = ls[j]
                packed[j + 4] = lm[j]
            } else {
                packed[j + 4] = (ls[j] & 0xF) | ((lm[j] & 0xF) << 4)
                packed[j - 4] |= (ls[j] >> 4) << 6
                packed[j] |= (lm[j] >> 4) << 6
            }
        }
        return packed
    }

    /// Q4_K (nmax 15) and Q5_K (nmax 31) share everything but the level count and the packing.
    static func quantizeQ45K(
        _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer, nmax: Int, blockBytes: Int,
        rmin: Float, nstep: Int
    ) throws(Failure) {
        let blocks = try checkK(x, y, blockBytes: blockBytes)
        var L = [UInt8](repeating: 0, count: 256)
        for i in 0..<blocks {
            let base = x.baseAddress! + i * 256
            var scales = [Float](repeating: 0, count: 8)
            var mins = [Float](repeating: 0, count: 8)
            var maxScale: Float = 0
            var maxMin: Float = 0
            for j in 0..<8 {
                let sub = base + 32 * j
                var sumX2: Float = 0
                for l in 0..<32 { sumX2 += sub[l] * sub[l] }
                let average = (sumX2 / 32).squareRoot()
                let weights = (0..<32).map { average + abs(sub[$0]) }
                let (scale, negativeMin) = makeQKX2(
                    sub, n: 32, nmax: nmax, weights: weights, levels: &L, offset: 32 * j,
                    rmin: rmin, rdelta: 0.1, nstep: nstep)
                scales[j] = scale
                mins[j] = negativeMin
                if scale > maxScale { maxScale = scale }
                if negativeMin > maxMin { maxMin = negativeMin }
            }
            let packed = packScalesMins(scales, mins, maxScale: maxScale, maxMin: maxMin)
            let out = i * blockBytes
            storeScalesAndRequantize(d: maxScale / 63, dmin: maxMin / 63, packed: packed, base, nmax: nmax, levels: &L, y, at: out)
            packLevels(L, nmax: nmax, y, at: out)
        }
    }

    /// Stores a Q4_K/Q5_K super-block's FP16 d and dmin and its packed 6-bit scales, then picks
    /// every value's level again with the scales as stored (as ggml does after packing).
    static func storeScalesAndRequantize(
        d: Float, dmin: Float, packed: [UInt8], _ base: UnsafePointer<Float>, nmax: Int,
        levels L: inout [UInt8], _ y: UnsafeMutableRawBufferPointer, at out: Int
    ) {
        let dBits = Half.f32ToF16(d)
        let dminBits = Half.f32ToF16(dmin)
        store16(dBits, y, out)
        store16(dminBits, y, out + 2)
        for k in 0..<12 { y[out + 4 + k] = packed[k] }
        let dStored = Half.f16ToF32(dBits)
        let dminStored = Half.f16ToF32(dminBits)
        for j in 0..<8 {
            let (sc, m) = scaleMin(j, packed)
            let dj = dStored * Float(sc)
            if dj == 0 { continue }
            let dm = dminStored * Float(m)
            for k in 0..<32 {
                L[32 * j + k] = UInt8(max(0, min(nmax, nearestInt((base[32 * j + k] + dm) / dj))))
            }
        }
    }

    /// The 4-bit (Q4_K) or 4+1-bit (Q5_K, high bits in qh) levels of a super-block, as ggml packs them.
    static func packLevels(_ L: [UInt8], nmax: Int, _ y: UnsafeMutableRawBufferPointer, at out: Int) {
        if nmax == 15 {
            for chunk in 0..<4 {
                for l in 0..<32 { y[out + 16 + chunk * 32 + l] = L[chunk * 64 + l] | (L[chunk * 64 + l + 32] << 4) }
            }
            return
        }
        var qh = [UInt8](repeating: 0, count: 32)
        var m1: UInt8 = 1
        var m2: UInt8 = 2
        for chunk in 0..<4 {
            for j in 0..<32 {
                var l1 = L[chunk * 64 + j]
                var l2 = L[chunk * 64 + j + 32]
                if l1 > 15 {
                    l1 -= 16
                    qh[j] |= m1
                }
                if l2 > 15 {
                    l2 -= 16
                    qh[j] |= m2
                }
                y[out + 48 + chunk * 32 + j] = l1 | (l2 << 4)
            }
            m1 <<= 2
            m2 <<= 2
        }
        for j in 0..<32 { y[out + 16 + j] = qh[j] }
    }

    /// ggml's `get_scale_min_k4`.
    static func scaleMin(_ j: Int, _ q: [UInt8]) -> (UInt8, UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// block_q4_K { half d, dmin; uint8 scales[12]; uint8 qs[128] }.
    public static func q4_K(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        try quantizeQ45K(x, y, nmax: 15, blockBytes: TensorType.q4_K.format.bytesPerBlock, rmin: -1, nstep: 20)
    }

    /// block_q5_K { half d, dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128] }.
    public static func q5_K(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        try quantizeQ45K(x, y, nmax: 31, blockBytes: TensorType.q5_K.format.bytesPerBlock, rmin: -0.5, nstep: 15)
    }

    /// block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d }.
    public static func q6_K(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let blocks = try checkK(x, y, blockBytes: TensorType.q6_K.format.bytesPerBlock)
        q6KBlocks(x.baseAddress!, blocks: blocks, importance: nil, y, at: 0)
    }

    /// Q6_K super-blocks; with an importance row (`quantize_row_q6_K_impl`), each 16-value
    /// group's scale search weighs its values by the importance instead of x².
    static func q6KBlocks(_ x: UnsafePointer<Float>, blocks: Int, importance: [Float]?, _ y: UnsafeMutableRawBufferPointer, at start: Int) {
        var L = [Int8](repeating: 0, count: 256)
        let stride = TensorType.q6_K.format.bytesPerBlock
        for i in 0..<blocks {
            let base = x + i * 256
            let out = start + i * stride
            var scales = [Float](repeating: 0, count: 16)
            var maxScale: Float = 0
            var maxAbsScale: Float = 0
            for ib in 0..<16 {
                let weights = importance.map { Array($0[(256 * i + 16 * ib)..<(256 * i + 16 * ib + 16)]) }
                let scale = makeQX(base + 16 * ib, n: 16, nmax: 32, levels: &L, offset: 16 * ib, weights: weights)
                scales[ib] = scale
                if abs(scale) > maxAbsScale {
                    maxAbsScale = abs(scale)
                    maxScale = scale
                }
            }
            if maxAbsScale < 1e-15 {
                for k in 0..<stride { y[out + k] = 0 }
                continue
            }
            let iscale = -128 / maxScale
            let dBits = Half.f32ToF16(1 / iscale)
            store16(dBits, y, out + 208)
            var packedScales = [Int8](repeating: 0, count: 16)
            for ib in 0..<16 {
                packedScales[ib] = Int8(truncatingIfNeeded: min(127, nearestInt(iscale * scales[ib])))
                y[out + 192 + ib] = UInt8(bitPattern: packedScales[ib])
            }
            let d = Half.f16ToF32(dBits)
            for j in 0..<16 {
                let dj = d * Float(packedScales[j])
                if dj == 0 { continue }
                for k in 0..<16 {
                    L[16 * j + k] = Int8(max(-32, min(31, nearestInt(base[16 * j + k] / dj))) + 32)
                }
            }
            for half in 0..<2 {
                let j = half * 128
                for l in 0..<32 {
                    let q1 = UInt8(L[j + l]) & 0xF
                    let q2 = UInt8(L[j + l + 32]) & 0xF
                    let q3 = UInt8(L[j + l + 64]) & 0xF
                    let q4 = UInt8(L[j + l + 96]) & 0xF
                    y[out + half * 64 + l] = q1 | (q3 << 4)
                    y[out + half * 64 + l + 32] = q2 | (q4 << 4)
                    y[out + 128 + half * 32 + l] =
                        (UInt8(L[j + l]) >> 4) | ((UInt8(L[j + l + 32]) >> 4) << 2)
                        | ((UInt8(L[j + l + 64]) >> 4) << 4) | ((UInt8(L[j + l + 96]) >> 4) << 6)
                }
            }
        }
    }

    /// `make_q3_quants` with do_rmse: levels −nmax…nmax−1, then up to five passes that move single
    /// values to the level that most improves the weighted fit.
    static func makeQ3(_ x: UnsafePointer<Float>, n: Int, nmax: Int, levels L: inout [Int8], offset: Int) -> Float {
        let maximum = signedAbsMax(x, count: n)
        let amax = abs(maximum)
        if amax < 1e-15 {
            for i in 0..<n { L[offset + i] = 0 }
            return 0
        }
        let iscale = -Float(nmax) / maximum
        var sumLX: Float = 0
        var sumL2: Float = 0
        for i in 0..<n {
            let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
            L[offset + i] = Int8(l)
            let w = x[i] * x[i]
            sumLX += w * x[i] * Float(l)
            sumL2 += w * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i]
                let current = Float(L[offset + i])
                var slx = sumLX - w * x[i] * current
                guard slx > 0 else { continue }
                var sl2 = sumL2 - w * current * current
                let newL = max(-nmax, min(nmax - 1, nearestInt(x[i] * sl2 / slx)))
                if newL != Int(L[offset + i]) {
                    slx += w * x[i] * Float(newL)
                    sl2 += w * Float(newL) * Float(newL)
                    if sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2 {
                        L[offset + i] = Int8(newL)
                        sumLX = slx
                        sumL2 = sl2
                        changed += 1
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { L[offset + i] += Int8(nmax) }
        return sumL2 > 0 ? sumLX / sumL2 : 0
    }

    /// block_q3_K { uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; half d }.
    public static func q3_K(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let stride = TensorType.q3_K.format.bytesPerBlock
        let blocks = try checkK(x, y, blockBytes: stride)
        var L = [Int8](repeating: 0, count: 256)
        for i in 0..<blocks {
            let base = x.baseAddress! + i * 256
            var scales = [Float](repeating: 0, count: 16)
            var maxScale: Float = 0
            var amax: Float = 0
            for j in 0..<16 {
                scales[j] = makeQ3(base + 16 * j, n: 16, nmax: 4, levels: &L, offset: 16 * j)
                if abs(scales[j]) > amax {
                    amax = abs(scales[j])
                    maxScale = scales[j]
                }
            }
            var scaleLevels = [Int](repeating: 0, count: 16)
            var d: Float = 0
            if maxScale != 0 {
                let iscale = -32 / maxScale
                scaleLevels = scales.map { max(-32, min(31, Int(Int8(truncatingIfNeeded: nearestInt(iscale * $0))))) + 32 }
                d = 1 / iscale
            }
            storeQ3K(scaleLevels: scaleLevels, d: d, base, levels: &L, y, at: i * stride)
        }
    }

    /// Stores a Q3_K super-block: its sixteen 6-bit scale levels (0…63, i.e. scale + 32) packed
    /// as ggml packs them and its FP16 d, then picks every value's level again with the scales as
    /// stored and writes the high bits (hmask) and the low 2 bits (qs).
    static func storeQ3K(
        scaleLevels: [Int], d: Float, _ base: UnsafePointer<Float>, levels L: inout [Int8],
        _ y: UnsafeMutableRawBufferPointer, at out: Int
    ) {
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<16 {
            var l = scaleLevels[j]
            if j < 8 { packed[j] = UInt8(l & 0xF) } else { packed[j - 8] |= UInt8((l & 0xF) << 4) }
            l >>= 4
            packed[j % 4 + 8] |= UInt8(l << (2 * (j / 4)))
        }
        let dBits = Half.f32ToF16(d)
        for k in 0..<12 { y[out + 96 + k] = packed[k] }
        store16(dBits, y, out + 108)
        let dStored = Half.f16ToF32(dBits)
        for j in 0..<16 {
            let low = j < 8 ? Int(packed[j] & 0xF) : Int(packed[j - 8] >> 4)
            let sc = (low | (Int((packed[8 + j % 4] >> UInt8(2 * (j / 4))) & 3) << 4)) - 32
            let dj = dStored * Float(sc)
            if dj == 0 { continue }
            for k in 0..<16 {
                L[16 * j + k] = Int8(max(-4, min(3, nearestInt(base[16 * j + k] / dj))) + 4)
            }
        }
        var hmask = [UInt8](repeating: 0, count: 32)
        var m = 0
        var hm: UInt8 = 1
        for j in 0..<256 {
            if L[j] > 3 {
                hmask[m] |= hm
                L[j] -= 4
            }
            m += 1
            if m == 32 {
                m = 0
                hm <<= 1
            }
        }
        for k in 0..<32 { y[out + k] = hmask[k] }
        pack2BitLevels(y, at: out + 32) { UInt8(L[$0]) }
    }

    /// The 2-bit levels of a Q2_K/Q3_K super-block (values l, l+32, l+64, l+96 of each half in one byte).
    static func pack2BitLevels(_ y: UnsafeMutableRawBufferPointer, at qs: Int, level: (Int) -> UInt8) {
        for half in 0..<2 {
            let j = half * 128
            for l in 0..<32 {
                y[qs + j / 4 + l] = level(j + l) | (level(j + l + 32) << 2) | (level(j + l + 64) << 4) | (level(j + l + 96) << 6)
            }
        }
    }

    /// block_q2_K { uint8 scales[16]; uint8 qs[64]; half d, dmin }: 4-bit scales and minimums.
    public static func q2_K(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let stride = TensorType.q2_K.format.bytesPerBlock
        let blocks = try checkK(x, y, blockBytes: stride)
        var L = [UInt8](repeating: 0, count: 256)
        for i in 0..<blocks {
            let base = x.baseAddress! + i * 256
            var scales = [Float](repeating: 0, count: 16)
            var mins = [Float](repeating: 0, count: 16)
            var maxScale: Float = 0
            var maxMin: Float = 0
            for j in 0..<16 {
                let sub = base + 16 * j
                let weights = (0..<16).map { abs(sub[$0]) }
                let (scale, negativeMin) = makeQKX2(
                    sub, n: 16, nmax: 3, weights: weights, levels: &L, offset: 16 * j,
                    rmin: -0.5, rdelta: 0.1, nstep: 15, useMAD: true)
                scales[j] = scale
                mins[j] = negativeMin
                if scale > maxScale { maxScale = scale }
                if negativeMin > maxMin { maxMin = negativeMin }
            }
            var packed = [UInt8](repeating: 0, count: 16)
            if maxScale > 0 {
                let iscale = 15 / maxScale
                for j in 0..<16 { packed[j] = UInt8(truncatingIfNeeded: nearestInt(iscale * scales[j])) }
            }
            if maxMin > 0 {
                let iscale = 15 / maxMin
                for j in 0..<16 { packed[j] |= UInt8(truncatingIfNeeded: nearestInt(iscale * mins[j]) << 4) }
            }
            storeQ2K(packed: packed, d: maxScale > 0 ? maxScale / 15 : 0, dmin: maxMin > 0 ? maxMin / 15 : 0, base, levels: &L, y, at: i * stride)
        }
    }

    /// Stores a Q2_K super-block: its packed 4-bit scales (low nibbles) and minimums (high
    /// nibbles) and FP16 d and dmin, then picks every value's level again with the scales as
    /// stored and packs the 2-bit levels.
    static func storeQ2K(
        packed: [UInt8], d: Float, dmin: Float, _ base: UnsafePointer<Float>, levels L: inout [UInt8],
        _ y: UnsafeMutableRawBufferPointer, at out: Int
    ) {
        let dBits = Half.f32ToF16(d)
        let dminBits = Half.f32ToF16(dmin)
        for k in 0..<16 { y[out + k] = packed[k] }
        store16(dBits, y, out + 80)
        store16(dminBits, y, out + 82)
        let dStored = Half.f16ToF32(dBits)
        let dminStored = Half.f16ToF32(dminBits)
        for j in 0..<16 {
            let dj = dStored * Float(packed[j] & 0xF)
            if dj == 0 { continue }
            let dm = dminStored * Float(packed[j] >> 4)
            for k in 0..<16 { L[16 * j + k] = UInt8(max(0, min(3, nearestInt((base[16 * j + k] + dm) / dj)))) }
        }
        pack2BitLevels(y, at: out + 16) { L[$0] }
    }

    /// ggml's `best_index_int8`: the nearest of the sorted levels (ties to the upper one).
    static func bestIndex(_ values: [Int8], _ x: Float) -> Int {
        if x <= Float(values[0]) { return 0 }
        if x >= Float(values[values.count - 1]) { return values.count - 1 }
        var lower = 0
        var upper = values.count - 1
        while upper - lower > 1 {
            let middle = (lower + upper) / 2
            if x < Float(values[middle]) { upper = middle } else { lower = middle }
        }
        return x - Float(values[upper - 1]) < Float(values[upper]) - x ? upper - 1 : upper
    }

    /// block_iq4_nl as llama-quantize writes it without an importance matrix (`quantize_iq4_nl`,
    /// i.e. `quantize_row_iq4_nl_impl` with weights x² and 7 scale trials each side).
    public static func iq4_NL(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let stride = TensorType.iq4_NL.format.bytesPerBlock
        let blocks = try check(x, y, blockBytes: stride)
        for i in 0..<blocks {
            let xb = x.baseAddress! + i * 32
            iq4NLBlock(xb, weights: (0..<32).map { xb[$0] * xb[$0] }, into: y, at: i * stride)
        }
    }

    /// One IQ4_NL block (`quantize_row_iq4_nl_impl` with a single 32-value block, 7 trials).
    static func iq4NLBlock(_ xb: UnsafePointer<Float>, weights weight: [Float], into y: UnsafeMutableRawBufferPointer, at out: Int) {
        let values = Dequantize.iq4NLValues
        let ntry = 7
        var L = [Int](repeating: 0, count: 32)
        for k in 0..<TensorType.iq4_NL.format.bytesPerBlock { y[out + k] = 0 }
        var amax: Float = 0
        var maximum: Float = 0
        for j in 0..<32 where abs(xb[j]) > amax {
            amax = abs(xb[j])
            maximum = xb[j]
        }
        var scale: Float = 0
        if amax >= 1e-15 {
            var d = -maximum / Float(values[0])
            var id = 1 / d
            var sumQX: Float = 0
            var sumQ2: Float = 0
            for j in 0..<32 {
                let l = bestIndex(values, id * xb[j])
                L[j] = l
                let q = Float(values[l])
                sumQX += weight[j] * q * xb[j]
                sumQ2 += weight[j] * q * q
            }
            d = sumQ2 > 0 ? sumQX / sumQ2 : 0
            var best = d * sumQX
            for trial in -ntry...ntry {
                id = (Float(trial) + Float(values[0])) / maximum
                sumQX = 0
                sumQ2 = 0
                for j in 0..<32 {
                    let q = Float(values[bestIndex(values, id * xb[j])])
                    sumQX += weight[j] * q * xb[j]
                    sumQ2 += weight[j] * q * q
                }
                if sumQ2 > 0 && sumQX * sumQX > best * sumQ2 {
                    d = sumQX / sumQ2
                    best = d * sumQX
                }
            }
            scale = d
        }
        store16(Half.f32ToF16(scale), y, out)
        // As ggml: the levels are chosen again with the final scale, also when it is 0
        // (then every value takes the level nearest 0).
        let id: Float = scale != 0 ? 1 / scale : 0
        for j in 0..<32 { L[j] = bestIndex(values, id * xb[j]) }
        for j in 0..<16 { y[out + 2 + j] = UInt8(L[j] | (L[j + 16] << 4)) }
    }

    /// Quantizes `rows` rows of `columns` values with an importance matrix (one value per column:
    /// the mean of x² over calibration tokens), as llama-quantize does with `--imatrix`
    /// (`quantize_q4_0`, `…q4_1`, `…q5_0`, `…q5_1`, `…iq4_nl`, `…q2_K`, `…q3_K`, `…q4_K`,
    /// `…q5_K`, `…q6_K` with quant_weights): Q4_1/Q5_1 and Q2_K fit a scale and a minimum per
    /// block with `make_qkx3_quants`, Q4_0/Q5_0, Q3_K and Q6_K a signed scale with
    /// `make_qx_quants`, and the K-quants then fit their sub-block scales to the super-block's
    /// with `make_qp_quants` (Q2_K, Q4_K, Q5_K) or `make_qx_quants` (Q3_K) instead of rounding.
    /// Other types use the plain reference quantizer, as ggml's Q8_0 does.
    public static func weighted(
        _ type: TensorType, _ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        importance: [Float], _ y: UnsafeMutableRawBufferPointer
    ) throws(Failure) {
        guard importance.count == columns else { throw .destinationSize(expected: columns, actual: importance.count) }
        let rowBytes = type.format.byteCount(elements: columns) ?? 0
        let blockBytes = type.format.bytesPerBlock
        guard y.count == rows * rowBytes else { throw .destinationSize(expected: rows * rowBytes, actual: y.count) }
        switch type {
        case .q4_0:
            _ = try check(x, y, blockBytes: blockBytes)
            weightedRows(x, rows: rows, columns: columns, importance: importance, nmax: 8) { r, b, d, L in
                let out = r * rowBytes + b * blockBytes
                store16(Half.f32ToF16(d), y, out)
                for j in 0..<16 { y[out + 2 + j] = UInt8(L[j]) | (UInt8(L[j + 16]) << 4) }
            }
        case .iq4_NL:
            _ = try check(x, y, blockBytes: blockBytes)
            // σ² from each 32-value block itself (`quantize_iq4_nl` calls the impl per block).
            forEachWeightedSuperBlock(
                x, rows: rows, columns: columns, importance: importance, rowBytes: rowBytes, blockBytes: blockBytes,
                size: 32, group: 32, sigmaScale: 2
            ) { xb, weights, _, out in
                iq4NLBlock(xb, weights: weights[0], into: y, at: out)
            }
        case .q5_0:
            _ = try check(x, y, blockBytes: blockBytes)
            weightedRows(x, rows: rows, columns: columns, importance: importance, nmax: 16) { r, b, d, L in
                let out = r * rowBytes + b * blockBytes
                store16(Half.f32ToF16(d), y, out)
                storeQ5Levels(y, qh: out + 2, qs: out + 6) { Int(L[$0]) }
            }
        case .q4_K, .q5_K:
            let nmax = type == .q4_K ? 15 : 31
            _ = try checkK(x, y, blockBytes: blockBytes)
            var L = [UInt8](repeating: 0, count: 256)
            forEachWeightedSuperBlock(
                x, rows: rows, columns: columns, importance: importance, rowBytes: rowBytes, blockBytes: blockBytes,
                group: 32, sigmaScale: 2
            ) { base, weights, sums, out in
                q45KWeightedBlock(base, nmax: nmax, weights: weights, sums: sums, levels: &L, y, at: out)
            }
        case .q2_K:
            _ = try checkK(x, y, blockBytes: blockBytes)
            var L = [UInt8](repeating: 0, count: 256)
            forEachWeightedSuperBlock(
                x, rows: rows, columns: columns, importance: importance, rowBytes: rowBytes, blockBytes: blockBytes,
                group: 16, sigmaScale: 1
            ) { base, weights, sums, out in
                var scales = [Float](repeating: 0, count: 16)
                var mins = [Float](repeating: 0, count: 16)
                for j in 0..<16 {
                    (scales[j], mins[j]) = makeQKX2(
                        base + 16 * j, n: 16, nmax: 3, weights: weights[j], levels: &L, offset: 16 * j,
                        rmin: -0.9, rdelta: 0.05, nstep: 36)
                }
                let (d, ls) = makeQP(scales, nmax: 15, weights: sums)
                let (dmin, lm) = makeQP(mins, nmax: 15, weights: sums)
                storeQ2K(packed: (0..<16).map { ls[$0] | (lm[$0] << 4) }, d: d, dmin: dmin, base, levels: &L, y, at: out)
            }
        case .q3_K:
            _ = try checkK(x, y, blockBytes: blockBytes)
            var L = [Int8](repeating: 0, count: 256)
            var scaleLevels = [Int8](repeating: 0, count: 16)
            forEachWeightedSuperBlock(
                x, rows: rows, columns: columns, importance: importance, rowBytes: rowBytes, blockBytes: blockBytes,
                group: 16, sigmaScale: 2
            ) { base, weights, sums, out in
                var scales = [Float](repeating: 0, count: 16)
                for j in 0..<16 {
                    scales[j] = makeQX(base + 16 * j, n: 16, nmax: 4, levels: &L, offset: 16 * j, weights: weights[j])
                }
                // The sixteen scales get levels 0…63 (scale + 32) from the same weighted search.
                let d = scales.withUnsafeBufferPointer { makeQX($0.baseAddress!, n: 16, nmax: 32, levels: &scaleLevels, offset: 0, weights: sums) }
                storeQ3K(scaleLevels: scaleLevels.map(Int.init), d: d, base, levels: &L, y, at: out)
            }
        case .q4_1, .q5_1:
            let nmax = type == .q4_1 ? 15 : 31
            _ = try check(x, y, blockBytes: blockBytes)
            var L = [UInt8](repeating: 0, count: 32)
            forEachWeightedBlock(x, rows: rows, columns: columns, importance: importance) { r, b, xb, weights in
                let (d, negativeMin) = makeQKX2(xb, n: 32, nmax: nmax, weights: weights, levels: &L, offset: 0, rmin: -0.9, rdelta: 0.05, nstep: 36)
                let out = r * rowBytes + b * blockBytes
                store16(Half.f32ToF16(d), y, out)
                store16(Half.f32ToF16(-negativeMin), y, out + 2)
                if nmax == 15 {
                    for j in 0..<16 { y[out + 4 + j] = L[j] | (L[j + 16] << 4) }
                } else {
                    storeQ5Levels(y, qh: out + 4, qs: out + 8) { Int(L[$0]) }
                }
            }
        case .q6_K:
            _ = try checkK(x, y, blockBytes: blockBytes)
            for r in 0..<rows {
                q6KBlocks(x.baseAddress! + r * columns, blocks: columns / 256, importance: importance, y, at: r * rowBytes)
            }
        default:
            guard let plain = function(for: type) else { throw .destinationSize(expected: 0, actual: y.count) }
            try plain(x, y)
        }
    }

    /// The weighted search of `quantize_row_q4_0_impl`/`…q5_0_impl`: per row σ² = mean x², per
    /// 32-value block weights importance·√(σ² + x²) and `make_qx_quants`; `pack` stores a block.
    static func weightedRows(
        _ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int, importance: [Float], nmax: Int,
        pack: (_ row: Int, _ block: Int, _ scale: Float, _ levels: [Int8]) -> Void
    ) {
        var L = [Int8](repeating: 0, count: 32)
        forEachWeightedBlock(x, rows: rows, columns: columns, importance: importance) { r, b, xb, weights in
            let d = makeQX(xb, n: 32, nmax: nmax, levels: &L, offset: 0, weights: weights)
            pack(r, b, d, L)
        }
    }

    /// The 32-value blocks of each row with ggml's weights for them: importance·√(σ² + x²), σ²
    /// the row's mean x² (`quantize_row_q4_0_impl` … `q5_1_impl`).
    static func forEachWeightedBlock(
        _ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int, importance: [Float],
        _ body: (_ row: Int, _ block: Int, _ values: UnsafePointer<Float>, _ weights: [Float]) -> Void
    ) {
        for r in 0..<rows {
            let row = x.baseAddress! + r * columns
            var sumX2: Float = 0
            for j in 0..<columns { sumX2 += row[j] * row[j] }
            let sigma2 = sumX2 / Float(columns)
            for b in 0..<(columns / 32) {
                let xb = row + 32 * b
                body(r, b, xb, (0..<32).map { importance[32 * b + $0] * (sigma2 + xb[$0] * xb[$0]).squareRoot() })
            }
        }
    }

    /// `make_qp_quants`: non-negative values (sub-block scales or minimums) to levels 0…nmax
    /// with a weighted search, returning the super-block scale.
    static func makeQP(_ x: [Float], nmax: Int, weights: [Float]) -> (scale: Float, levels: [UInt8]) {
        let n = x.count
        var maximum: Float = 0
        for v in x { maximum = max(maximum, v) }
        if maximum < 1e-15 { return (0, [UInt8](repeating: 0, count: n)) }
        var iscale = Float(nmax) / maximum
        var L = x.map { nearestInt(iscale * $0) }
        let scale = 1 / iscale
        var bestMSE: Float = 0
        for i in 0..<n {
            let diff = x[i] - scale * Float(L[i])
            bestMSE += weights[i] * diff * diff
        }
        for step in -4...4 where step != 0 {
            let candidate = (0.1 * Float(step) + Float(nmax)) / maximum
            let candidateScale = 1 / candidate
            var mse: Float = 0
            for i in 0..<n {
                let l = min(nmax, nearestInt(candidate * x[i]))
                let diff = x[i] - candidateScale * Float(l)
                mse += weights[i] * diff * diff
            }
            if mse < bestMSE {
                bestMSE = mse
                iscale = candidate
            }
        }
        var sumLX: Float = 0
        var sumL2: Float = 0
        for i in 0..<n {
            let l = min(nmax, nearestInt(iscale * x[i]))
            L[i] = l
            sumLX += weights[i] * x[i] * Float(l)
            sumL2 += weights[i] * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = weights[i]
                var slx = sumLX - w * x[i] * Float(L[i])
                var sl2 = sumL2 - w * Float(L[i]) * Float(L[i])
                if slx > 0 && sl2 > 0 {
                    let newL = min(nmax, nearestInt(x[i] * sl2 / slx))
                    if newL != L[i] {
                        slx += w * x[i] * Float(newL)
                        sl2 += w * Float(newL) * Float(newL)
                        if slx * slx * sumL2 > sumLX * sumLX * sl2 {
                            L[i] = newL
                            sumLX = slx
                            sumL2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        return (sumL2 > 0 ? sumLX / sumL2 : 0, L.map { UInt8(truncatingIfNeeded: $0) })
    }

    /// The `size`-value super-blocks of each row (256 for the K-quants, 32 for IQ4_NL) with
    /// ggml's weights for their `group`-value sub-blocks, importance·√(σ² + x²) with
    /// σ² = `sigmaScale`·(the super-block's mean x²), and each sub-block's weight sum
    /// (`quantize_row_q2_K_impl` … `q5_K_impl`, `quantize_row_iq4_nl_impl`); `out` is where the
    /// super-block's bytes go.
    static func forEachWeightedSuperBlock(
        _ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int, importance: [Float], rowBytes: Int,
        blockBytes: Int, size: Int = 256, group: Int, sigmaScale: Float,
        _ body: (_ base: UnsafePointer<Float>, _ weights: [[Float]], _ sums: [Float], _ out: Int) -> Void
    ) {
        for r in 0..<rows {
            for i in 0..<(columns / size) {
                let base = x.baseAddress! + r * columns + size * i
                var sumX2: Float = 0
                for l in 0..<size { sumX2 += base[l] * base[l] }
                // The factors are powers of two, so this rounds as ggml's `2*sumx2/QK_K` and
                // IQ4_NL's `sigma2 *= 2.f/32` do.
                let sigma2 = sigmaScale * sumX2 / Float(size)
                let weights = (0..<(size / group)).map { j in
                    (0..<group).map { importance[size * i + group * j + $0] * (sigma2 + base[group * j + $0] * base[group * j + $0]).squareRoot() }
                }
                let sums = weights.map { w in
                    var sum: Float = 0
                    for v in w { sum += v }
                    return sum
                }
                body(base, weights, sums, r * rowBytes + i * blockBytes)
            }
        }
    }

    /// A Q4_K/Q5_K super-block with importance weights (`quantize_row_q4_K_impl`/`…q5_K_impl`):
    /// weighted sub-block fits, and the 6-bit scales and minimums fitted by `make_qp_quants`
    /// instead of rounding.
    static func q45KWeightedBlock(
        _ base: UnsafePointer<Float>, nmax: Int, weights: [[Float]], sums sw: [Float], levels L: inout [UInt8],
        _ y: UnsafeMutableRawBufferPointer, at out: Int
    ) {
        var scales = [Float](repeating: 0, count: 8)
        var mins = [Float](repeating: 0, count: 8)
        for j in 0..<8 {
            // ggml's make_qkx3_quants, which computes exactly what make_qkx2_quants does with
            // explicit weights and squared errors (its `max <= min` exit equals `max == min`
            // once min is clamped to at most 0).
            (scales[j], mins[j]) = makeQKX2(
                base + 32 * j, n: 32, nmax: nmax, weights: weights[j], levels: &L, offset: 32 * j,
                rmin: -0.9, rdelta: 0.05, nstep: 36)
        }
        let (dBlock, fittedScales) = makeQP(scales, nmax: 63, weights: sw)
        let (mBlock, fittedMins) = makeQP(mins, nmax: 63, weights: sw)
        let packed = pack6BitScalesMins(fittedScales.map { min(63, $0) }, fittedMins.map { min(63, $0) })
        storeScalesAndRequantize(d: dBlock, dmin: mBlock, packed: packed, base, nmax: nmax, levels: &L, y, at: out)
        packLevels(L, nmax: nmax, y, at: out)
    }
}
