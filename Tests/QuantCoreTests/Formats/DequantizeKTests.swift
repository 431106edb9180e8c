import Foundation
import Testing

@testable import QuantCore

/// The K-quant dequantizers; every type's fixture cases are checked in DequantizeTests.
@Suite struct DequantizeKTests {
    @Test func handComputedQ8_K() throws {
        var block = [UInt8](repeating: 0, count: 292)
        withUnsafeBytes(of: Float(-0.25).bitPattern.littleEndian) { block.replaceSubrange(0..<4, with: $0) }
        for j in 0..<256 { block[4 + j] = UInt8(truncatingIfNeeded: j) }  // qs = 0…127, −128…−1
        for j in 260..<292 { block[j] = 0x5A }  // bsums: ignored
        let values = try block.withUnsafeBytes { try TensorType.q8_K.format.dequantize($0, count: 256) }
        #expect(values == (0..<256).map { Float(Int8(truncatingIfNeeded: $0)) * -0.25 })
    }
}
