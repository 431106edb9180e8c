import CourseContent
import Foundation

// Fuzz targets for QuantLab's parsers of untrusted text (development: scripts/dev/fuzz.sh). Built
// with -DFUZZING and -sanitize=fuzzer, this is a libFuzzer binary; built plainly (as CI builds
// every target), it replays the inputs named on its command line through the same function, so a
// crash the fuzzer found stays a regression check.

/// The one input a target is given: a TOML text parsed as QuantLab parses settings files,
/// exercise specs, front matter and quiz blocks. Anything but a document or a `TOMLSyntaxError`
/// (a trap, a leak, a hang) is a finding.
func fuzzTOML(_ bytes: UnsafeRawBufferPointer) {
    guard let text = String(validating: bytes, as: UTF8.self) else { return }
    if let document = try? TOMLDocument(parsing: text) {
        for key in document.root.keys { _ = document.line(of: key) }
    }
}

#if FUZZING
    /// libFuzzer's entry point (its own `main` drives it; scripts/dev/fuzz.sh links the binary).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzTOML(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
#else
    /// The replayer: each file named on the command line goes through the same function.
    @main
    struct Replay {
        static func main() {
            var replayed = 0
            for path in CommandLine.arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("quantlab-fuzz: cannot read \(path)\n".utf8))
                    exit(66)
                }
                data.withUnsafeBytes { fuzzTOML($0) }
                replayed += 1
            }
            print("quantlab-fuzz: replayed \(replayed) inputs")
        }
    }
#endif
