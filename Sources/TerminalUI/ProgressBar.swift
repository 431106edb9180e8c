/// The one progress bar of QuantLab's output: quiz scores, the progress view and batch grading.
public enum ProgressBar {
    /// `width` cells: █ for each share of `fraction` reached (rounded), ░ for the rest.
    public static func bar(_ fraction: Double, width: Int = 10) -> String {
        let filled = max(0, min(width, Int((fraction.isFinite ? fraction : 0) * Double(width) + 0.5)))
        return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    }

    /// "████░░ 3/10 · 12 s elapsed · about 28 s left": a bar of work done with the time it took
    /// and a linear estimate of the time left.
    public static func line(done: Int, total: Int, elapsed: Double, width: Int = 30) -> String {
        "\(bar(total == 0 ? 1 : Double(done) / Double(total), width: width)) \(done)/\(total) · \(duration(elapsed)) elapsed · about \(duration(timeLeft(done: done, total: total, elapsed: elapsed))) left"
    }

    /// Seconds left at the pace so far (0 before anything is done).
    public static func timeLeft(done: Int, total: Int, elapsed: Double) -> Double {
        done == 0 ? 0 : elapsed / Double(done) * Double(max(0, total - done))
    }

    /// "42 s", "3 min 5 s".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60) min \(s % 60) s" : "\(s) s"
    }
}
