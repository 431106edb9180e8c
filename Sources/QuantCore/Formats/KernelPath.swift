import CKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The instruction sets the tiled matrix products run on. Every path gives the same bits (the
/// kernels share one order of float operations; see CKernels' gemm.c), so the choice changes
/// speed only. `QUANTLAB_KERNELS=scalar|avx2|avx512` forces one, for tests and comparisons.
public enum KernelPath: String, CaseIterable, Sendable, Codable {
    /// Plain C: the reference twin, and what runs where no vector path exists.
    case scalar
    /// 256-bit integer multiply-adds (maddubs), 8 rows per register.
    case avx2
    /// 512-bit VNNI dot products (vpdpbusd), 16 rows per register.
    case avx512

    var c: ql_path {
        switch self {
        case .scalar: QL_PATH_SCALAR
        case .avx2: QL_PATH_AVX2
        case .avx512: QL_PATH_AVX512
        }
    }

    /// Whether this CPU can run the path.
    public var isAvailable: Bool { ql_path_available(c) != 0 }

    /// The fastest path this CPU has.
    public static var best: KernelPath {
        switch ql_best_path() {
        case QL_PATH_AVX512: .avx512
        case QL_PATH_AVX2: .avx2
        default: .scalar
        }
    }

    /// The path the engine uses, and why it is not the one `QUANTLAB_KERNELS` asked for when it
    /// is not (an unknown name, or a path this CPU lacks).
    public static let selection: (path: KernelPath, note: String?) = select(environment: getenv("QUANTLAB_KERNELS").map { String(cString: $0) })

    /// The path the engine uses by default.
    public static var current: KernelPath { selection.path }

    static func select(environment value: String?) -> (path: KernelPath, note: String?) {
        guard let value, !value.isEmpty, value != "auto" else { return (best, nil) }
        guard let requested = KernelPath(rawValue: value) else {
            return (best, "QUANTLAB_KERNELS=\(value) is not one of auto, \(allCases.map(\.rawValue).joined(separator: ", ")); using \(best.rawValue)")
        }
        guard requested.isAvailable else {
            return (best, "QUANTLAB_KERNELS=\(value): this CPU lacks the instructions that path needs; using \(best.rawValue)")
        }
        return (requested, nil)
    }
}
