import Testing

@testable import QuantCore

@Suite struct GGUFValueTests {
    /// Type numbers as GGUF stores them (gguf.md: 0 uint8 … 12 float64), with ggml's short names.
    @Test func valueTypesAreGGUFsNumbers() {
        let numbers: [(GGUFValueType, UInt32, String)] = [
            (.uint8, 0, "u8"), (.int8, 1, "i8"), (.uint16, 2, "u16"), (.int16, 3, "i16"), (.uint32, 4, "u32"), (.int32, 5, "i32"),
            (.float32, 6, "f32"), (.bool, 7, "bool"), (.string, 8, "str"), (.array, 9, "arr"), (.uint64, 10, "u64"), (.int64, 11, "i64"),
            (.float64, 12, "f64"),
        ]
        #expect(GGUFValueType.allCases.count == numbers.count)
        for (type, number, name) in numbers { #expect(type.rawValue == number && type.description == name) }
        #expect(GGUFValue.array(.string(["a"])).type == .array && GGUFValue.float64(1).type == .float64)
    }

    /// Any integer type reads as an integer (writers differ: u32, i32 and u64 all occur), and as a
    /// number; a u64 past Int64.max is no Int64.
    @Test func integersAndNumbersWhateverTheStoredType() {
        #expect(GGUFValue.uint8(255).integer == 255 && GGUFValue.int8(-128).integer == -128)
        #expect(GGUFValue.uint32(4_000_000_000).integer == 4_000_000_000 && GGUFValue.int32(-5).number == -5)
        #expect(GGUFValue.uint64(UInt64(Int64.max)).integer == Int64.max && GGUFValue.uint64(UInt64(Int64.max) + 1).integer == nil)
        #expect(GGUFValue.float32(0.5).integer == nil && GGUFValue.float32(0.5).number == 0.5 && GGUFValue.float64(-2.25).number == -2.25)
        #expect(GGUFValue.bool(true).integer == nil && GGUFValue.string("1").number == nil)
        // Arrays the same way, element by element.
        #expect(GGUFArray.uint16([1, 65535]).integers == [1, 65535] && GGUFArray.int8([-1]).integers == [-1])
        #expect(GGUFArray.uint64([1, UInt64.max]).integers == nil && GGUFArray.float32([1]).integers == nil)
        #expect(GGUFArray.string(["a", "b"]).count == 2 && GGUFArray.bool([]).elementType == .bool)
    }

    @Test func descriptionsShowTheValue() {
        #expect(GGUFValue.string("llama").description == "\"llama\"")
        #expect(GGUFValue.int16(-3).description == "-3" && GGUFValue.bool(false).description == "false")
        #expect(GGUFValue.array(.int64([1, 2, 3])).description == "[i64] × 3")
    }

    /// Round trips compare floats bit for bit: NaN is identical to itself (though not equal), and
    /// 0 and −0 are not identical (though equal).
    @Test func identityComparesFloatBits() {
        #expect(GGUFValue.float32(.nan) != GGUFValue.float32(.nan))
        #expect(GGUFValue.float32(.nan).isIdentical(to: .float32(.nan)) && GGUFValue.float64(.nan).isIdentical(to: .float64(.nan)))
        #expect(GGUFValue.float64(0) == GGUFValue.float64(-0.0) && !GGUFValue.float64(0).isIdentical(to: .float64(-0.0)))
        #expect(GGUFValue.array(.float32([1, .nan])).isIdentical(to: .array(.float32([1, .nan]))))
        #expect(!GGUFValue.uint32(1).isIdentical(to: .int32(1)) && GGUFValue.string("a").isIdentical(to: .string("a")))
    }
}
