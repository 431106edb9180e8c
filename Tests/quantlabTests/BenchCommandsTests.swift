import Foundation
import TestSupport
import Testing

@Suite struct BenchCommandsTests {
    /// bench model on the reference model: pp and tg rows against an F16 twin made in memory.
    @Test func benchModelPrintsLlamaBenchsTests() throws {
        let json = try CLI.run(["bench", "model", "-p", "8", "-n", "2", "-r", "1", "--threads", "1", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.compactMap { $0["test"] as? String } == ["pp8", "tg2"])
        #expect(rows?.allSatisfy { ($0["tokensPerSecond"] as? Double ?? 0) > 0 && ($0["f16TokensPerSecond"] as? Double ?? 0) > 0 } == true)
        let text = try CLI.run(["bench", "model", "-p", "8", "-n", "0", "-r", "1", "--threads", "1"])
        #expect(text.stdout.contains("F16: converted in memory") && text.stdout.contains("| storyteller-2m-f32.gguf |") && text.stdout.contains("| pp8 |"))
        let bad = try CLI.run(["bench", "model", "-p", "0", "-n", "0"])
        #expect(bad.status == 64)
    }
}
