import Foundation
import Testing

@testable import QuantCore

@Suite struct HalfTests {
    struct HalfFixture: Decodable {
        let f32_to_f16: [[UInt32]]
        let f16_to_f32: [[UInt32]]
        let f32_to_bf16: [[UInt32]]
        let bf16_to_f32: [[UInt32]]
    }

    @Test func halfConversionVectors() throws {
        let fixture = try FormatTableTests.load("half.json", as: HalfFixture.self)
        #expect(fixture.f32_to_f16.count > 40)
        for pair in fixture.f32_to_f16 {
            let got = Half.f32ToF16(Float(bitPattern: pair[0]))
            #expect(got == UInt16(pair[1]), "f32 \(String(pair[0], radix: 16)) → f16 \(String(got, radix: 16)), want \(String(pair[1], radix: 16))")
        }
        for pair in fixture.f16_to_f32 {
            let got = Half.f16ToF32(UInt16(pair[0])).bitPattern
            #expect(got == pair[1], "f16 \(String(pair[0], radix: 16)) → \(String(got, radix: 16))")
        }
        for pair in fixture.f32_to_bf16 {
            let got = Half.f32ToBF16(Float(bitPattern: pair[0]))
            #expect(got == UInt16(pair[1]), "f32 \(String(pair[0], radix: 16)) → bf16 \(String(got, radix: 16)), want \(String(pair[1], radix: 16))")
        }
        for pair in fixture.bf16_to_f32 {
            #expect(Half.bf16ToF32(UInt16(pair[0])).bitPattern == pair[1])
        }
    }

    @Test func halfConversionSpotChecks() {
        #expect(Half.f32ToF16(1) == 0x3C00)
        #expect(Half.f32ToF16(-0.0) == 0x8000)
        #expect(Half.f32ToF16(65504) == 0x7BFF)
        #expect(Half.f32ToF16(65519.996) == 0x7BFF)
        #expect(Half.f32ToF16(65520) == 0x7C00)  // tie → even → inf
        #expect(Half.f32ToF16(.infinity) == 0x7C00)
        #expect(Half.f32ToF16(0x1p-24) == 0x0001)  // smallest subnormal
        #expect(Half.f32ToF16(0x1p-25) == 0x0000)  // tie → even → 0
        #expect(Half.f32ToF16(0x1.8p-25) == 0x0001)
        #expect(Half.f32ToF16(0x1.8p-24) == 0x0002)  // 1.5 units: tie → even 2
        #expect(Half.f32ToF16(0x1.ff8p-15) == 0x03FF)  // largest subnormal
        #expect(Half.f32ToF16(0x1.ffbp-15) == 0x03FF)
        #expect(Half.f32ToF16(0x1.ffcp-15) == 0x0400)  // tie → even: the smallest normal
        #expect(Half.f32ToF16(1 + 0x1p-11) == 0x3C00)  // tie → even
        #expect(Half.f32ToF16(1 + 0x1.8p-10) == 0x3C02)  // tie → even (up)
        #expect(Half.f32ToF16(.nan) == 0x7E00 && Half.f32ToF16(Float(bitPattern: 0xFFA0_1234)) == 0xFE00)  // ggml-base: payload dropped
        #expect(Half.f16ToF32(0x0001) == 0x1p-24)
        #expect(Half.f16ToF32(0x8000).bitPattern == 0x8000_0000)
        #expect(Half.f16ToF32(0x7C00) == .infinity)
        #expect(Half.f16ToF32(0x7C01).isNaN)
        #expect(Half.f32ToBF16(1) == 0x3F80)
        #expect(Half.f32ToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even (down)
        #expect(Half.f32ToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even (up)
        #expect(Half.f32ToBF16(Float(bitPattern: 0x7F80_0001)) == 0x7FC0)  // signaling NaN → quiet
        #expect(Half.f32ToBF16(.greatestFiniteMagnitude) == 0x7F80)
    }

    /// Every F16 bit pattern: F16 → F32 → F16 gives it back; a NaN comes back quiet in F32 with its
    /// payload, and as ggml's 0x7E00 (with its sign) in F16.
    @Test func halfRoundTripExhaustive() {
        for h in 0...UInt16.max {
            let f = Half.f16ToF32(h)
            let back = Half.f32ToF16(f)
            if h & 0x7C00 == 0x7C00 && h & 0x03FF != 0 {
                let quiet = f.bitPattern & 0x0040_0000 != 0 && (f.bitPattern >> 13) & 0x1FF == UInt32(h & 0x1FF)
                if !f.isNaN || !quiet || back != (h & 0x8000) | 0x7E00 {
                    #expect(f.isNaN && quiet && back == (h & 0x8000) | 0x7E00, "f16 \(String(h, radix: 16))")
                    return
                }
            } else if back != h {
                #expect(back == h, "f16 \(String(h, radix: 16))")
                return
            }
        }
    }

    /// Every BF16 bit pattern round-trips (non-NaN exactly; NaNs come back quiet).
    @Test func bf16RoundTripExhaustive() {
        for h in 0...UInt16.max {
            let back = Half.f32ToBF16(Half.bf16ToF32(h))
            let want = h & 0x7F80 == 0x7F80 && h & 0x007F != 0 ? h | 0x0040 : h
            if back != want {
                #expect(back == want, "bf16 \(String(h, radix: 16))")
                return
            }
        }
    }

    #if !(os(macOS) && arch(x86_64))
        /// Against the platform's Float16 (hardware or compiler-rt): all F16 values, and a sweep of
        /// F32 values across the F16 range (non-NaN, where the platforms agree).
        @Test func halfMatchesPlatformFloat16() {
            for h in 0...UInt16.max where !(h & 0x7C00 == 0x7C00 && h & 0x03FF != 0) {
                let want = Float(Float16(bitPattern: h)).bitPattern
                if Half.f16ToF32(h).bitPattern != want {
                    #expect(Half.f16ToF32(h).bitPattern == want, "f16 \(String(h, radix: 16))")
                    return
                }
            }
            // Every 997th F32 bit pattern from 2^-26 past the overflow threshold, both signs.
            var bits: UInt32 = 0x3280_0000
            while bits < 0x4790_0000 {
                for f in [Float(bitPattern: bits), Float(bitPattern: bits | 0x8000_0000)] {
                    let want = Float16(f).bitPattern
                    if Half.f32ToF16(f) != want {
                        #expect(Half.f32ToF16(f) == want, "f32 \(String(f.bitPattern, radix: 16))")
                        return
                    }
                }
                bits += 997
            }
        }
    #endif
}
