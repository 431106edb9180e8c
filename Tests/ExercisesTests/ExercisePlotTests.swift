import Foundation
import TestSupport
import Testing

@testable import Exercises

@Suite struct ExercisePlotTests {
    @Test func theFrontierKeepsPointsNothingBeatsOnBothAxes() {
        // (bits, kld): b is beaten by a (fewer bits, lower KLD); d ties c on bits but has a higher KLD.
        let points = [(bits: 4.0, kld: 0.01), (bits: 4.5, kld: 0.02), (bits: 8.0, kld: 0.0001), (bits: 3.0, kld: 0.05), (bits: 8.0, kld: 0.001)]
        #expect(ReferencePoint.frontier(points) == [0, 2, 3])
    }

    @Test func thePlotPlacesTheSubmissionAndNamesTheBetterReference() {
        let references = [
            ReferencePoint(label: "A", settings: "", blockBitsPerWeight: 4, meanKLD: 0.005, pplRatio: 1),
            ReferencePoint(label: "B", settings: "", blockBitsPerWeight: 8, meanKLD: 0.0001, pplRatio: 1),
        ]
        let behind = ExercisePlot.render(references: references, submission: (bits: 4.5, kld: 0.01))
        #expect(behind.filter { $0.contains("★") }.count == 2)  // the point and the legend
        #expect(behind.filter { $0.contains("◆") }.count == 3)  // two frontier points and the legend
        #expect(behind.last == "A reaches mean KLD 0.005000 with 4.00 bits per weight: your settings are behind the frontier.")
        let ahead = ExercisePlot.render(references: references, submission: (bits: 3, kld: 0.01))
        #expect(ahead.last == "No reference configuration is both smaller and more accurate: your settings are on the frontier.")
    }

    @Test func theCourseHasItsReferencePoints() throws {
        let points = try #require(ReferencePoint.load(courseRoot: TestPaths.repository))
        #expect(points.map(\.label) == ReferencePoint.configurations.map(\.label))
        // Exact storage: Q4_0 is 18 bytes per 32 weights, NF4 with double quantization ≈ 4.127.
        #expect(points.first { $0.label == "Q4_0" }?.blockBitsPerWeight == 4.5)
    }
}
