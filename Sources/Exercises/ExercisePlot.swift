import CourseContent
import Foundation

/// Reference configurations measured on the reference model (32 evaluation chunks, as the
/// exercises use), stored in `exercises/reference-points.json` and re-measured by check-course,
/// so the report can place a submission among them.
public struct ReferencePoint: Sendable, Equatable, Codable {
    public var label: String
    public var settings: String
    public var blockBitsPerWeight: Double
    public var meanKLD: Double
    public var pplRatio: Double

    /// Fast configurations (no calibration) across the methods of the course.
    public static let configurations: [(label: String, settings: String)] = [
        ("RTN 8-bit per row", "method = \"rtn\"\nbits = 8\ngranularity = \"channel\"\n"),
        ("RTN 4-bit g64", "method = \"rtn\"\nbits = 4\ngroup_size = 64\n"),
        ("RTN 4-bit g64 asym", "method = \"rtn\"\nbits = 4\ngroup_size = 64\nsymmetric = false\n"),
        ("RTN 3-bit g64", "method = \"rtn\"\nbits = 3\ngroup_size = 64\n"),
        ("RTN 2-bit g32 asym", "method = \"rtn\"\nbits = 2\ngroup_size = 32\nsymmetric = false\n"),
        ("Q8_0", "method = \"gguf\"\ntype = \"q8_0\"\n"),
        ("Q5_K_M", "method = \"gguf\"\npreset = \"q5_k_m\"\n"),
        ("Q4_K_M", "method = \"gguf\"\npreset = \"q4_k_m\"\n"),
        ("Q4_0", "method = \"gguf\"\ntype = \"q4_0\"\n"),
        ("Q3_K_M", "method = \"gguf\"\npreset = \"q3_k_m\"\n"),
        ("NF4 + DQ", "method = \"bnb_4bit\"\nquant_type = \"nf4\"\ndouble_quant = true\n"),
    ]

    public static let chunks = 32

    public static func file(in courseRoot: URL) -> URL {
        courseRoot.appendingPathComponent("exercises").appendingPathComponent("reference-points.json")
    }

    /// Measures every configuration through the exercise runner (and its cache).
    public static func measure(courseRoot: URL, cacheDirectory: String, threads: Int) throws -> [ReferencePoint] {
        let exercise = Exercise(
            id: "00-references", number: 0, slug: "references", title: "references", module: 0, brief: "",
            methods: QuantizationMethod.allCases, chunks: chunks, passMark: 1, checks: [],
            directory: courseRoot.appendingPathComponent("exercises"))
        return try configurations.map { label, settings in
            let recipe = try QuantizationSettings.parse(settings, file: label)
            let (m, _) = try ExerciseRunner.measure(exercise, recipe: recipe, courseRoot: courseRoot, cacheDirectory: cacheDirectory, threads: threads)
            return ReferencePoint(
                label: label, settings: settings, blockBitsPerWeight: m.metrics[.blockBitsPerWeight] ?? .nan,
                meanKLD: m.metrics[.meanKLD] ?? .nan, pplRatio: m.metrics[.pplRatio] ?? .nan)
        }
    }

    public static func load(courseRoot: URL) -> [ReferencePoint]? {
        guard let data = try? Data(contentsOf: file(in: courseRoot)) else { return nil }
        return try? JSONDecoder().decode([ReferencePoint].self, from: data)
    }

    /// Indices of the points no other point beats on both bits and KL divergence.
    public static func frontier(_ points: [(bits: Double, kld: Double)]) -> Set<Int> {
        Set(
            points.indices.filter { i in
                !points.indices.contains { j in
                    j != i && points[j].bits <= points[i].bits && points[j].kld <= points[i].kld
                        && (points[j].bits < points[i].bits || points[j].kld < points[i].kld)
                }
            })
    }
}

/// A text scatter plot: bits per weight of the block matrices (x) against mean KL divergence
/// (y, logarithmic). Reference configurations on the Pareto frontier are ◆, the others ·, the
/// submission ★. KL divergence rather than PPL(Q)/PPL(base) on the y axis: on this model's
/// 4,000-token evaluation the perplexity ratio moves within its own noise (module 5 shows it).
public enum ExercisePlot {
    public static func render(references: [ReferencePoint], submission: (bits: Double, kld: Double), width: Int = 56, height: Int = 12) -> [String] {
        let all = references.map { (bits: $0.blockBitsPerWeight, kld: max($0.meanKLD, 1e-7)) } + [(bits: submission.bits, kld: max(submission.kld, 1e-7))]
        let frontier = ReferencePoint.frontier(Array(all.dropLast()))
        let xs = all.map(\.bits)
        let ys = all.map { log10($0.kld) }
        let xMin = floor(xs.min()!)
        let xMax = ceil(xs.max()!)
        let yMin = floor(ys.min()!)
        let yMax = ceil(ys.max()!)
        var grid = Array(repeating: Array(repeating: Character(" "), count: width), count: height)
        func cell(_ bits: Double, _ kld: Double) -> (Int, Int) {
            let x = Int(((bits - xMin) / max(xMax - xMin, 1e-9) * Double(width - 1)).rounded())
            let y = Int(((log10(kld) - yMin) / max(yMax - yMin, 1e-9) * Double(height - 1)).rounded())
            return (min(max(x, 0), width - 1), min(max(height - 1 - y, 0), height - 1))
        }
        for (i, point) in all.dropLast().enumerated() {
            let (x, y) = cell(point.bits, point.kld)
            grid[y][x] = frontier.contains(i) ? "◆" : "·"
        }
        let (sx, sy) = cell(submission.bits, max(submission.kld, 1e-7))
        grid[sy][sx] = "★"
        var lines: [String] = ["mean KL divergence (log) against bits per weight of the block matrices:"]
        for (row, cells) in grid.enumerated() {
            let value = yMax - (yMax - yMin) * Double(row) / Double(height - 1)
            let label = row == 0 || row == height - 1 || row == height / 2 ? String(format: "%8.0e", pow(10, value)) : String(repeating: " ", count: 8)
            lines.append(label + " │" + String(cells))
        }
        lines.append(String(repeating: " ", count: 9) + "└" + String(repeating: "─", count: width))
        let left = String(format: "%.0f", xMin)
        let right = String(format: "%.0f bits", xMax)
        lines.append(String(repeating: " ", count: 10) + left + String(repeating: " ", count: max(1, width - left.count - right.count)) + right)
        let onFrontier = references.indices.filter { frontier.contains($0) }.map { references[$0].label }
        lines.append("★ yours   ◆ Pareto frontier (\(onFrontier.joined(separator: ", ")))   · other references")
        // Where the submission stands: the best reference with no more bits.
        if let better = references.filter({ $0.blockBitsPerWeight <= submission.bits + 1e-9 && $0.meanKLD < submission.kld })
            .min(by: { $0.meanKLD < $1.meanKLD })
        {
            lines.append(
                String(
                    format: "%@ reaches mean KLD %.6f with %.2f bits per weight: your settings are behind the frontier.",
                    better.label, better.meanKLD, better.blockBitsPerWeight))
        } else {
            lines.append("No reference configuration is both smaller and more accurate: your settings are on the frontier.")
        }
        return lines
    }
}
