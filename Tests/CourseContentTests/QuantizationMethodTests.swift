import Foundation
import TestSupport
import Testing

@testable import CourseContent

@Suite struct QuantizationMethodTests {
    @Test func everySettingsFileNameNamesOneMethod() {
        let names: [(String, QuantizationMethod)] = [
            ("rtn", .rtn), ("gguf", .gguf), ("gptq", .gptq), ("awq", .awq), ("bnb_4bit", .bnb4bit), ("bnb_int8", .bnbInt8),
            ("dynamic_int8", .dynamicInt8),
        ]
        #expect(QuantizationMethod.allCases.count == names.count)
        for (name, method) in names {
            #expect(QuantizationMethod(rawValue: name) == method)
            #expect(method.description == name)
        }
        for wrong in ["RTN", "bnb4bit", "bnb-4bit", "int8", "gptq "] { #expect(QuantizationMethod(rawValue: wrong) == nil, "\(wrong)") }
    }

    /// An exercise's `methods = […]` list, in the order written.
    @Test func anExerciseDecodesItsMethodsFromTOML() throws {
        let spec = TestCourse.exerciseSpec.replacingOccurrences(of: "methods = [\"rtn\"]", with: "methods = [\"bnb_4bit\", \"rtn\", \"dynamic_int8\"]")
        let (root, directory) = try TestCourse.exercise(spec)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try Exercise.load(directory: directory).methods == [.bnb4bit, .rtn, .dynamicInt8])
    }

    /// An unknown method is refused with the list of valid names, in declaration order.
    @Test func anUnknownMethodListsTheValidOnes() throws {
        #expect(QuantizationMethod.quotedNames == "\"rtn\", \"gguf\", \"gptq\", \"awq\", \"bnb_4bit\", \"bnb_int8\", \"dynamic_int8\"")
        for wrong in ["\"RTN\"", "\"nf4\"", "4"] {
            let (root, directory) = try TestCourse.exercise(
                TestCourse.exerciseSpec.replacingOccurrences(of: "methods = [\"rtn\"]", with: "methods = [\"rtn\", \(wrong)]"))
            defer { try? FileManager.default.removeItem(at: root) }
            #expect(throws: CourseProblem(file: directory.path + "/exercise.toml", line: 4, message: "`methods` may hold \(QuantizationMethod.quotedNames)")) {
                try Exercise.load(directory: directory)
            }
        }
    }

    @Test func jsonUsesTheNames() throws {
        #expect(try JSON.encode([QuantizationMethod.bnbInt8, .awq]) == "[\n  \"bnb_int8\",\n  \"awq\"\n]")
        #expect(try JSON.decoder.decode([QuantizationMethod].self, from: Data("[\"dynamic_int8\", \"gguf\"]".utf8)) == [.dynamicInt8, .gguf])
        #expect(throws: DecodingError.self) { try JSON.decoder.decode(QuantizationMethod.self, from: Data("\"int8\"".utf8)) }
    }
}
