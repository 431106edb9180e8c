/// Reference quantizers for ggml's 32-element block types, following `quantize_row_*_ref` in
/// ggml-quants.c step for step (float32 arithmetic, the same rounding and clamping), so the
/// bytes equal what llama-quantize writes for the same input without an importance matrix.
/// Each takes `count` floats (a multiple of 32) and writes count/32 blocks to `destination`.
public enum Quantize {
    /// Why a quantizer refused its input.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case notBlockMultiple(count: Int, blockSize: Int)
        case destinationSize(expected: Int, actual: Int)
        case nonFinite(index: Int)

        public var description: String {
            switch self {
            case .notBlockMultiple(let count, let blockSize): "\(count) values is not a whole number of \(blockSize)-value blocks"
            case .destinationSize(let expected, let actual): "the destination holds \(actual) bytes; \(expected) are needed"
            case .nonFinite(let index): "value \(index) is not finite (NaN or infinity); quantization needs finite weights"
            }
        }
    }

    static func check(_ source: UnsafeBufferPointer<Float>, _ destination: UnsafeMutableRawBufferPointer, blockBytes: Int) throws(Failure) -> Int {
        guard source.count % 32 == 0 else { throw .notBlockMultiple(count: source.count, blockSize: 32) }
        let blocks = source.count / 32
        guard destination.count == blocks * blockBytes else { throw .destinationSize(expected: blocks * blockBytes, actual: destination.count) }
        if let bad = source.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(index: bad) }
        return blocks
    }

    @inline(__always) static func store16(_ value: UInt16, _ destination: UnsafeMutableRawBufferPointer, _ offset: Int) {
        destination[offset] = UInt8(truncatingIfNeeded: value)
        destination[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    /// C's `(int8_t)f`: truncation toward zero. A block whose scale underflows can make
    /// `x/d` infinite (or NaN for 0·∞); those saturate instead of trapping.
    @inline(__always) static func truncate(_ value: Float) -> Int {
        guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? 127 : -128) }
        return Swift.max(-128, Swift.min(127, Int(value.rounded(.towardZero))))
    }

    /// The value of largest magnitude (the first one on ties), as ggml picks `max`.
    @inline(__always) static func signedAbsMax(_ x: UnsafeBufferPointer<Float>, _ start: Int) -> Float {
        signedAbsMax(x.baseAddress! + start, count: 32)
    }

    /// The value of largest magnitude (the first of equal ones), 0 when all are 0.
    @inline(__always) static func signedAbsMax(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var amax: Float = 0
        var max: Float = 0
        for j in 0..<count where amax < abs(x[j]) {
            amax = abs(x[j])
            max = x[j]
        }
        return max
    }

    @inline(__always) static func minMax(_ x: UnsafeBufferPointer<Float>, _ start: Int) -> (Float, Float) {
        var lo = Float.greatestFiniteMagnitude
        var hi = -Float.greatestFiniteMagnitude
        // Strict comparisons keep the first of equal values, as ggml does (+0 before a later −0).
        for j in start..<(start + 32) {
            if x[j] < lo { lo = x[j] }
            if x[j] > hi { hi = x[j] }
        }
        return (lo, hi)
    }

    /// block_q8_0: d = amax/127, q = roundf(x/d).
    public static func q8_0(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let blocks = try check(x, y, blockBytes: TensorType.q8_0.format.bytesPerBlock)
        let stride = TensorType.q8_0.format.bytesPerBlock
        for i in 0..<blocks {
            var amax: Float = 0
            for j in 0..<32 { amax = Swift.max(amax, abs(x[i * 32 + j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            store16(Half.f32ToF16(d), y, i * stride)
            for j in 0..<32 {
                let q = truncate((x[i * 32 + j] * id).rounded(.toNearestOrAwayFromZero))
                y[i * stride + 2 + j] = UInt8(bitPattern: Int8(q))
            }
        }
    }

    /// block_q4_0: d = max/−8 (max = the value of largest magnitude), q = min(15, trunc(x/d + 8.5)).
    public static func q4_0(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let blocks = try check(x, y, blockBytes: TensorType.q4_0.format.bytesPerBlock)
        let stride = TensorType.q4_0.format.bytesPerBlock
        for i in 0..<blocks {
            let d = signedAbsMax(x, i * 32) / -8
            let id: Float = d != 0 ? 1 / d : 0
            store16(Half.f32ToF16(d), y, i * stride)
            for j in 0..<16 {
                let q0 = Swift.max(0, Swift.min(15, truncate(x[i * 32 + j] * id + 8.5)))
                let q1 = Swift.max(0, Swift.min(15, truncate(x[i * 32 + 16 + j] * id + 8.5)))
                y[i * stride + 2 + j] = UInt8(q0) | UInt8(q1) << 4
            }
        }
    }

    /// block_q4_1: d = (max − min)/15, m = min, q = min(15, trunc((x − min)/d + 0.5)).
    public static func q4_1(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let blocks = try check(x, y, blockBytes: TensorType.q4_1.format.bytesPerBlock)
        let stride = TensorType.q4_1.format.bytesPerBlock
        for i in 0..<blocks {
            let (lo, hi) = minMax(x, i * 32)
            let d = (hi - lo) / 15
            let id: Float = d != 0 ? 1 / d : 0
            store16(Half.f32ToF16(d), y, i * stride)
            store16(Half.f32ToF16(lo), y, i * stride + 2)
            for j in 0..<16 {
                let q0 = Swift.max(0, Swift.min(15, truncate((x[i * 32 + j] - lo) * id + 0.5)))
                let q1 = Swift.max(0, Swift.min(15, truncate((x[i * 32 + 16 + j] - lo) * id + 0.5)))
                y[i * stride + 4 + j] = UInt8(q0) | UInt8(q1) << 4
            }
        }
    }

    /// block_q5_0: d = max/−16, q = min(31, trunc(x/d + 16.5)); the fifth bits go to qh.
    public static func q5_0(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let blocks = try check(x, y, blockBytes: TensorType.q5_0.format.bytesPerBlock)
        let stride = TensorType.q5_0.format.bytesPerBlock
        for i in 0..<blocks {
            let d = signedAbsMax(x, i * 32) / -16
            let id: Float = d != 0 ? 1 / d : 0
            store16(Half.f32ToF16(d), y, i * stride)
            storeQ5Levels(y, qh: i * stride + 2, qs: i * stride + 6) { Swift.max(0, Swift.min(31, truncate(x[i * 32 + $0] * id + 16.5))) }
        }
    }

    /// block_q5_1: d = (max − min)/31, m = min, q = trunc((x − min)/d + 0.5); fifth bits in qh.
    public static func q5_1(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableRawBufferPointer) throws(Failure) {
        let blocks = try check(x, y, blockBytes: TensorType.q5_1.format.bytesPerBlock)
        let stride = TensorType.q5_1.format.bytesPerBlock
        for i in 0..<blocks {
            let (lo, hi) = minMax(x, i * 32)
            let d = (hi - lo) / 31
            let id: Float = d != 0 ? 1 / d : 0
            store16(Half.f32ToF16(d), y, i * stride)
            store16(Half.f32ToF16(lo), y, i * stride + 2)
            storeQ5Levels(y, qh: i * stride + 4, qs: i * stride + 8) { Swift.max(0, Swift.min(31, truncate((x[i * 32 + $0] - lo) * id + 0.5))) }
        }
    }

    /// Stores the 32 five-bit levels of a Q5_0/Q5_1 block: low nibbles in qs (value j with value
    /// j + 16 in one byte), fifth bits in the 32-bit qh (bit j for value j).
    @inline(__always) static func storeQ5Levels(_ y: UnsafeMutableRawBufferPointer, qh qhOffset: Int, qs qsOffset: Int, level: (Int) -> Int) {
        var qh: UInt32 = 0
        for j in 0..<16 {
            let q0 = level(j)
            let q1 = level(j + 16)
            y[qsOffset + j] = UInt8(q0 & 0x0F) | UInt8(q1 & 0x0F) << 4
            qh |= UInt32((q0 & 0x10) >> 4) << UInt32(j)
            qh |= UInt32((q1 & 0x10) >> 4) << UInt32(j + 16)
        }
        for b in 0..<4 { y[qhOffset + b] = UInt8(truncatingIfNeeded: qh >> UInt32(8 * b)) }
    }

    /// The reference quantizer of `type` (the format table's `quantize`).
    public static func function(for type: TensorType) -> TensorFormat.Quantizer? { type.format.quantize }
}
