#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds a GGUF version 3 file: metadata in insertion order, tensor infos, then the data
/// section with every tensor aligned to `alignment`, as ggml's `gguf_write_to_file` lays it out.
public struct GGUFWriter: Sendable {
    public struct Tensor: Sendable {
        public let name: String
        public let shape: [Int]
        public let type: TensorType
        /// The data; empty for a zero-filled tensor (`addZeroTensor`).
        public let bytes: [UInt8]
        /// Bytes of data in the file.
        public let byteCount: Int
    }

    public private(set) var alignment: Int
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [Tensor] = []

    /// `alignment` must be a power of two; when it is not 32 it is recorded as `general.alignment`.
    public init(alignment: Int = 32) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        self.alignment = alignment
        if alignment != 32 { set("general.alignment", .uint32(UInt32(alignment))) }
    }

    /// Sets a key, replacing an earlier value in place.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let index = metadata.firstIndex(where: { $0.key == key }) {
            metadata[index].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds a tensor whose bytes are already in `type`'s block layout.
    public mutating func addTensor(name: String, shape: [Int], type: TensorType, bytes: [UInt8]) throws(GGUFError) {
        let expected = try checkedByteCount(name: name, shape: shape, type: type)
        guard bytes.count == expected else {
            throw GGUFError(path: name, .badValue(key: name, expected: "\(expected) bytes of \(type)", actual: "\(bytes.count) bytes"))
        }
        tensors.append(Tensor(name: name, shape: shape, type: type, bytes: bytes, byteCount: expected))
    }

    /// Adds a tensor whose data is all zero bytes (in a block type: every scale and code zero),
    /// which `write(to:)` leaves as a hole in the file: synthetic models of any size cost no disk
    /// and no memory to write.
    public mutating func addZeroTensor(name: String, shape: [Int], type: TensorType) throws(GGUFError) {
        tensors.append(Tensor(name: name, shape: shape, type: type, bytes: [], byteCount: try checkedByteCount(name: name, shape: shape, type: type)))
    }

    /// The data size of a new tensor, after checking its name and shape.
    private func checkedByteCount(name: String, shape: [Int], type: TensorType) throws(GGUFError) -> Int {
        guard !tensors.contains(where: { $0.name == name }) else { throw GGUFError(path: name, .duplicateTensor(name)) }
        guard (1...4).contains(shape.count), shape.allSatisfy({ $0 > 0 }) else {
            throw GGUFError(path: name, .badShape(tensor: name, shape: shape.map { UInt64(max($0, 0)) }))
        }
        let format = type.format
        guard shape[0] % format.blockSize == 0, let expected = format.byteCount(elements: shape.reduce(1, *)) else {
            throw GGUFError(path: name, .shapeNotBlockMultiple(tensor: name, rowLength: UInt64(shape[0]), blockSize: format.blockSize, type: type.description))
        }
        return expected
    }

    /// Adds an F32 tensor.
    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) throws(GGUFError) {
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        for (index, value) in floats.enumerated() {
            let bits = value.bitPattern.littleEndian
            for b in 0..<4 { bytes[index * 4 + b] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(b))) }
        }
        try addTensor(name: name, shape: shape, type: .f32, bytes: bytes)
    }

    /// Metadata, tensor infos and the padding before the data section.
    private func header() -> [UInt8] {
        var out = ByteWriter()
        out.bytes(Array("GGUF".utf8))
        out.u32(3)
        out.u64(UInt64(tensors.count))
        out.u64(UInt64(metadata.count))
        for (key, value) in metadata {
            out.string(key)
            out.u32(value.type.rawValue)
            out.value(value)
        }
        var offset = 0
        for tensor in tensors {
            out.string(tensor.name)
            out.u32(UInt32(tensor.shape.count))
            for dimension in tensor.shape { out.u64(UInt64(dimension)) }
            out.u32(tensor.type.rawValue)
            out.u64(UInt64(offset))
            offset += padded(tensor.byteCount)
        }
        out.pad(to: alignment)
        return out.buffer
    }

    /// The complete file image (zero-filled tensors written out as zeros).
    public func serialize() -> [UInt8] {
        var image = header()
        for tensor in tensors {
            image.append(contentsOf: tensor.bytes.isEmpty ? [UInt8](repeating: 0, count: tensor.byteCount) : tensor.bytes)
            image.append(contentsOf: repeatElement(0, count: padded(tensor.byteCount) - tensor.byteCount))
        }
        return image
    }

    /// Writes the file atomically (a temporary file beside `path`, then a rename), tensor by
    /// tensor, without building the image in memory; zero-filled tensors become holes.
    public func write(to path: String) throws(GGUFError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GGUFError(path: path, .writeFailed(reason: String(cString: strerror(errno)))) }
        func writeAll(_ bytes: UnsafeRawBufferPointer) -> String? {
            var written = 0
            while written < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += n
            }
            return nil
        }
        var failure = header().withUnsafeBytes(writeAll)
        var size = header().count
        let zeros = [UInt8](repeating: 0, count: alignment)
        for tensor in tensors where failure == nil {
            if tensor.bytes.isEmpty {
                if lseek(fd, off_t(tensor.byteCount), SEEK_CUR) < 0 { failure = String(cString: strerror(errno)) }
            } else {
                failure = tensor.bytes.withUnsafeBytes(writeAll)
            }
            let pad = padded(tensor.byteCount) - tensor.byteCount
            if failure == nil, pad > 0 { failure = zeros.withUnsafeBytes { writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<pad])) } }
            size += padded(tensor.byteCount)
        }
        // A hole at the end still counts toward the file's size.
        if failure == nil, ftruncate(fd, off_t(size)) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            close(fd)
            unlink(temporary)
            throw GGUFError(path: path, .writeFailed(reason: failure))
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            unlink(temporary)
            throw GGUFError(path: path, .writeFailed(reason: String(cString: strerror(errno))))
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw GGUFError(path: path, .writeFailed(reason: reason))
        }
    }

    private func padded(_ count: Int) -> Int {
        (count + alignment - 1) / alignment * alignment
    }
}

