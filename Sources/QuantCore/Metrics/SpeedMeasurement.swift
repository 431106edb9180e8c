import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A timed comparison of a candidate workload against a baseline, measured in one process by
/// `SpeedMeasurement.compare`. Every figure here is *timed*: it differs from run to run and
/// never enters a cache key, a journal key or a field that reruns compare byte for byte.
public struct SpeedComparison: Sendable, Codable, Equatable {
    /// Baseline/candidate pairs timed.
    public var pairs: Int
    /// Geometric mean of the per-pair speed-ups (baseline time / candidate time, thread CPU
    /// time): the point estimate a grade uses, and always the centre of the interval below (a
    /// median could lie outside it).
    public var speedup: Double
    /// The 95% confidence interval of the speed-up: Student's t over the per-pair log ratios
    /// (so the interval is symmetric in log space and a 2× speed-up and a 2× slow-down are
    /// equally far from 1).
    public var lower: Double
    public var upper: Double
    /// Median of the per-pair speed-ups by wall-clock time (reported, not graded).
    public var wallSpeedup: Double
    /// Median thread CPU seconds of one run of each workload.
    public var baselineSeconds: Double
    public var candidateSeconds: Double
    /// Whether the interval narrowed to the policy's width before the pair cap.
    public var converged: Bool

    public init(
        pairs: Int, speedup: Double, lower: Double, upper: Double, wallSpeedup: Double, baselineSeconds: Double,
        candidateSeconds: Double, converged: Bool
    ) {
        self.pairs = pairs
        self.speedup = speedup
        self.lower = lower
        self.upper = upper
        self.wallSpeedup = wallSpeedup
        self.baselineSeconds = baselineSeconds
        self.candidateSeconds = candidateSeconds
        self.converged = converged
    }

    /// Where `target` lies for an "at least" (or "at most") check: the interval clears it, lies
    /// wholly on the wrong side of it, or straddles it.
    public enum Verdict: String, Sendable, Codable { case pass, fail, inconclusive }

    public func verdict(atLeast target: Double) -> Verdict { Self.verdict(lower: lower, upper: upper, atLeast: target) }

    public static func verdict(lower: Double, upper: Double, atLeast target: Double) -> Verdict {
        lower >= target ? .pass : upper < target ? .fail : .inconclusive
    }

    public static func verdict(lower: Double, upper: Double, atMost target: Double) -> Verdict {
        upper <= target ? .pass : lower > target ? .fail : .inconclusive
    }

    /// Half the interval's width relative to its centre, e.g. 0.04 for ±4%.
    public var relativeHalfWidth: Double { lower > 0 ? (upper / lower).squareRoot() - 1 : .infinity }
}

/// The one place QuantLab measures speed. Baseline and candidate alternate (B C, C B, B C, …, so
/// drift and cache warmth favour neither), each run is timed by the calling thread's CPU time
/// (what grades use: time the thread spent running, so another process taking the core does not
/// count) and by wall time (reported), and pairs continue until the 95% interval of the
/// speed-up is within ±`halfWidth` or `maximumPairs` are done.
public enum SpeedMeasurement {
    public struct Policy: Sendable, Equatable {
        public var minimumPairs: Int
        public var maximumPairs: Int
        /// Stop once the interval is within ±this fraction of its centre.
        public var halfWidth: Double
        public init(minimumPairs: Int, maximumPairs: Int, halfWidth: Double) {
            precondition(minimumPairs >= 2 && maximumPairs >= minimumPairs && halfWidth > 0)
            self.minimumPairs = minimumPairs
            self.maximumPairs = maximumPairs
            self.halfWidth = halfWidth
        }
        /// What grades use: at least 5 pairs, stop at ±5% or 30 pairs.
        public static let standard = Policy(minimumPairs: 5, maximumPairs: 30, halfWidth: 0.05)
    }

