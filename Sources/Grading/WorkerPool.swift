import CourseContent
import Dispatch
import Exercises
import Foundation

/// A new folder only this user can use (mkdtemp, mode 0700), so other users on a shared machine
/// cannot plant files where the grader reads or writes.
public func privateTemporaryDirectory(_ prefix: String) throws(Fault) -> String {
    var template = Array(FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-XXXXXX").path.utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw .tool("cannot create a temporary folder in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}

/// Runs jobs in worker processes (this very binary, `grade worker`), `workers` at a time, each
/// under a time limit; the worker caps its own memory (`GradingWorker.confine`).
final class WorkerPool: @unchecked Sendable {
    enum Outcome {
        case measured(ExerciseMeasurement)
        case failed(ExerciseGradebook.Status, String)
    }

    let jobs: [ExerciseClassGrading.Job]
    let workers: Int
    let timeout: Int
    /// Every worker's job file, less the exercise, settings and file name of its submission.
    let template: WorkerJob
    private let lock = NSLock()
    private var next = 0

    init(jobs: [ExerciseClassGrading.Job], workers: Int, timeout: Int, template: WorkerJob) {
        self.jobs = jobs
        self.workers = workers
        self.timeout = timeout
        self.template = template
    }

    /// Calls `finished` (one at a time, under a lock) as each job ends.
    func run(_ finished: @escaping (ExerciseClassGrading.Job, Outcome, Double) -> Void) {
        nonisolated(unsafe) let finished = finished
        let group = DispatchGroup()
        guard let folder = try? privateTemporaryDirectory("quantlab-workers") else {
            for job in jobs { finished(job, .failed(.error, "cannot create a temporary folder for the workers"), 0) }
            return
        }
        let scratch = URL(fileURLWithPath: folder)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for w in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while true {
                    lock.lock()
                    guard next < jobs.count else {
                        lock.unlock()
                        return
                    }
                    let job = jobs[next]
                    next += 1
                    lock.unlock()
                    let start = DispatchTime.now().uptimeNanoseconds
                    let outcome = runWorker(job, scratch: scratch.appendingPathComponent("w\(w)"))
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    lock.lock()
                    finished(job, outcome, seconds)
                    lock.unlock()
                }
            }
            thread.start()
        }
        group.wait()
    }

    private func runWorker(_ job: ExerciseClassGrading.Job, scratch: URL) -> Outcome {
        let fm = FileManager.default
        try? fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        let jobFile = scratch.appendingPathComponent("job.json")
        let resultFile = scratch.appendingPathComponent("result.json")
        let errorFile = scratch.appendingPathComponent("stderr.txt")
        try? fm.removeItem(at: resultFile)
        var spec = template
        (spec.exercise, spec.settings, spec.file) = (job.exercise.id, job.settings, job.units[0].submission.file)
        guard let data = try? JSONEncoder().encode(spec), (try? data.write(to: jobFile)) != nil,
            fm.createFile(atPath: errorFile.path, contents: nil), let errors = FileHandle(forWritingAtPath: errorFile.path)
        else {
            return .failed(.error, "cannot write the worker's files in \(scratch.path)")
        }
        defer { try? errors.close() }
        let process = Process()
        // This very binary, even if a rebuild replaced the file since the run started.
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["grade", "worker", "--job", jobFile.path, "--result", resultFile.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        do {
            try process.run()
        } catch {
            return .failed(.error, "cannot start a worker process: \(error.localizedDescription)")
        }
        if ended.wait(timeout: .now() + .seconds(timeout)) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            ended.wait()
            return .failed(
                .timeout, "stopped after the \(timeout) s limit; settings that need this long (e.g. many calibration samples) cannot be graded in this run")
        }
        if process.terminationReason == .uncaughtSignal {
            let signal = process.terminationStatus
            return .failed(
                .error,
                "the worker was killed by signal \(signal)\([SIGKILL, SIGABRT, SIGTRAP, SIGSEGV, SIGILL, SIGBUS].contains(signal) ? " (it may have reached the \(template.memoryLimitMiB) MiB memory cap)" : "")"
            )
        }
        guard let bytes = try? Data(contentsOf: resultFile), let result = try? JSON.decoder.decode(WorkerResult.self, from: bytes) else {
            let stderr = (try? String(contentsOf: errorFile, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            return .failed(.error, "the worker exited with status \(process.terminationStatus) and no result\(stderr.isEmpty ? "" : ": \(stderr)")")
        }
        if let measurement = result.measurement { return .measured(measurement) }
        if let failed = result.failed { return .failed(.error, failed) }
        return .failed(.invalid, result.invalid ?? "the worker returned nothing")
    }
}
