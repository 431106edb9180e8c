/// The methods a settings file can name (`method = "…"`) and an exercise can allow
/// (`methods = […]`), by their settings-file names.
public enum QuantizationMethod: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case rtn
    case gguf
    case gptq
    case awq
    case bnb4bit = "bnb_4bit"
    case bnbInt8 = "bnb_int8"
    case dynamicInt8 = "dynamic_int8"

    /// The settings-file name.
    public var description: String { rawValue }

    /// Every name, quoted, for messages: "rtn", "gguf", ….
    public static var quotedNames: String { allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") }
}