    /// Seconds one run took: thread CPU time and wall time.
    public struct Timing: Sendable, Equatable {
        public var cpu: Double
        public var wall: Double
        public init(cpu: Double, wall: Double) {
            self.cpu = cpu
            self.wall = wall
        }
    }

    /// Runs `body` once and times it; tests pass a clock of their own.
    public typealias Clock = @Sendable (_ body: () -> Void) -> Timing

    /// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) and the monotonic wall clock.
    public static let threadClock: Clock = { body in
        let cpu0 = threadCPUSeconds()
        let wall0 = DispatchTime.now().uptimeNanoseconds
        body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9
        return Timing(cpu: threadCPUSeconds() - cpu0, wall: wall)
    }

    /// Wall time only (reported as both): for multi-threaded workloads, whose work the calling
    /// thread's CPU time does not see.
    public static let wallClock: Clock = { body in
        let wall0 = DispatchTime.now().uptimeNanoseconds
        body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9
        return Timing(cpu: wall, wall: wall)
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Times `candidate` against `baseline` (each called once untimed first, to warm caches and
    /// page in memory). Both must do the same work on every call. Single-threaded workloads
    /// only: the clock counts the calling thread's CPU time.
    public static func compare(
        baseline: @escaping () -> Void, candidate: @escaping () -> Void, policy: Policy = .standard,
        clock: Clock = threadClock
    ) -> SpeedComparison {
        baseline()
        candidate()
        var base: [Timing] = []
        var cand: [Timing] = []
        var interval = (centre: 0.0, lower: 0.0, upper: Double.infinity)
        var converged = false
        while base.count < policy.maximumPairs {
            if base.count % 2 == 0 {
                base.append(clock(baseline))
                cand.append(clock(candidate))
            } else {
                cand.append(clock(candidate))
                base.append(clock(baseline))
            }
            guard base.count >= policy.minimumPairs else { continue }
            interval = confidenceInterval(zip(base, cand).map { ratio($0.cpu, $1.cpu) })
            if interval.lower > 0, (interval.upper / interval.lower).squareRoot() - 1 <= policy.halfWidth {
                converged = true
                break
            }
        }
        let wallRatios = zip(base, cand).map { ratio($0.wall, $1.wall) }
        return SpeedComparison(
            pairs: base.count, speedup: interval.centre, lower: interval.lower, upper: interval.upper,
            wallSpeedup: median(wallRatios), baselineSeconds: median(base.map(\.cpu)),
            candidateSeconds: median(cand.map(\.cpu)), converged: converged)
    }

    /// baseline / candidate, with a zero-length candidate run (a clock too coarse for it)
    /// counted as the clock's resolution.
    static func ratio(_ baseline: Double, _ candidate: Double) -> Double {
        baseline / max(candidate, 1e-9)
    }

    /// The geometric mean of `ratios` and its 95% interval: Student's t over their logarithms.
    static func confidenceInterval(_ ratios: [Double]) -> (centre: Double, lower: Double, upper: Double) {
        let logs = ratios.map { log(max($0, 1e-12)) }
        let n = Double(logs.count)
        let mean = logs.reduce(0, +) / n
        let variance = logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let half = tQuantile975(degreesOfFreedom: logs.count - 1) * (variance / n).squareRoot()
        return (exp(mean), exp(mean - half), exp(mean + half))
    }

    /// The 97.5th percentile of Student's t distribution (two-sided 95%), for 1–40 degrees of
    /// freedom from the standard table (e.g. NIST/SEMATECH e-Handbook of Statistical Methods,
    /// table 1.3.6.7.2); beyond 40 the normal quantile 1.960 is within 2%.
    static func tQuantile975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
            2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
            2.040, 2.037, 2.035, 2.032, 2.030, 2.028, 2.026, 2.024, 2.023, 2.021,
        ]
        precondition(df >= 1)
        return df <= table.count ? table[df - 1] : 1.960
    }

    /// The middle value; the mean of the two middle values of an even count.
    public static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
