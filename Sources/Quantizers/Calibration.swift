import QuantCore

/// How much calibration text a calibration-based method (GPTQ, AWQ) sees: `samples` windows of
/// `sequenceLength` tokens drawn from the calibration split with a seeded generator, as
/// AutoGPTQ's and AutoAWQ's examples draw random windows from their calibration datasets.
public struct CalibrationSettings: Sendable, Equatable, Codable {
    public var samples: Int
    public var sequenceLength: Int
    public var seed: UInt64

    /// 32 × 256: the reference calibration split holds 9,167 tokens, so 32 windows of 256 see
    /// most of it once; AutoGPTQ's 128 would see each token about 3.6 times over.
    public init(samples: Int = 32, sequenceLength: Int = 256, seed: UInt64 = 0) {
        self.samples = samples
        self.sequenceLength = sequenceLength
        self.seed = seed
    }

    public static let maximumSamples = 1024

    public func validate(contextLength: Int, availableTokens: Int) throws(QuantizerError) {
        guard (1...Self.maximumSamples).contains(samples) else {
            throw .invalidSetting(key: "samples", value: "\(samples)", allowed: "1 to \(Self.maximumSamples)")
        }
        guard (2...contextLength).contains(sequenceLength) else {
            throw .invalidSetting(key: "seq_len", value: "\(sequenceLength)", allowed: "2 to \(contextLength) (the model's context)")
        }
        guard availableTokens >= sequenceLength else {
            throw .invalidSetting(
                key: "seq_len", value: "\(sequenceLength)",
                allowed: "at most \(availableTokens) (the calibration text has \(availableTokens) tokens)")
        }
    }
}

/// The calibration windows themselves: each starts with BOS when the tokenizer adds one, like
/// the evaluation chunks, followed by sequenceLength − 1 consecutive tokens of the text.
public struct CalibrationSet: Sendable, Equatable {
    public let sequences: [[Int32]]
    public var tokenCount: Int { sequences.reduce(0) { $0 + $1.count } }

    public init(tokens: [Int32], settings: CalibrationSettings, bos: Int32?, contextLength: Int) throws(QuantizerError) {
        let body = bos != nil && tokens.first == bos ? Array(tokens.dropFirst()) : tokens
        let length = bos == nil ? settings.sequenceLength : settings.sequenceLength - 1
        try settings.validate(contextLength: contextLength, availableTokens: body.count + (bos == nil ? 0 : 1))
        var random = SplitMix64(seed: settings.seed)
        let starts = body.count - length + 1
        sequences = (0..<settings.samples).map { _ in
            let start = Int(random.next() % UInt64(starts))
            return (bos.map { [$0] } ?? []) + body[start..<(start + length)]
        }
    }
}

/// The residual stream of every calibration sequence at the entry of one block, moved forward
/// block by block: memory is samples × sequenceLength × dim floats, whatever the model depth.
struct BlockInputs {
    let model: LlamaModel
    /// [sample][n · dim]
    private(set) var states: [[Float]]

    init(model: LlamaModel, calibration: CalibrationSet) throws(ModelError) {
        self.model = model
        var states: [[Float]] = []
        for sequence in calibration.sequences { states.append(try model.embed(sequence)) }
        self.states = states
    }

    /// Runs every sequence through `block`, observing each matrix input (sample, matrix, input).
    func observe(_ block: LlamaBlockWeights, threads: Int, _ body: (_ sample: Int, _ matrix: Int, _ input: [Float]) -> Void) {
        withoutActuallyEscaping(body) { body in
            for (s, state) in states.enumerated() {
                var x = state
                model.runBlock(block, x: &x, threads: threads) { body(s, $0, $1) }
            }
        }
    }

    /// Moves every sequence through `block` to the next block's entry.
    mutating func advance(through block: LlamaBlockWeights, threads: Int) {
        for s in states.indices { model.runBlock(block, x: &states[s], threads: threads) }
    }
}
