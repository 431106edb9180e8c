// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "QuantLab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quantlab", targets: ["quantlab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
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
        // The reference engine core: GGUF files, tensor formats (dequantize), tokenizers,
        // the llama model and llama.cpp-style metrics.
        .target(name: "QuantCore", dependencies: ["CKernels"], exclude: ["README.md"]),
        // Hot integer kernels in C (AVX2 with run-time dispatch, each with a scalar twin), ggml's
        // block structs and the FP16/BF16 conversions, all in one header (include/ckernels.h).
        // Always optimized, debug builds included: the tests run the model through these loops.
        // -ffp-contract=off: no multiply-add is fused unless the code asks for it, so the scalar
        // twins give the same bits with GCC and clang on every architecture.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2", "-ffp-contract=off"])]),
        // Quantization methods applied to a model's weights (RTN, bitsandbytes 4-bit, …), each
        // with exact storage accounting.
        .target(name: "Quantizers", dependencies: ["QuantCore"]),
        // Lessons, quizzes, course loading and validation.
        .target(name: "Course", dependencies: ["TerminalUI", "TOMLKit", "QuantCore", "Quantizers"]),
        // The learner's progress in SQLite (lessons read, quiz attempts, exercise runs), through GRDB.
        .target(name: "LearnerProgress", dependencies: ["Course", .product(name: "GRDB", package: "GRDB.swift")]),
        // The command-line interface: argument parsing and wiring only.
        .executableTarget(
            name: "quantlab",
            dependencies: ["Course", "TerminalUI", "QuantCore", "Quantizers", "LearnerProgress", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "CourseTests", dependencies: ["Course", "TerminalUI", "QuantCore", "Quantizers"], exclude: ["Fixtures"]),
        .testTarget(name: "QuantCoreTests", dependencies: ["QuantCore", "CKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "QuantizersTests", dependencies: ["Quantizers", "QuantCore"], exclude: ["Fixtures"]),
        .testTarget(name: "LearnerProgressTests", dependencies: ["LearnerProgress", "Course"]),
        .testTarget(name: "quantlabTests", dependencies: ["quantlab"]),
    ],
    swiftLanguageModes: [.v6]
)
