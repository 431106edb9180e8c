/// Why a GGUF file was rejected. Every case names the key or tensor it is about and what was
/// expected, because GGUF files are untrusted input and the message is all a user gets.
public struct GGUFError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Problem: Equatable, Sendable {
        case cannotOpen(reason: String)
        case tooSmall(size: Int)
        case badMagic(found: [UInt8])
        case unsupportedVersion(UInt32)
        case truncated(offset: Int, reading: String)
        case invalidUTF8(reading: String)
        case countTooLarge(reading: String, count: UInt64, limit: Int)
        case unknownValueType(key: String, raw: UInt32)
        case nestedArray(key: String)
        case duplicateKey(String)
        case badAlignment(UInt64)
        case badDimensionCount(tensor: String, count: UInt32)
        case badShape(tensor: String, shape: [UInt64])
        case unknownTensorType(tensor: String, raw: UInt32)
        case shapeNotBlockMultiple(tensor: String, rowLength: UInt64, blockSize: Int, type: String)
        case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
        case tensorOutOfFile(tensor: String, offset: UInt64, bytes: UInt64, dataBytes: Int)
        case overlappingTensors(String, String)
        case duplicateTensor(String)
        case missingKey(String)
        case wrongValueType(key: String, expected: String, actual: String)
        case badValue(key: String, expected: String, actual: String)
        case missingTensor(String)
        case wrongTensorShape(tensor: String, expected: [Int], actual: [Int])
        case writeFailed(reason: String)
        case unsupported(String)
    }

    public let path: String
    public let problem: Problem

    public init(path: String, _ problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        "\(path): " + detail
    }

    private var detail: String {
        switch problem {
        case .cannotOpen(let reason):
            "cannot open the file (\(reason))"
        case .tooSmall(let size):
            "the file has \(size) bytes; a GGUF file has at least a 24-byte header"
        case .badMagic(let found):
            "not a GGUF file: it starts with \(found.map { String(format2: $0) }.joined(separator: " ")), expected 47 47 55 46 (\"GGUF\")"
        case .unsupportedVersion(let v):
            "GGUF version \(v) is not supported; expected version 2 or 3 (re-convert the model with a current llama.cpp)"
        case .truncated(let offset, let reading):
            "the file ends at byte \(offset) while reading \(reading); the file is truncated or corrupt"
        case .invalidUTF8(let reading):
            "\(reading) is not valid UTF-8"
        case .countTooLarge(let reading, let count, let limit):
            "\(reading) claims \(count) entries, but at most \(limit) fit in the rest of the file"
        case .unknownValueType(let key, let raw):
            "metadata key '\(key)' has value type \(raw); expected 0…12"
        case .nestedArray(let key):
            "metadata key '\(key)' is an array of arrays, which is not supported"
        case .duplicateKey(let key):
            "metadata key '\(key)' appears twice"
        case .badAlignment(let value):
            "general.alignment is \(value); expected a power of two from 1 to 65536"
        case .badDimensionCount(let tensor, let count):
            "tensor '\(tensor)' has \(count) dimensions; expected 1 to 4"
        case .badShape(let tensor, let shape):
            "tensor '\(tensor)' has shape \(shape), whose element count is zero or overflows"
        case .unknownTensorType(let tensor, let raw):
            "tensor '\(tensor)' has type \(raw), which is not a supported ggml type (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K…Q6_K)"
        case .shapeNotBlockMultiple(let tensor, let rowLength, let blockSize, let type):
            "tensor '\(tensor)' has rows of \(rowLength) elements; \(type) needs a multiple of \(blockSize)"
        case .misalignedTensor(let tensor, let offset, let alignment):
            "tensor '\(tensor)' starts at data offset \(offset), which is not a multiple of the alignment \(alignment)"
        case .tensorOutOfFile(let tensor, let offset, let bytes, let dataBytes):
            "tensor '\(tensor)' needs bytes \(offset)..<\(offset &+ bytes) of the data section, which has \(dataBytes) bytes"
        case .overlappingTensors(let a, let b):
            "tensors '\(a)' and '\(b)' overlap in the data section"
        case .duplicateTensor(let name):
            "tensor '\(name)' appears twice"
        case .missingKey(let key):
            "metadata key '\(key)' is missing"
        case .wrongValueType(let key, let expected, let actual):
            "metadata key '\(key)' has type \(actual); expected \(expected)"
        case .badValue(let key, let expected, let actual):
            "metadata key '\(key)' is \(actual); expected \(expected)"
        case .missingTensor(let name):
            "tensor '\(name)' is missing"
        case .wrongTensorShape(let tensor, let expected, let actual):
            "tensor '\(tensor)' has shape \(actual); expected \(expected) (ggml order, innermost first)"
        case .writeFailed(let reason):
            "cannot write the file (\(reason))"
        case .unsupported(let detail):
            detail
        }
    }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
