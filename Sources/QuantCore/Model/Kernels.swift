import CKernels
import Dispatch

/// Float kernels for the forward pass: pure functions over buffers. Every dot product is summed
/// in one fixed order (8 lanes over the row, then the lanes; see `ql_matmul_f32`), so a result
/// never depends on how rows are split between threads.
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

    /// Σ a[i]·b[i] in the engine's fixed order (eight fused multiply-add lanes, then the lanes in
    /// order, then the tail): one value of `matmul`, bit for bit.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        ql_dot_f32(Int32(n), a, b)
    }

    /// `output[t][o] = Σᵢ weights[o][i] · input[t][i]` for `count` input rows.
    /// weights: [rows, columns] row-major (ggml shape [columns, rows]); input: [count, columns];
    /// output: [count, rows]. Output rows are split across threads; every value equals
    /// `dot(weights[o], input[t], columns)` bit for bit (the C kernel keeps `dot`'s summation
    /// order, with AVX2 when the CPU has it), so neither threads nor CPU change a result.
    public static func matmul(
        weights: UnsafePointer<Float>, rows: Int, columns: Int,
        input: UnsafePointer<Float>, count: Int,
        output: UnsafeMutablePointer<Float>, threads: Int, scalar: Bool = false
    ) {
        let blocks = (rows + 15) / 16
        nonisolated(unsafe) let output = output
        parallelFor(blocks, threads: threads) { range in
            ql_matmul_f32(
                weights, Int32(columns), input, Int32(count), output, Int32(rows),
                Int32(range.lowerBound * 16), Int32(min(rows, range.upperBound * 16)), scalar ? 1 : 0)
        }
    }

    /// The same product over arrays: weights [rows, columns], input [count, columns], output
    /// [count, rows] (written in place; its size must be count · rows).
    public static func matmul(
        _ weights: [Float], rows: Int, columns: Int, input: [Float], count: Int,
        into output: inout [Float], threads: Int
    ) {
        precondition(weights.count >= rows * columns && input.count >= count * columns && output.count >= count * rows)
        weights.withUnsafeBufferPointer { w in
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    matmul(
                        weights: w.baseAddress!, rows: rows, columns: columns, input: x.baseAddress!, count: count,
                        output: y.baseAddress!, threads: threads)
                }
            }
        }
    }

    /// RMSNorm as ggml computes it: the mean square summed in double precision, then
    /// `x / sqrt(mean + eps) * weight`.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
        output: UnsafeMutablePointer<Float>
    ) {
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
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
