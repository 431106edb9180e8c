import Testing

@testable import CourseContent

/// QuantLab's TOML reader against the TOML 1.0 specification's own examples (https://toml.io/en/v1.0.0).
@Suite struct TOMLParserTests {
    func root(_ text: String) throws -> [String: TOMLNode] { try TOMLDocument(parsing: text).root }

    func syntaxError(_ text: String) -> TOMLSyntaxError? {
        do {
            _ = try TOMLDocument(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    @Test func stringsOfAllFourKinds() throws {
        let r = try root(
            #"""
            basic = "tab\there \"q\" \\ \u00E9 \U0001F999"
            literal = 'C:\Users\nodejs'
            multi = """
            Roses are red
            Violets are blue"""
            trimmed = """\
                The quick brown \
                fox."""
            quotes = """Here are two quotation marks: "". Simple enough."""
            five = """""x"""""
            raw = '''
            The first newline is
            trimmed in raw strings.
            '''
            """#)
        #expect(r["basic"] == .string("tab\there \"q\" \\ é 🦙"))
        #expect(r["literal"] == .string(#"C:\Users\nodejs"#))
        #expect(r["multi"] == .string("Roses are red\nViolets are blue"))
        #expect(r["trimmed"] == .string("The quick brown fox."))
        #expect(r["quotes"] == .string("Here are two quotation marks: \"\". Simple enough."))
        #expect(r["five"] == .string("\"\"x\"\""))
        #expect(r["raw"] == .string("The first newline is\ntrimmed in raw strings.\n"))
    }

    @Test func numbersBooleansAndDates() throws {
        let r = try root(
            """
            a = +99
            b = -17
            c = 1_000
            d = 0xDEAD_beef
            e = 0o755
            f = 0b1101
            g = 6.626e-34
            h = -0.01
            i = 5e+22
            j = 9_224_617.445_991
            k = -inf
            l = nan
            m = true
            n = 1979-05-27T07:32:00-08:00
            o = 1979-05-27 07:32:00.999
            p = 1979-05-27
            q = 07:32:00
            """)
        #expect(r["a"] == .integer(99) && r["b"] == .integer(-17) && r["c"] == .integer(1000))
        #expect(r["d"] == .integer(0xDEAD_BEEF) && r["e"] == .integer(0o755) && r["f"] == .integer(13))
        #expect(r["g"] == .float(6.626e-34) && r["h"] == .float(-0.01) && r["i"] == .float(5e22) && r["j"] == .float(9_224_617.445_991))
        #expect(r["k"] == .float(-.infinity) && r["m"] == .bool(true))
        if case .float(let x)? = r["l"] { #expect(x.isNaN) } else { Issue.record("nan is a float") }
        #expect(r["n"] == .datetime("1979-05-27T07:32:00-08:00") && r["o"] == .datetime("1979-05-27 07:32:00.999"))
        #expect(r["p"] == .datetime("1979-05-27") && r["q"] == .datetime("07:32:00"))
    }

    @Test func arraysInlineTablesAndTables() throws {
        let r = try root(
            """
            nested = [ [1, 2], ["a", 'b'], ]
            multi = [
              1, # one
              2,
            ]
            point = { x = 1, y.z = 2 }
            [fruit]
            name.first = "apple"
            [[fruits]]
            name = "banana"
            [fruits.physical]
            color = "yellow"
            [[fruits]]
            name = "plantain"
            """)
        #expect(r["nested"] == .array([.array([.integer(1), .integer(2)]), .array([.string("a"), .string("b")])]))
        #expect(r["multi"] == .array([.integer(1), .integer(2)]))
        #expect(r["point"] == .table(["x": .integer(1), "y": .table(["z": .integer(2)])]))
        #expect(r["fruit"] == .table(["name": .table(["first": .string("apple")])]))
        #expect(
            r["fruits"]
                == .array([
                    .table(["name": .string("banana"), "physical": .table(["color": .string("yellow")])]),
                    .table(["name": .string("plantain")]),
                ]))
    }

    /// What the specification calls invalid is a syntax error with a line, never a crash.
    @Test(arguments: [
        ("a = 1\na = 2", 2, "the key a is defined twice"),
        ("[t]\nx = 1\n[t]", 3, "table [t] is defined twice"),
        ("a.b.c = 1\n[a.b]", 2, "table [a.b] is defined twice"),
        ("a.b = 1\n[a.b]", 2, "a.b is already defined as a value"),
        ("p = { x = 1 }\np.y = 2", 2, "p is an inline table and cannot be extended"),
        ("a = 01", 1, "\"01\" is not a TOML number, boolean or date"),
        ("a = 1__0", 1, "\"1__0\" is not a TOML number, boolean or date"),
        ("a = 99999999999999999999", 1, "\"99999999999999999999\" is not a TOML number, boolean or date"),
        ("s = \"\\q\"", 1, "\\q is not an escape TOML knows (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)"),
        ("s = \"open\nt = 1", 1, "a string is not closed with \" on its line (use \"\"\" for several lines)"),
        ("a = [1, 2", 1, "expected , or ] in an array, found the end of the text"),
        ("a = 1 b = 2", 1, "expected the end of the line after the value, found 'b'"),
        ("i=0----x---- 1\t", 1, "\"0----x----\" is not a TOML number, boolean or date"),
    ])
    func invalidDocumentsAreSyntaxErrors(_ text: String, _ line: Int, _ message: String) {
        let error = syntaxError(text)
        #expect(error?.line == line && error?.message == message, "\(String(describing: error))")
    }

    /// Issue 18 item 8: a dotted key reports its own line, inside a section or not.
    @Test func dottedKeysHaveTheirOwnLines() throws {
        let document = try TOMLDocument(
            parsing: "title = \"t\"\n\ncheck.accuracy.metric = \"mean_kld\"\ncheck.accuracy.points = 50\n[check.speed]\nmetric = \"x\"\n")
        #expect(document.line(of: "metric", in: "check.accuracy") == 3)
        #expect(document.line(of: "points", in: "check.accuracy") == 4)
        #expect(document.line(of: "metric", in: "check.speed") == 6)
        #expect(document.line(of: "missing", in: "check.speed") == 5)  // the header
        #expect(document.line(of: "missing", in: "check.accuracy") == 3)  // its first key
        #expect(document.line(of: "title") == 1 && document.line(of: "nothing") == 1)
    }
}
