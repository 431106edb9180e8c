import Foundation
import QuantCore
import Quantizers
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises

@Suite struct QuantizationSettingsTests {
    func parse(_ text: String) throws(CourseProblem) -> QuantizationRecipe {
        try QuantizationSettings.parse(text, file: "s.toml")
    }

    func problem(_ text: String) -> CourseProblem? {
        caught { () throws(CourseProblem) in _ = try parse(text) }
    }

    @Test func validSettingsBecomeRecipes() throws {
        #expect(try parse("method = \"rtn\"\n") == QuantizationRecipe(method: .rtn(RTNSettings(bits: 4, symmetric: true, granularity: .group(size: 64)))))
        let rtn = try parse("method = \"rtn\"\nbits = 3\nsymmetric = false\ngranularity = \"channel\"\nclip_search = true\n")
        #expect(rtn.method == .rtn(RTNSettings(bits: 3, symmetric: false, granularity: .channel, clipSearch: true)))
        #expect(try parse("method = \"gguf\"\ntype = \"Q4_0\"\n").method == .ggml(.q4_0))
        #expect(try parse("method = \"gguf\"\npreset = \"q4_k_m\"\n").method == .ggmlPreset(.q4_K_M))
        // bitsandbytes' own default quant_type is fp4.
        #expect(try parse("method = \"bnb_4bit\"\n").method == .bnb4bit(BnB4BitSettings(quantType: .fp4, blocksize: 64, doubleQuant: false)))
        let int8 = try parse("method = \"bnb_int8\"\nthreshold = 4\n")
        #expect(int8.method == .int8(perRow: true) && int8.activation == .llmInt8(threshold: 4))
        #expect(try parse("method = \"bnb_int8\"\n").activation == .llmInt8(threshold: 6))
        #expect(try parse("method = \"dynamic_int8\"\n").activation == .dynamicInt8)
        // llama-quantize's options: --imatrix, --pure with a mixture, --output-tensor-type, --token-embedding-type.
        let gguf = try parse(
            "method = \"gguf\"\npreset = \"q4_k_m\"\nimatrix = true\noutput_type = \"q8_0\"\ntoken_embedding_type = \"q4_k\"\n[overrides]\n\"blk.0.*\" = \"q6_k\"\n"
        )
        #expect(gguf.importanceMatrix && gguf.method == .ggmlPreset(.q4_K_M))
        #expect(
            gguf.overrides == [
                .init(pattern: "output.weight", method: .ggml(.q8_0)), .init(pattern: "token_embd.weight", method: .ggml(.q4_K)),
                .init(pattern: "blk.0.*", method: .ggml(.q6_K)),
            ])
        #expect(try parse("method = \"gguf\"\npreset = \"q5_k_m\"\npure = true\n").method == .ggml(.q5_K))
        #expect(try parse("method = \"gguf\"\ntype = \"q4_0\"\n").importanceMatrix == false)
        // GPTQ and AWQ: AutoGPTQ's and AutoAWQ's defaults, calibration windows per method.
        #expect(try parse("method = \"gptq\"\n").method == .gptq(GPTQRecipe()))
        let gptq = try parse(
            "method = \"gptq\"\nbits = 3\ngroup_size = -1\nact_order = true\nstatic_groups = true\nsym = false\ndamp_percent = 0.1\ntrue_sequential = false\nsamples = 8\nseq_len = 128\nseed = 4\n"
        )
        #expect(
            gptq.method
                == .gptq(
                    GPTQRecipe(
                        matrix: GPTQSettings(bits: 3, groupSize: -1, actOrder: true, staticGroups: true, symmetric: false, dampPercent: 0.1),
                        trueSequential: false, calibration: CalibrationSettings(samples: 8, sequenceLength: 128, seed: 4))))
        #expect(try parse("method = \"awq\"\n").method == .awq(AWQSettings()))
        #expect(
            try parse("method = \"awq\"\nw_bit = 3\nq_group_size = 64\nzero_point = false\nn_grid = 10\nduo_scaling = false\nclip = false\n").method
                == .awq(AWQSettings(bits: 3, groupSize: 64, zeroPoint: false, grid: 10, duoScaling: false, clip: false)))
        let overrides = try parse("method = \"rtn\"\n[overrides]\n\"output.weight\" = \"q8_0\"\n\"blk.0.*\" = \"keep\"\n")
        #expect(overrides.overrides == [.init(pattern: "blk.0.*", method: .keep), .init(pattern: "output.weight", method: .ggml(.q8_0))])
    }

    @Test func evaluationOptionsAreReadBesideTheRecipe() throws {
        let (recipe, evaluation) = try QuantizationSettings.parseWithEvaluation(
            "method = \"rtn\"\nbits = 8\n\n[evaluation]\nchunks = 4\ncontext = 64\n", file: "s.toml")
        #expect(recipe == (try parse("method = \"rtn\"\nbits = 8\n")))
        #expect(evaluation == .init(chunks: 4, context: 64, line: 4))
        #expect(try QuantizationSettings.parseWithEvaluation("method = \"rtn\"\n", file: "s.toml").evaluation.isEmpty)
        // An exercise fixes its own evaluation, and says where the table is.
        let exercise = Exercise(
            id: "02-demo", number: 2, slug: "demo", title: "T", module: 2, brief: "B", methods: [.rtn], chunks: 32, passMark: 1,
            checks: [], directory: URL(fileURLWithPath: "/"))
        #expect(
            throws: CourseProblem(
                file: "s.toml", line: 2,
                message:
                    "exercise 02-demo fixes its own evaluation (32 chunks of 256 tokens) so that every submission is graded alike; remove the [evaluation] table (it applies to quantlab eval and quantize)"
            )
        ) {
            try ExerciseRunner.recipe(settings: "method = \"rtn\"\n[evaluation]\nchunks = 2\n", file: "s.toml", exercise: exercise)
        }
    }

    @Test func everyProblemNamesTheLineTheKeyAndWhatIsAllowed() {
        let cases: [(String, Int?, String)] = [
            (
                "bits = 4\n", 1,
                "`method` is missing; set it to one of \"rtn\", \"gguf\", \"gptq\", \"awq\", \"bnb_4bit\", \"bnb_int8\", \"dynamic_int8\", e.g. method = \"rtn\""
            ),
            (
                "method = \"rnt\"\n", 1,
                "unknown method \"rnt\"; did you mean \"rtn\"? (available: \"rtn\", \"gguf\", \"gptq\", \"awq\", \"bnb_4bit\", \"bnb_int8\", \"dynamic_int8\")"
            ),
            ("method = \"bnb_int8\"\nthreshold = -1\n", 2, "`threshold` = -1.0 is out of range; use 0.0 to 1000.0 (default 6.0)"),
            ("method = \"bnb_int8\"\nthreshold = \"6\"\n", 2, "`threshold` must be a number from 0.0 to 1000.0 (default 6.0); got a string"),
            (
                "method = \"dynamic_int8\"\nbits = 8\n", 2,
                "unknown key `bits` for method \"dynamic_int8\" (this method takes no settings; only [overrides] and [evaluation])"
            ),
            ("method = \"rtn\"\nbits = 1\n", 2, "`bits` = 1 is out of range; use 2 to 8 (default 4)"),
            ("method = \"rtn\"\n\nbits = 9\n", 3, "`bits` = 9 is out of range; use 2 to 8 (default 4)"),
            ("method = \"rtn\"\nbits = \"4\"\n", 2, "`bits` must be an integer from 2 to 8 (default 4); got a string"),
            ("method = \"rtn\"\ngroup_size = 0\n", 2, "`group_size` = 0 is out of range; use 32 to 1024 (default 64)"),
            (
                "method = \"rtn\"\ngranularity = \"channel\"\ngroup_size = 64\n", 3,
                "`group_size` only applies with granularity = \"group\" (granularity is \"channel\")"
            ),
            (
                "method = \"rtn\"\ngroupsize = 64\n", 2,
                "unknown key `groupsize` for method \"rtn\"; did you mean `group_size`? (allowed: bits, symmetric, granularity, group_size, clip_search, overrides, evaluation)"
            ),
            (
                "method = \"rtn\"\ngranularity = \"grup\"\n", 2,
                "`granularity` = \"grup\" is not allowed; use one of \"tensor\", \"channel\", \"group\" (default \"group\"); did you mean \"group\"?"
            ),
            (
                "method = \"gguf\"\ntype = \"q4_o\"\n", 2,
                "`type` = \"q4_o\" is not allowed; use one of \"f32\", \"f16\", \"bf16\", \"q8_0\", \"q4_0\", \"q4_1\", \"q5_0\", \"q5_1\", \"q2_k\", \"q3_k\", \"q4_k\", \"q5_k\", \"q6_k\", \"iq4_nl\" (required); did you mean \"q4_0\"?"
            ),
            (
                "method = \"gguf\"\n", 1,
                "method \"gguf\" needs `type`, one of \"f32\", \"f16\", \"bf16\", \"q8_0\", \"q4_0\", \"q4_1\", \"q5_0\", \"q5_1\", \"q2_k\", \"q3_k\", \"q4_k\", \"q5_k\", \"q6_k\", \"iq4_nl\", or `preset`, one of \"q3_k_m\", \"q4_k_m\", \"q5_k_m\""
            ),
            (
                "method = \"gguf\"\ntype = \"q4_k\"\npreset = \"q4_k_m\"\n", 3,
                "set either `type` (one type for every matrix, like llama-quantize --pure) or `preset` (a llama-quantize mixture), not both"
            ),
            (
                "method = \"gguf\"\ntype = \"q4_0\"\npure = true\n", 3,
                "`pure` applies to a `preset` (every matrix at the preset's base type, like llama-quantize --pure); a single `type` is already pure"
            ),
            ("method = \"gguf\"\ntype = \"q4_0\"\nimatrix = 1\n", 3, "`imatrix` must be true or false (default false); got an integer"),
            (
                "method = \"gguf\"\ntype = \"q4_0\"\noutput_type = \"q7\"\n", 3,
                "`output_type` = \"q7\" is not allowed; use one of \"f32\", \"f16\", \"bf16\", \"q8_0\", \"q4_0\", \"q4_1\", \"q5_0\", \"q5_1\", \"q2_k\", \"q3_k\", \"q4_k\", \"q5_k\", \"q6_k\", \"iq4_nl\" (required)"
            ),
            ("method = \"gptq\"\ndamp_percent = 0\n", 2, "`damp_percent` = 0.0 is out of range; use more than 0 and less than 1 (default 0.01)"),
            ("method = \"gptq\"\ndamp_percent = 1\n", 2, "`damp_percent` = 1.0 is out of range; use more than 0 and less than 1 (default 0.01)"),
            ("method = \"gptq\"\nbits = 5\n", 2, "`bits` = 5 is not allowed; GPTQ uses 2, 3, 4 or 8 (default 4)"),
            ("method = \"gptq\"\nsamples = 0\n", 2, "`samples` = 0 is out of range; use 1 to 1024 (default 32)"),
            ("method = \"awq\"\nq_group_size = 16\n", 2, "`q_group_size` = 16 is out of range; use -1 (one group per row) or 32 to 1024 (default 128)"),
            ("method = \"awq\"\nsamples = 0\n", 2, "`samples` = 0 is out of range; use 1 to 1024 (default 16)"),
            (
                "method = \"awq\"\nw_bits = 4\n", 2,
                "unknown key `w_bits` for method \"awq\"; did you mean `w_bit`? (allowed: w_bit, q_group_size, zero_point, n_grid, duo_scaling, clip, samples, seq_len, seed, overrides, evaluation)"
            ),
            (
                "method = \"rtn\"\nimatrix = true\n", 2,
                "unknown key `imatrix` for method \"rtn\" (allowed: bits, symmetric, granularity, group_size, clip_search, overrides, evaluation)"
            ),
            ("method = \"bnb_4bit\"\nblocksize = 7\n", 2, "`blocksize` = 7 is out of range; use 32 to 4096 (default 64)"),
            ("method = \"bnb_4bit\"\nblocksize = 100\n", 2, "blocksize = 100 is not allowed; use one of 32, 64, 128, 256, 512, 1024, 2048, 4096 (default 64)"),
            (
                "method = \"rtn\"\n[overrides]\n\"output.weight\" = \"q9\"\n", 3,
                "override \"output.weight\" must be one of \"keep\", \"f32\", \"f16\", \"bf16\", \"q8_0\", \"q4_0\", \"q4_1\", \"q5_0\", \"q5_1\", \"q2_k\", \"q3_k\", \"q4_k\", \"q5_k\", \"q6_k\", \"iq4_nl\""
            ),
            ("method = \"rtn\"\n[evaluation]\nchunk = 4\n", 3, "unknown key `chunk` in [evaluation]; did you mean `chunks`? (allowed: chunks, context)"),
            ("method = \"rtn\"\n[evaluation]\nchunks = 0\n", 3, "[evaluation] `chunks` = 0 is out of range; use 1 to 1000 (default all)"),
            ("method = \"rtn\"\n\n[evaluation]\ncontext = \"64\"\n", 4, "[evaluation] `context` must be an integer from 8 to 4096 (default 256); got a string"),
            ("method = \"rtn\"\nevaluation = 3\n", 2, "`evaluation` must be a table: [evaluation] followed by chunks = N and/or context = N"),
            ("method = \"rtn\"\nbits = [\n", nil, ""),
        ]
        for (text, line, message) in cases {
            guard let p = problem(text) else {
                Issue.record("accepted: \(text)")
                continue
            }
            #expect(p.file == "s.toml")
            if let line {
                #expect(p.line == line, "\(text)")
                #expect(p.message == message)
            } else {
                #expect(p.message.hasPrefix("not valid TOML"))
            }
        }
    }

    @Test func oversizedFilesAreRefused() {
        let big = "method = \"rtn\"\n#" + String(repeating: "x", count: 70_000) + "\n"
        #expect(problem(big)?.message == "the settings file has \(big.utf8.count) bytes; at most 65536 are allowed")
    }

    /// Settings files are untrusted: mutated ones parse or fail with a problem naming the file.
    @Test func mutatedSettingsNeverCrash() {
        let original = "method = \"rtn\"\nbits = 4\ngranularity = \"group\"\ngroup_size = 64\nclip_search = true\n[overrides]\n\"output.weight\" = \"q8_0\"\n"
        let fragments = [
            "[", "]", "[[", "]]", "{", "}", "=", "\"", "'", "\n", "#", "method = \"bnb_4bit\"", "method = \"gguf\"", "preset = \"q4_k_m\"",
            "threshold = 1e400", "bits = -9223372036854775808", "group_size = 99999999999", "[overrides]", "\"*\" = \"keep\"", "ü", "\u{0}",
        ]
        var fuzz = FuzzOptions(iterations: 500, seed: 7)
        var parsed = 0
        var refused = 0
        for _ in 0..<fuzz.iterations {
            var chars = Array(original)
            for _ in 0..<Int.random(in: 1...5, using: &fuzz.rng) {
                let at = Int.random(in: 0...chars.count, using: &fuzz.rng)
                switch Int.random(in: 0..<3, using: &fuzz.rng) {
                case 0: chars.insert(contentsOf: fragments.randomElement(using: &fuzz.rng)!, at: at)
                case 1: if at < chars.count { chars.removeSubrange(at..<min(chars.count, at + Int.random(in: 1...12, using: &fuzz.rng))) }
                default: chars.insert(Character(Unicode.Scalar(UInt8.random(in: 0...127, using: &fuzz.rng))), at: at)
                }
            }
            fuzz.dump(String(chars))
            do {
                _ = try QuantizationSettings.parse(String(chars), file: "fuzz.toml")
                parsed += 1
            } catch {
                refused += 1
                #expect(error.file == "fuzz.toml" && !error.message.isEmpty)
            }
        }
        #expect(parsed > 0 && refused > 0)
    }
}
