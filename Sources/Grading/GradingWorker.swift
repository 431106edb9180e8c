import CourseContent
import Exercises
import Foundation
import Quantizers

/// What `grade exercises` asks a worker process (`quantlab grade worker`) to measure, as a JSON file.
public struct WorkerJob: Codable, Sendable {
    public var course: String
    public var exercise: String
    public var settings: String
    public var file: String
    public var measureSpeed: Bool
    public var threads: Int
    public var cache: String
    public var fresh: Bool
    public var memoryLimitMiB: Int
    public var modelDigest: String
}

/// What a worker answers, as a JSON file: a measurement, or whose fault it is that there is none.
public struct WorkerResult: Codable, Sendable {
    public var measurement: ExerciseMeasurement?
    /// The submission's own fault: its settings do not fit the exercise or the model (status invalid).
    public var invalid: String?
    /// Not the submission's fault: a course file, the model, the machine (status error).
    public var failed: String?

    public init(measurement: ExerciseMeasurement? = nil, invalid: String? = nil, failed: String? = nil) {
        self.measurement = measurement
        self.invalid = invalid
        self.failed = failed
    }
}

/// The worker's side of the protocol.
public enum GradingWorker {
    /// Reads a job file; a file that cannot be read is a tool failure (the parent wrote it).
    public static func job(at path: String) throws(Fault) -> WorkerJob {
        do {
            return try JSONDecoder().decode(WorkerJob.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .tool("cannot read the worker job \(path): \(error)")
        }
    }

    /// Caps the process's address space and ends it (exit 70) when its parent is gone, so that
    /// a worker of a killed `grade exercises` does not keep running.
    public static func confine(memoryLimitMiB: Int) {
        #if os(Linux)
            var limit = rlimit(rlim_cur: rlim_t(memoryLimitMiB) << 20, rlim_max: rlim_t(memoryLimitMiB) << 20)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
        #endif
        let parent = getppid()
        Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                if getppid() != parent { exit(70) }
            }
        }.start()
    }

    /// Measures the job's submission; every failure is mapped to whose fault it is.
    public static func answer(_ job: WorkerJob) throws(Fault) -> WorkerResult {
        do {
            let root = URL(fileURLWithPath: job.course)
            let exercise = try Exercise.find(job.exercise, in: root)
            let recipe = try ExerciseRunner.recipe(settings: job.settings, file: job.file, exercise: exercise)
            let (measurement, _) = try ExerciseRunner.measure(
                exercise, recipe: recipe, courseRoot: root, cacheDirectory: job.cache, fresh: job.fresh,
                measureSpeed: job.measureSpeed, modelDigest: job.modelDigest, threads: job.threads)
            return WorkerResult(measurement: measurement)
        } catch let problem as CourseProblem where problem.file == job.file {
            // A problem in the submission's own file is the learner's (status invalid) …
            return WorkerResult(invalid: problem.description)
        } catch let problem as CourseProblem {
            // … one in any other file (a course text, the model, an exercise spec) is not.
            return WorkerResult(failed: "not the submission's fault: \(problem)")
        } catch let error as QuantizerError {
            return WorkerResult(invalid: "the settings do not fit the reference model: \(error)")
        } catch {
            throw .tool("\(error)")
        }
    }

    /// Writes the answer where the parent reads it.
    public static func write(_ result: WorkerResult, to path: String) throws(Fault) {
        do {
            try JSON.compact.encode(result).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .tool("cannot write \(path): \(error)")
        }
    }
}
