import Foundation
import QuantCore
import TestSupport
import Testing

@testable import Quantizers

@Suite struct AWQTests {
    @Test func badSettingsNameTheKey() {
        let model = CalibrationModel.model()
        func problem(_ s: AWQSettings) -> String? {
            do {
                _ = try AWQ.quantize(model, calibration: try CalibrationModel.calibration(), settings: s, threads: 1)
                return nil
            } catch { return "\(error)" }
        }
        #expect(problem(AWQSettings(groupSize: 48))?.contains("group_size 48 does not divide the rows of blk.0.attn_q.weight (64 weights each)") == true)
        #expect(problem(AWQSettings(bits: 1, groupSize: 32)) == "w_bit = 1 is not allowed; use 2 to 8")
        #expect(problem(AWQSettings(groupSize: 32, grid: 0)) == "n_grid = 0 is not allowed; use 1 to 100 (default 20)")
    }

    /// With a zero point (2 bits: codes 0…3): range [−1, 2] gives scale 1 and zero 1; 0.5 rounds
    /// half to even (to 0, as torch.round does), so it is stored as 0 + zero = 1.
    @Test func pseudoQuantizeWithAZeroPointByHand() {
        let q = AWQ.pseudoQuantize([-1, 0, 0.5, 2, 0, 0, 0, 0], rows: 2, columns: 4, groupSize: -1, bits: 2, zeroPoint: true)
        #expect(q.scales[0] == 1 && q.zeros == [1, 0])
        #expect(Array(q.codes.prefix(4)) == [0, 1, 1, 3] && Array(q.values.prefix(4)) == [-1, 0, 0, 2])
        // An all-zero row keeps zeros (its scale is the 1e-5 floor over 3 steps).
        #expect(Array(q.values.suffix(4)) == [0, 0, 0, 0] && q.scales[1] == Float(1e-5) / 3)
    }

    /// Without a zero point (4 bits: codes −8…7): scale = amax / 7 = 1, and 3.5, 1.5 round half to even.
    @Test func pseudoQuantizeWithoutAZeroPointByHand() {
        let q = AWQ.pseudoQuantize([3.5, -7, 0.25, 1.5, 0, 0, 0, 0], rows: 1, columns: 8, groupSize: -1, bits: 4, zeroPoint: false)
        #expect(q.scales == [1] && q.zeros == [0])
        #expect(q.codes == [4, -7, 0, 2, 0, 0, 0, 0] && q.values == [4, -7, 0, 2, 0, 0, 0, 0])
        // Groups of 32 along a 64-wide row: one scale each.
        let two = AWQ.pseudoQuantize((0..<64).map { Float($0 < 32 ? 7 : 14) }, rows: 1, columns: 64, groupSize: 32, bits: 4, zeroPoint: false)
        #expect(two.scales == [1, 2] && two.values.allSatisfy { $0 == 7 || $0 == 14 })
    }

    /// AutoAWQ's key names in the errors: w_bit, n_grid, q_group_size.
    @Test func settingsAreValidatedAgainstTheRowLength() {
        func problem(_ s: AWQSettings, columns: Int = 192) -> QuantizerError? {
            caught { () throws(QuantizerError) in try s.validate(columns: columns, tensor: "blk.0.attn_q.weight") }
        }
        #expect(problem(AWQSettings(bits: 9, groupSize: 64)) == .invalidSetting(key: "w_bit", value: "9", allowed: "2 to 8"))
        #expect(problem(AWQSettings(groupSize: 64, grid: 101)) == .invalidSetting(key: "n_grid", value: "101", allowed: "1 to 100 (default 20)"))
        #expect(problem(AWQSettings(groupSize: 16)) == .invalidSetting(key: "q_group_size", value: "16", allowed: "-1 (one group per row) or 32 to 1024"))
        #expect(
            problem(AWQSettings(groupSize: 128)) == .groupDoesNotDivide(tensor: "blk.0.attn_q.weight", rowLength: 192, groupSize: 128, suggestions: [32, 64]))
        #expect(problem(AWQSettings(groupSize: 128), columns: 512) == nil && problem(AWQSettings(groupSize: -1)) == nil)
    }
}