/// Little-endian serialisation of GGUF primitives.
struct ByteWriter {
    var buffer: [UInt8] = []

    mutating func bytes(_ b: [UInt8]) { buffer.append(contentsOf: b) }
    mutating func u8(_ v: UInt8) { buffer.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u64(UInt64(utf8.count))
        bytes(utf8)
    }

    mutating func pad(to alignment: Int) {
        let extra = (alignment - buffer.count % alignment) % alignment
        buffer.append(contentsOf: repeatElement(0, count: extra))
    }

    mutating func value(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): u8(v)
        case .int8(let v): u8(UInt8(bitPattern: v))
        case .uint16(let v): u16(v)
        case .int16(let v): u16(UInt16(bitPattern: v))
        case .uint32(let v): u32(v)
        case .int32(let v): u32(UInt32(bitPattern: v))
        case .uint64(let v): u64(v)
        case .int64(let v): u64(UInt64(bitPattern: v))
        case .float32(let v): u32(v.bitPattern)
        case .float64(let v): u64(v.bitPattern)
        case .bool(let v): u8(v ? 1 : 0)
        case .string(let v): string(v)
        case .array(let array):
            u32(array.elementType.rawValue)
            u64(UInt64(array.count))
            switch array {
            case .uint8(let a): a.forEach { u8($0) }
            case .int8(let a): a.forEach { u8(UInt8(bitPattern: $0)) }
            case .uint16(let a): a.forEach { u16($0) }
            case .int16(let a): a.forEach { u16(UInt16(bitPattern: $0)) }
            case .uint32(let a): a.forEach { u32($0) }
            case .int32(let a): a.forEach { u32(UInt32(bitPattern: $0)) }
            case .uint64(let a): a.forEach { u64($0) }
            case .int64(let a): a.forEach { u64(UInt64(bitPattern: $0)) }
            case .float32(let a): a.forEach { u32($0.bitPattern) }
            case .float64(let a): a.forEach { u64($0.bitPattern) }
            case .bool(let a): a.forEach { u8($0 ? 1 : 0) }
            case .string(let a): a.forEach { string($0) }
            }
        }
    }
}
