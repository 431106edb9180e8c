// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "QuantLab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quantlab", targets: ["quantlab"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // libcmark, the CommonMark reference implementation, from the system (apt: libcmark-dev).
        .systemLibrary(
            name: "CCmark",
            pkgConfig: "libcmark",
            providers: [.apt(["libcmark-dev"]), .brew(["cmark"])]
        ),
        // Markdown → Swift values (the only file that calls libcmark) → styled terminal text.
        .target(name: "TerminalUI", dependencies: ["CCmark"]),
        // SHA-256 (FIPS 180-4), for cache keys, journal keys and file digests, shared by the engine
        // and the course. Hand-written (106 lines, tested against the FIPS vectors): swift-crypto
        // would add about 50 s to a clean debug build and 60 s to a release one on 2 cores.
        .target(name: "Digests"),
        // The reference engine core: GGUF files, tensor formats (dequantize), tokenizers,
        // the llama model and llama.cpp-style metrics.
        .target(name: "QuantCore", dependencies: ["CKernels", "Digests"], exclude: ["README.md"]),
        // Hot integer kernels in C (AVX2 with run-time dispatch, each with a scalar twin), ggml's
        // block structs and the FP16/BF16 conversions, all in one header (include/ckernels.h).
        // Always optimized, debug builds included: the tests run the model through these loops.
        // -ffp-contract=off: no multiply-add is fused unless the code asks for it, so the scalar
        // twins give the same bits with GCC and clang on every architecture.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2", "-ffp-contract=off"])]),
        // Quantization methods applied to a model's weights (RTN, bitsandbytes 4-bit, …), each
        // with exact storage accounting.
        .target(name: "Quantizers", dependencies: ["QuantCore"]),
        // What the course is made of: lessons, quizzes and their answers, exercise specs (with
        // the metric and method names), the check of a course's files, and the learner records
        // the progress store keeps. No engine.
        .target(name: "CourseContent", dependencies: ["TerminalUI", "Digests"]),
        // Running an exercise: settings files, the runner (quantize, evaluate, time, cache), the
        // rubric applied to a measurement, calibration text, reference points, timed margins.
        .target(name: "Exercises", dependencies: ["CourseContent", "Digests", "QuantCore", "Quantizers"]),
        // Grading a class: submissions, journal, shards, merge, overrides, CSV/JSON gradebooks.
        .target(name: "Grading", dependencies: ["CourseContent", "Exercises", "Digests"]),
        // What the learner sees of the course: overview, lesson header, progress, the quiz session.
        .target(name: "CourseViews", dependencies: ["CourseContent", "TerminalUI"]),
        // The learner's progress in SQLite (lessons read, quiz attempts, exercise runs), through GRDB.
        .target(name: "LearnerProgress", dependencies: ["CourseContent", .product(name: "GRDB", package: "GRDB.swift")]),
        // The command-line interface: argument parsing and wiring only.
        .executableTarget(
            name: "quantlab",
            dependencies: [
                "CourseContent", "Exercises", "Grading", "CourseViews", "TerminalUI", "Digests", "QuantCore", "Quantizers", "LearnerProgress",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets (libFuzzer with -DFUZZING -sanitize=fuzzer; a corpus replayer otherwise).
        .executableTarget(name: "quantlab-fuzz", dependencies: ["CourseContent"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        // Helpers every test target shares: the repository's paths, throwaway folders and courses,
        // the quiz fixture lesson, seeded random data, and a runner of the built binary.
        .target(name: "TestSupport", dependencies: ["CourseContent", "QuantCore"], path: "Tests/TestSupport"),
        .testTarget(name: "DigestsTests", dependencies: ["Digests"]),
        .testTarget(name: "CourseContentTests", dependencies: ["CourseContent", "TerminalUI", "TestSupport"]),
        .testTarget(name: "ExercisesTests", dependencies: ["Exercises", "CourseContent", "QuantCore", "Quantizers", "TestSupport"]),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "Exercises", "CourseContent", "CourseViews", "TerminalUI", "TestSupport"]),
        .testTarget(name: "CourseViewsTests", dependencies: ["CourseViews", "CourseContent", "TerminalUI", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "QuantCoreTests", dependencies: ["QuantCore", "CKernels", "Digests", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "QuantizersTests", dependencies: ["Quantizers", "QuantCore", "Digests", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LearnerProgressTests", dependencies: ["LearnerProgress", "CourseContent", "TestSupport"]),
        .testTarget(name: "quantlabTests", dependencies: ["quantlab", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
