import Foundation

/// The process's terminal: where output goes, how wide it is, whether to style and page it.
struct Terminal {
    let isTTY: Bool
    let environment: [String: String]

    static let current = Terminal(isTTY: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)

    /// Columns to render to: `--width` when given; else the terminal's width capped at 100 for
    /// prose; else $COLUMNS; else 80.
    func width(requested: Int?) -> Int {
        if let requested { return requested }
        var size = winsize()
        if isTTY, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return min(Int(size.ws_col), 100)
        }
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns >= 20 { return min(columns, 100) }
        return 80
    }

    var rows: Int {
        var size = winsize()
        if isTTY, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 { return Int(size.ws_row) }
        return 24
    }

    /// Writes text to standard output, through a pager when it is long and stdout is a terminal.
    func show(_ text: String, lineCount: Int, pager: Bool) {
        if pager && isTTY && lineCount > rows - 1 && page(text) { return }
        Output.write(text)
    }

    /// Pipes text into $PAGER (default `less -R`). Returns false when no pager could be started.
    /// The pager is spawned with posix_spawn in our own process group: it must stay in the
    /// terminal's foreground group to read keys (Foundation's Process would move it out, and the
    /// terminal would stop it).
    private func page(_ text: String) -> Bool {
        let command = environment["PAGER"].flatMap { $0.trimming(" ").isEmpty ? nil : $0 } ?? "less -R"
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return false }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, STDIN_FILENO)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (s: String) in strdup(s) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        close(readEnd)
        guard status == 0 else {
            close(writeEnd)
            return false
        }
        // A pager that quits early closes the pipe; SIGPIPE is ignored, so the write just fails.
        _ = Output.writeAll(text, to: writeEnd)
        close(writeEnd)
        var exitStatus: Int32 = 0
        while waitpid(pid, &exitStatus, 0) < 0 && errno == EINTR {}
        // The shell's 126/127: the pager could not be run at all, so show the text directly.
        let exited = exitStatus & 0x7F == 0
        let code = (exitStatus >> 8) & 0xFF
        return !(exited && (code == 126 || code == 127))
    }
}

enum Output {
    /// Ignore SIGPIPE so that `quantlab … | head` ends quietly instead of by signal.
    static func setUp() {
        signal(SIGPIPE, SIG_IGN)
    }

    static func write(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    static func error(_ text: String) {
        write(text.hasSuffix("\n") ? text : text + "\n", to: STDERR_FILENO)
    }

    private static func write(_ text: String, to fd: Int32) {
        // The reader went away (EPIPE): nothing more to say to it.
        if !writeAll(text, to: fd) && errno == EPIPE { exit(0) }
    }

    /// Writes all of `text`, retrying short writes and EINTR. False (errno set) when the
    /// descriptor refuses more.
    static func writeAll(_ text: String, to fd: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            bytes = bytes.dropFirst(written)
        }
        return true
    }
}

/// A spinner with the elapsed seconds on standard error while slow work runs, only when standard
/// error is a terminal (pipes and CI logs stay clean). The line is erased when the work ends.
enum Spinner {
    static func run<T>(_ message: String, _ work: () throws -> T) rethrows -> T {
        guard isatty(STDERR_FILENO) == 1 else { return try work() }
        let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
        let start = DispatchTime.now().uptimeNanoseconds
        nonisolated(unsafe) var frame = 0
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "quantlab.spinner"))
        timer.setEventHandler {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            FileHandle.standardError.write(Data("\r\(frames[frame % frames.count]) \(message) \(String(format: "%.1f", seconds)) s ".utf8))
            frame += 1
        }
        timer.schedule(deadline: .now() + .milliseconds(150), repeating: .milliseconds(100))
        timer.resume()
        defer {
            timer.cancel()
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        }
        return try work()
    }
}
