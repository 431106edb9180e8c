import ArgumentParser
import CourseContent
import Exercises
import Foundation
import QuantCore

struct ExerciseReferences: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "references",
        abstract: "Measure the reference configurations the exercise reports plot (for course authors).",
        discussion:
            "Prints each configuration's bits per weight and mean KL divergence on 32 evaluation chunks; --write stores them in exercises/reference-points.json, which check-course verifies."
    )

    @OptionGroup var course: CourseOptions
    @Flag(help: "Write exercises/reference-points.json.") var write = false

    func run() throws {
        let course = try course.loadCourse()
        let points: [ReferencePoint]
        do {
            points = try ReferencePoint.measure(
                courseRoot: course.root, cacheDirectory: BaseLogitsCache.defaultDirectory(),
                threads: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw fail(.input("\(error)"))
        }
        for p in points {
            Output.write(
                p.label.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + String(format: "%7.3f bits  KLD %.6f  PPL ratio %.6f\n", p.blockBitsPerWeight, p.meanKLD, p.pplRatio))
        }
        if write {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(points).write(to: ReferencePoint.file(in: course.root), options: .atomic)
            Output.write("wrote \(ReferencePoint.file(in: course.root).path)\n")
        }
    }
}
