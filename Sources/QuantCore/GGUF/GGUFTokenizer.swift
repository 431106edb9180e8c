/// Reading a tokenizer description from the `tokenizer.ggml.*` keys llama.cpp reads.
extension TokenizerSpec {
    public init(file: GGUFFile) throws(GGUFError) {
        let model = try file.string("tokenizer.ggml.model")
        guard case .string(let tokens) = try file.array("tokenizer.ggml.tokens") else {
            throw GGUFError(path: file.path, .wrongValueType(key: "tokenizer.ggml.tokens", expected: "arr[str]", actual: "an array of another type"))
        }
        self.init(model: model, tokens: tokens)
        if file.value("tokenizer.ggml.pre") != nil { pre = try file.string("tokenizer.ggml.pre") }
        if file.value("tokenizer.ggml.scores") != nil {
            guard case .float32(let scores) = try file.array("tokenizer.ggml.scores") else {
                throw GGUFError(path: file.path, .wrongValueType(key: "tokenizer.ggml.scores", expected: "arr[f32]", actual: "an array of another type"))
            }
            self.scores = scores
        }
        if file.value("tokenizer.ggml.token_type") != nil {
            guard let types = try file.array("tokenizer.ggml.token_type").integers else {
                throw GGUFError(path: file.path, .wrongValueType(key: "tokenizer.ggml.token_type", expected: "arr[i32]", actual: "an array of another type"))
            }
            tokenTypes = types.map { Int32(clamping: $0) }
        }
        if file.value("tokenizer.ggml.merges") != nil {
            guard case .string(let merges) = try file.array("tokenizer.ggml.merges") else {
                throw GGUFError(path: file.path, .wrongValueType(key: "tokenizer.ggml.merges", expected: "arr[str]", actual: "an array of another type"))
            }
            self.merges = merges
        }
        func id(_ key: String) throws(GGUFError) -> Int32? {
            file.value(key) == nil ? nil : Int32(try file.integer(key, in: 0...Int64(Int32.max)))
        }
        func flag(_ key: String) throws(GGUFError) -> Bool? {
            file.value(key) == nil ? nil : try file.bool(key)
        }
        bosID = try id("tokenizer.ggml.bos_token_id")
        eosID = try id("tokenizer.ggml.eos_token_id")
        unknownID = try id("tokenizer.ggml.unknown_token_id")
        paddingID = try id("tokenizer.ggml.padding_token_id")
        addBOS = try flag("tokenizer.ggml.add_bos_token")
        addEOS = try flag("tokenizer.ggml.add_eos_token")
        addSpacePrefix = try flag("tokenizer.ggml.add_space_prefix")
    }
}
