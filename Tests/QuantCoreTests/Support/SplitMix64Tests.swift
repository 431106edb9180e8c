import Testing

@testable import QuantCore

@Suite struct SplitMix64Tests {
    /// The first outputs of the reference algorithm (Vigna's splitmix64.c: state += 0x9E3779B97F4A7C15,
    /// then two xor-shift-multiply rounds and a final xor-shift), computed independently.
    @Test func seedZeroGivesTheReferenceSequence() {
        var generator = SplitMix64(seed: 0)
        let outputs = (0..<5).map { _ in generator.next() }
        #expect(outputs == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC, 0x1B39_896A_51A8_749B])
        #expect(generator.state == 5 &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Seed 1234567, the seed of Java's SplittableRandom tests: 6457827717110365317, 3203168211198807973, …
    @Test func aFixedSeedGivesTheReferenceSequence() {
        var generator = SplitMix64(seed: 1_234_567)
        let outputs = (0..<5).map { _ in generator.next() }
        #expect(outputs == [0x599E_D017_FB08_FC85, 0x2C73_F084_5854_0FA5, 0x883E_BCE5_A3F2_7C77, 0x3FBE_F740_E917_7B3F, 0xE3B8_3467_08CB_5ECD])
        #expect(outputs[0] == 6_457_827_717_110_365_317 && outputs[1] == 3_203_168_211_198_807_973)
    }

    /// The generator is its state: a copy continues the same sequence, and the state can be set.
    @Test func aCopyContinuesTheSameSequence() {
        var a = SplitMix64(seed: 42)
        _ = a.next()
        var b = a
        #expect((0..<3).map { _ in a.next() } == (0..<3).map { _ in b.next() })
        var c = SplitMix64(seed: 0)
        c.state = 0x9E37_79B9_7F4A_7C15
        var d = SplitMix64(seed: 0)
        _ = d.next()
        #expect(c.next() == d.next())
    }

    /// As a RandomNumberGenerator it drives the standard library's seeded shuffles and draws.
    @Test func standardLibraryDrawsAreRepeatable() {
        var a = SplitMix64(seed: 7)
        var b = SplitMix64(seed: 7)
        #expect(Array(0..<20).shuffled(using: &a) == Array(0..<20).shuffled(using: &b))
        #expect(Int.random(in: 0..<1000, using: &a) == Int.random(in: 0..<1000, using: &b))
    }
}
