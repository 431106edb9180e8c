import Foundation
import QuantCore
import Testing

@testable import Quantizers

@Suite struct LlamaQuantizeTests {
    struct Fixture: Decodable { var mixtures: [String: [String: String]] }

    @Test(arguments: LlamaQuantize.Preset.allCases)
    func mixtureTypesEqualLlamaQuantize(preset: LlamaQuantize.Preset) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fixture = try JSONDecoder().decode(
            Fixture.self, from: Data(contentsOf: root.appendingPathComponent("Tests/QuantCoreTests/Fixtures/quantize/kquants.json")))
        let expected = try #require(fixture.mixtures[preset.rawValue.uppercased().replacingOccurrences(of: "_K_", with: "_K_")])
        let file = try GGUFFile.open(path: root.appendingPathComponent(ReferenceModel.relativePath).path)
        let types = LlamaQuantize.types(for: file, preset: preset)
        #expect(types.count == expected.count)
        for (name, type) in types { #expect(expected[name] == type.description, "\(name)") }
    }

    @Test func useMoreBitsPicksFirstAndLastEighthAndEveryThirdLayer() {
        let chosen = (0..<32).filter { LlamaQuantize.useMoreBits($0, 32) }
        #expect(chosen == [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31])
        #expect((0..<4).filter { LlamaQuantize.useMoreBits($0, 4) } == [2, 3])
    }

    @Test func the70BRuleGivesTheRemainingAttnVQ5K() {
        let types = LlamaQuantize.types(for: ModelShape.llama2_70B.tensors, preset: .q4_K_M)
        let attnV = (0..<80).map { types["blk.\($0).attn_v.weight"]! }
        #expect(attnV.filter { $0 == .q6_K }.count == (0..<80).filter { LlamaQuantize.useMoreBits($0, 80) }.count)
        #expect(attnV.allSatisfy { $0 == .q6_K || $0 == .q5_K })
        #expect(types["blk.0.attn_q.weight"] == .q4_K && types["output.weight"] == .q6_K)
    }
}
