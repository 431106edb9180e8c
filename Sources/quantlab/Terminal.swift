import Foundation
import TerminalUI

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
    private func page(_ text: String) -> Bool {
        let command = environment["PAGER"].flatMap { $0.trimming(" ").isEmpty ? nil : $0 } ?? "less -R"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardInput = pipe
        do {
            try process.run()
        } catch {
            return false
        }
        let data = Data(text.utf8)
        // A pager that quits early closes the pipe; SIGPIPE is ignored, so the write just fails.
        try? pipe.fileHandleForWriting.write(contentsOf: data)
        try? pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        return true
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
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                // The reader went away (EPIPE): nothing more to say to it.
                if errno == EPIPE { exit(0) }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
