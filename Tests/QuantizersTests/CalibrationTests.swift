import Foundation
import QuantCore
import Testing

@testable import Quantizers

@Suite struct CalibrationTests {
    @Test func windowsAreSeededAndStartWithBOS() throws {
        let a = try CalibrationModel.calibration()
        let b = try CalibrationModel.calibration()
        #expect(a == b)
        #expect(a.sequences.count == 4 && a.sequences.allSatisfy { $0.count == 32 && $0[0] == 0 })
        #expect(Set(a.sequences.map { $0[1] }).count > 1, "windows start at different places")
        #expect(a.tokenCount == 128)
    }

    @Test func badCalibrationSettingsNameTheKey() {
        let tokens = [Int32](repeating: 5, count: 100)
        func problem(_ s: CalibrationSettings) -> QuantizerError? {
            do {
                _ = try CalibrationSet(tokens: tokens, settings: s, bos: 0, contextLength: 64)
                return nil
            } catch { return error }
        }
        #expect(problem(CalibrationSettings(samples: 0, sequenceLength: 32)) == .invalidSetting(key: "samples", value: "0", allowed: "1 to 1024"))
        #expect(
            problem(CalibrationSettings(samples: 4, sequenceLength: 65))
                == .invalidSetting(key: "seq_len", value: "65", allowed: "2 to 64 (the model's context)"))
        let short = try? CalibrationSet(
            tokens: [Int32](repeating: 5, count: 10), settings: CalibrationSettings(samples: 1, sequenceLength: 32), bos: 0, contextLength: 64)
        #expect(short == nil)
    }
}
