import Dispatch

/// Float kernels for the forward pass: pure functions over buffers. Every dot product is summed
/// in one fixed order (8 SIMD lanes over the row, then the lanes), so a result never depends on
/// how rows are split between threads.
public enum Kernels {
    /// Runs `body(index)` for `0..<count` on up to `threads` threads. Work is split into
    /// contiguous ranges; callers write disjoint outputs, so the split cannot change results.
    public static func parallelFor(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(threads, count))
        if workers == 1 {
            body(0..<count)
            return
        }
        let chunk = (count + workers - 1) / workers
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = worker * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }

    /// The reference dot product: a plain loop (used by tests as the scalar twin).
    public static func dotScalar(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var sum: Float = 0
        for i in 0..<n { sum += a[i] * b[i] }
        return sum
    }

    /// Dot product with 8 partial sums.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 8 <= n {
            let va = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let vb = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc += va * vb
            i += 8
        }
        var tail: Float = 0
        while i < n {
            tail += a[i] * b[i]
            i += 1
        }
        return acc.sum() + tail
    }

    /// `output[t][o] = Σᵢ weights[o][i] · input[t][i]` for `count` input rows.
    /// weights: [rows, columns] row-major (ggml shape [columns, rows]); input: [count, columns];
    /// output: [count, rows]. Output rows are split across threads.
    public static func matmul(weights: UnsafePointer<Float>, rows: Int, columns: Int,
                              input: UnsafePointer<Float>, count: Int,
                              output: UnsafeMutablePointer<Float>, threads: Int) {
        let blocks = (rows + 15) / 16
        nonisolated(unsafe) let output = output
        parallelFor(blocks, threads: threads) { range in
            for block in range {
                let first = block * 16
                let last = min(rows, first + 16)
                var t = 0
                // Four input rows at a time share each load of a weight row.
                while t + 4 <= count {
                    let x0 = input + t * columns, x1 = x0 + columns, x2 = x1 + columns, x3 = x2 + columns
                    for o in first..<last {
                        let w = weights + o * columns
                        let d = dot4(w, x0, x1, x2, x3, columns)
                        output[t * rows + o] = d.0
                        output[(t + 1) * rows + o] = d.1
                        output[(t + 2) * rows + o] = d.2
                        output[(t + 3) * rows + o] = d.3
                    }
                    t += 4
                }
                while t < count {
                    let x = input + t * columns
                    for o in first..<last { output[t * rows + o] = dot(weights + o * columns, x, columns) }
                    t += 1
                }
            }
        }
    }

    /// Four dot products against one weight row; each equals `dot(w, xₖ, n)` bit for bit.
    @inline(__always)
    static func dot4(_ w: UnsafePointer<Float>, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
                     _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>, _ n: Int) -> (Float, Float, Float, Float) {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        let rw = UnsafeRawPointer(w)
        let r0 = UnsafeRawPointer(x0), r1 = UnsafeRawPointer(x1), r2 = UnsafeRawPointer(x2), r3 = UnsafeRawPointer(x3)
        var i = 0
        while i + 8 <= n {
            let offset = i * 4
            let vw = rw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            a0 += vw * r0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            a1 += vw * r1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            a2 += vw * r2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            a3 += vw * r3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            i += 8
        }
        var t0: Float = 0, t1: Float = 0, t2: Float = 0, t3: Float = 0
        while i < n {
            t0 += w[i] * x0[i]
            t1 += w[i] * x1[i]
            t2 += w[i] * x2[i]
            t3 += w[i] * x3[i]
            i += 1
        }
        return (a0.sum() + t0, a1.sum() + t1, a2.sum() + t2, a3.sum() + t3)
    }

    /// RMSNorm as ggml computes it: the mean square summed in double precision, then
    /// `x / sqrt(mean + eps) * weight`.
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
                               output: UnsafeMutablePointer<Float>) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<count { output[i] = x[i] * scale * weight[i] }
    }

    /// In-place softmax over `count` values (max subtracted first, sum in double precision).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, x[i]) }
        var sum: Double = 0
        for i in 0..<count {
            let e = expf(x[i] - maximum)
            x[i] = e
            sum += Double(e)
        }
        let inverse = Float(1 / sum)
        for i in 0..<count { x[i] *= inverse }
    }

    /// SiLU(x) = x · σ(x).
    @inline(__always)
    public static func silu(_ x: Float) -> Float {
        x / (1 + expf(-x))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
