import TerminalUI
import Testing

@Suite struct ProgressBarTests {
    @Test func barRoundsToTheNearestCell() {
        #expect(ProgressBar.bar(0) == "░░░░░░░░░░")
        #expect(ProgressBar.bar(0.75) == "████████░░")  // 7.5 cells → 8
        #expect(ProgressBar.bar(0.74) == "███████░░░")
        #expect(ProgressBar.bar(1) == "██████████")
        #expect(ProgressBar.bar(1.5) == "██████████")
        #expect(ProgressBar.bar(-1) == "░░░░░░░░░░" && ProgressBar.bar(.nan, width: 3) == "░░░")
        #expect(ProgressBar.bar(0.5, width: 4) == "██░░")
    }

    /// Done, total, elapsed time and the linear estimate of what is left.
    @Test func lineShowsCountsAndTimes() {
        #expect(ProgressBar.line(done: 3, total: 12, elapsed: 30, width: 4) == "█░░░ 3/12 · 30 s elapsed · about 1 min 30 s left")
        #expect(ProgressBar.line(done: 0, total: 5, elapsed: 2, width: 2) == "░░ 0/5 · 2 s elapsed · about 0 s left")
        #expect(ProgressBar.line(done: 0, total: 0, elapsed: 0, width: 2) == "██ 0/0 · 0 s elapsed · about 0 s left")
        #expect(ProgressBar.duration(59.4) == "59 s" && ProgressBar.duration(125) == "2 min 5 s")
    }
}
