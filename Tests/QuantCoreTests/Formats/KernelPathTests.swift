import TestSupport
import Testing

@testable import QuantCore

@Suite struct KernelPathTests {
    @Test func pathSelectionFromTheEnvironment() {
        #expect(KernelPath.select(environment: nil).path == KernelPath.best)
        #expect(KernelPath.select(environment: "auto") == (KernelPath.best, nil))
        #expect(KernelPath.select(environment: "scalar") == (.scalar, nil))
        let unknown = KernelPath.select(environment: "neon9")
        #expect(unknown.path == KernelPath.best)
        #expect(unknown.note?.contains("QUANTLAB_KERNELS=neon9 is not one of auto, scalar, avx2, avx512") == true)
        #expect(KernelPath.scalar.isAvailable)
    }

    /// The best path is available, and it is the widest one this CPU has.
    @Test func bestIsTheWidestAvailable() {
        #expect(KernelPath.best.isAvailable)
        let widest = KernelPath.allCases.last { $0.isAvailable }
        #expect(KernelPath.best == widest)
    }
}
