import Testing

@testable import CourseContent

@Suite struct FaultTests {
    /// The README's exit codes: 1 for a course file its author must fix, 64 for a usage error,
    /// 65 for an unusable course or input file, 70 when QuantLab or the machine failed.
    @Test func eachAudienceHasItsExitCode() {
        #expect(Fault.author("lessons/01-a.md:3: x").exitCode == 1)
        #expect(Fault.usage("no exercise \"9\"").exitCode == 64)
        #expect(Fault.course("exercises/reference/model.gguf: not a GGUF file").exitCode == 65)
        #expect(Fault.input("mine.toml:1: `bits` = 9 is out of range").exitCode == 65)
        #expect(Fault.tool("cannot start a worker").exitCode == 70)
    }

    /// The message is printed as it is: no audience prefix is added.
    @Test func theDescriptionIsTheMessage() {
        let faults: [(Fault, String)] = [
            (.author("a.md:1: bad"), "a.md:1: bad"), (.usage("u"), "u"), (.course("c"), "c"), (.input("i"), "i"), (.tool("t"), "t"),
        ]
        for (fault, message) in faults { #expect(fault.description == message) }
        #expect("\(Fault.tool("no temporary folder"))" == "no temporary folder")
    }

    /// A course file and a user's file share exit code 65 but are different faults: who has to act differs.
    @Test func theAudienceIsPartOfTheFault() {
        #expect(Fault.course("m") != Fault.input("m"))
        #expect(Fault.course("m").exitCode == Fault.input("m").exitCode)
        #expect(Fault.usage("m") == Fault.usage("m"))
        #expect(Fault.usage("m") != Fault.usage("n"))
    }
}
