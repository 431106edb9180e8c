import Testing

@testable import QuantCore

@Suite struct LlamaConfigTests {
    @Test func configurationErrorsNameTheKeyOrTensor() throws {
        var writer = try TinyModel.gguf(weights: TinyModel.weights())
        writer.set("llama.attention.head_count_kv", .uint32(3))
        #expect(throws: GGUFError(path: "x.gguf", .badValue(key: "llama.attention.head_count_kv", expected: "a divisor of head_count 4", actual: "3"))) {
            try LlamaConfig(file: GGUFFile(path: "x.gguf", bytes: writer.serialize()))
        }
        writer.set("general.architecture", .string("gpt2"))
        #expect(throws: GGUFError.self) { try LlamaConfig(file: GGUFFile(path: "x.gguf", bytes: writer.serialize())) }
        var wrongShape = GGUFWriter()
        let good = try TinyModel.gguf(weights: TinyModel.weights())
        for (key, value) in good.metadata { wrongShape.set(key, value) }
        for tensor in good.tensors {
            if tensor.name == "blk.1.ffn_up.weight" {
                try wrongShape.addTensor(name: tensor.name, shape: [24, 16], type: .f32, bytes: tensor.bytes)
            } else {
                try wrongShape.addTensor(name: tensor.name, shape: tensor.shape, type: tensor.type, bytes: tensor.bytes)
            }
        }
        #expect(throws: GGUFError(path: "x.gguf", .wrongTensorShape(tensor: "blk.1.ffn_up.weight", expected: [16, 24], actual: [24, 16]))) {
            try LlamaModel(file: GGUFFile(path: "x.gguf", bytes: wrongShape.serialize()))
        }
    }

    @Test func parameterCountMatchesTheTensors() throws {
        let file = try GGUFFile(path: "tiny.gguf", bytes: try TinyModel.gguf(weights: TinyModel.weights()).serialize())
        #expect(try LlamaConfig(file: file).parameterCount == file.tensors.reduce(0) { $0 + $1.elementCount })
    }
}
