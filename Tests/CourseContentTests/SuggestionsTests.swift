import Testing

@testable import CourseContent

@Suite struct SuggestionsTests {
    @Test func suggestionsByEditDistance() {
        #expect(Suggestions.distance("kitten", "sitting") == 3)
        #expect(Suggestions.distance("", "abc") == 3)
        #expect(Suggestions.closest(to: "tolerence", in: QuizParser.keys) == "tolerance")
        #expect(Suggestions.closest(to: "zzzzzz", in: QuizParser.keys) == nil)
    }

    @Test func distanceIgnoresCaseAndCountsUnicodeScalars() {
        #expect(Suggestions.distance("Sunday", "saturday") == 3)
        #expect(Suggestions.distance("RTN", "rtn") == 0)
        // A swap is two edits (Levenshtein, not Damerau).
        #expect(Suggestions.distance("ab", "ba") == 2)
        #expect(Suggestions.distance("abc", "") == 3)
        // "é" as one scalar (U+00E9) is one substitution from "e"; as e + U+0301 it is one more scalar.
        #expect(Suggestions.distance("caf\u{E9}", "cafe") == 1)
        #expect(Suggestions.distance("cafe\u{301}", "caf\u{E9}") == 2)
    }

    @Test func closestTakesTheNearestWithinAThirdOfTheInput() {
        #expect(Suggestions.closest(to: "lesons", in: ["lessons", "quiz"]) == "lessons")
        // Equally near: the alphabetically first.
        #expect(Suggestions.closest(to: "ab", in: ["ac", "aa"]) == "aa")
        // 12 characters allow 4 edits; 5 are too many.
        #expect(Suggestions.closest(to: "aaaaaaaaaaaa", in: ["aaaaaaaabbbb"]) == "aaaaaaaabbbb")
        #expect(Suggestions.closest(to: "aaaaaaaaaaaa", in: ["aaaaaaabbbbb"]) == nil)
        #expect(Suggestions.closest(to: "x", in: []) == nil)
    }

    /// Too far for a typo, an input that starts a candidate still finds it: "exer" is 3 edits
    /// from "export" (over the limit of 2) and 4 from "exercise", but it is how "exercise" begins.
    @Test func aPrefixIsSuggestedWhenNothingIsNearEnough() {
        #expect(Suggestions.distance("exer", "export") == 3)
        #expect(Suggestions.closest(to: "exer", in: ["export", "exercise"]) == "exercise")
        #expect(Suggestions.closest(to: "EXER", in: ["export", "exercise"]) == "exercise")
        #expect(Suggestions.closest(to: "zzzz", in: ["export", "exercise"]) == nil)
    }
}
