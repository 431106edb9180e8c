#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One tensor as a GGUF file describes it. `shape` is in ggml order: `shape[0]` is the innermost
/// (contiguous) dimension, so a weight matrix `W` with `y = W·x` has shape `[in, out]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let type: TensorType
    /// Offset from the start of the data section.
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A GGUF file (version 2 or 3), memory-mapped and fully validated when opened: every count,
/// length, shape and offset is checked against the file before anything is allocated or read.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Byte offset of the data section from the start of the file.
    public let dataOffset: Int
    public let fileSize: Int

    private let keyIndex: [String: Int]
    private let tensorIndex: [String: Int]
    private let storage: Storage

    /// Memory of the file: a read-only mapping, or a copy for in-memory parsing. Never written.
    private final class Storage: @unchecked Sendable {
        let base: UnsafeRawPointer?
        let count: Int
        let mapped: Bool

        init(mapping base: UnsafeRawPointer?, count: Int) {
            self.base = base
            self.count = count
            self.mapped = true
        }

        init(copying bytes: [UInt8]) {
            let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
            bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            self.base = UnsafeRawPointer(memory)
            self.count = bytes.count
            self.mapped = false
        }

        var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

        deinit {
            guard let base else { return }
            if mapped {
                munmap(UnsafeMutableRawPointer(mutating: base), count)
            } else {
                UnsafeMutableRawPointer(mutating: base).deallocate()
            }
        }
    }

    /// Opens and validates a GGUF file, mapping it read-only.
    public static func open(path: String) throws(GGUFError) -> GGUFFile {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GGUFError(path: path, .cannotOpen(reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GGUFError(path: path, .cannotOpen(reason: String(cString: strerror(errno)))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw GGUFError(path: path, .cannotOpen(reason: "not a regular file")) }
        let size = Int(info.st_size)
        guard size >= 24 else { throw GGUFError(path: path, .tooSmall(size: size)) }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
            throw GGUFError(path: path, .cannotOpen(reason: "mmap failed: " + String(cString: strerror(errno))))
        }
        return try GGUFFile(path: path, storage: Storage(mapping: UnsafeRawPointer(mapping), count: size))
    }

    /// Parses a GGUF image held in memory (tests, and files produced by the writer).
    public convenience init(path: String, bytes: [UInt8]) throws(GGUFError) {
        guard bytes.count >= 24 else { throw GGUFError(path: path, .tooSmall(size: bytes.count)) }
        try self.init(path: path, storage: Storage(copying: bytes))
    }

    private init(path: String, storage: Storage) throws(GGUFError) {
        self.path = path
        self.storage = storage
        self.fileSize = storage.count
        var reader = ByteReader(bytes: storage.buffer, path: path)

        let magic = try reader.bytes(4, reading: "the magic number")
        guard magic == Array("GGUF".utf8) else { throw GGUFError(path: path, .badMagic(found: magic)) }
        version = try reader.u32(reading: "the version")
        guard version == 2 || version == 3 else { throw GGUFError(path: path, .unsupportedVersion(version)) }
        let tensorCount = try reader.u64(reading: "the tensor count")
        let keyCount = try reader.u64(reading: "the metadata count")
        // Each key needs at least 8 (length) + 4 (type) + 1 (smallest value) bytes; each tensor
        // info at least 8 + 4 + 8 + 4 + 8.
        try reader.checkCount(keyCount, minimumSize: 13, reading: "the metadata section")
        try reader.checkCount(tensorCount, minimumSize: 32, reading: "the tensor-info section")

        var metadata: [(key: String, value: GGUFValue)] = []
        var keyIndex: [String: Int] = [:]
        metadata.reserveCapacity(Int(keyCount))
        for _ in 0..<Int(keyCount) {
            let key = try reader.string(reading: "a metadata key")
            guard keyIndex[key] == nil else { throw GGUFError(path: path, .duplicateKey(key)) }
            let rawType = try reader.u32(reading: "the type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError(path: path, .unknownValueType(key: key, raw: rawType))
            }
            let value = try reader.value(of: type, key: key)
            keyIndex[key] = metadata.count
            metadata.append((key, value))
        }
        self.metadata = metadata
        self.keyIndex = keyIndex

        var alignment = 32
        if let index = keyIndex["general.alignment"] {
            let value = metadata[index].value
            guard let raw = value.integer else {
                throw GGUFError(path: path, .wrongValueType(key: "general.alignment", expected: "u32", actual: value.type.description))
            }
            guard raw > 0, raw <= 65536, raw & (raw - 1) == 0 else { throw GGUFError(path: path, .badAlignment(UInt64(bitPattern: raw))) }
            alignment = Int(raw)
        }
        self.alignment = alignment

        struct RawTensor {
            let name: String
            let shape: [UInt64]
            let rawType: UInt32
            let offset: UInt64
        }
        var raws: [RawTensor] = []
        raws.reserveCapacity(Int(tensorCount))
        var tensorIndex: [String: Int] = [:]
        for _ in 0..<Int(tensorCount) {
            let name = try reader.string(reading: "a tensor name")
            guard tensorIndex[name] == nil else { throw GGUFError(path: path, .duplicateTensor(name)) }
            let dims = try reader.u32(reading: "the dimension count of '\(name)'")
            guard (1...4).contains(dims) else { throw GGUFError(path: path, .badDimensionCount(tensor: name, count: dims)) }
            var shape: [UInt64] = []
            for _ in 0..<dims { shape.append(try reader.u64(reading: "the shape of '\(name)'")) }
            let rawType = try reader.u32(reading: "the type of '\(name)'")
            let offset = try reader.u64(reading: "the offset of '\(name)'")
            tensorIndex[name] = raws.count
            raws.append(RawTensor(name: name, shape: shape, rawType: rawType, offset: offset))
        }
        self.tensorIndex = tensorIndex

        let headerEnd = reader.offset
        let (padded, overflow) = headerEnd.addingReportingOverflow((alignment - headerEnd % alignment) % alignment)
        guard !overflow else { throw GGUFError(path: path, .truncated(offset: storage.count, reading: "the data section")) }
        dataOffset = padded
        if !raws.isEmpty && padded > storage.count {
            throw GGUFError(path: path, .truncated(offset: storage.count, reading: "the padding before the data section"))
        }
        let dataBytes = max(0, storage.count - padded)

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raws.count)
        for raw in raws {
            guard let type = TensorType(rawValue: raw.rawType) else {
                throw GGUFError(path: path, .unknownTensorType(tensor: raw.name, raw: raw.rawType))
            }
            var elements: UInt64 = 1
            for dimension in raw.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard dimension > 0, !overflow, product <= UInt64(Int64.max) / 8 else {
                    throw GGUFError(path: path, .badShape(tensor: raw.name, shape: raw.shape))
                }
                elements = product
            }
            let format = type.format
            guard raw.shape[0] % UInt64(format.blockSize) == 0 else {
                throw GGUFError(
                    path: path, .shapeNotBlockMultiple(tensor: raw.name, rowLength: raw.shape[0], blockSize: format.blockSize, type: type.description))
            }
            let bytes = elements / UInt64(format.blockSize) * UInt64(format.bytesPerBlock)
            guard raw.offset % UInt64(alignment) == 0 else {
                throw GGUFError(path: path, .misalignedTensor(tensor: raw.name, offset: raw.offset, alignment: alignment))
            }
            guard raw.offset <= UInt64(dataBytes), bytes <= UInt64(dataBytes) - raw.offset else {
                throw GGUFError(path: path, .tensorOutOfFile(tensor: raw.name, offset: raw.offset, bytes: bytes, dataBytes: dataBytes))
            }
            tensors.append(GGUFTensorInfo(name: raw.name, shape: raw.shape.map { Int($0) }, type: type, offset: Int(raw.offset), byteCount: Int(bytes)))
        }
        let byOffset = tensors.sorted { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }
        for (previous, next) in zip(byOffset, byOffset.dropFirst()) where previous.offset + previous.byteCount > next.offset {
            throw GGUFError(path: path, .overlappingTensors(previous.name, next.name))
        }
        self.tensors = tensors
    }

    // MARK: Metadata access

    public func value(_ key: String) -> GGUFValue? {
        keyIndex[key].map { metadata[$0].value }
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        switch try require(key) {
        case .string(let s): return s
        case let other: throw GGUFError(path: path, .wrongValueType(key: key, expected: "str", actual: other.type.description))
        }
    }

    /// An integer of any integer type, checked to lie in `range`.
    public func integer(_ key: String, in range: ClosedRange<Int64> = 0...Int64(Int32.max)) throws(GGUFError) -> Int {
        let value = try require(key)
        guard let v = value.integer else {
            throw GGUFError(path: path, .wrongValueType(key: key, expected: "an integer", actual: value.type.description))
        }
        guard range.contains(v) else {
            throw GGUFError(path: path, .badValue(key: key, expected: "\(range.lowerBound)…\(range.upperBound)", actual: "\(v)"))
        }
        return Int(v)
    }

    public func float(_ key: String) throws(GGUFError) -> Double {
        let value = try require(key)
        guard let v = value.number else {
            throw GGUFError(path: path, .wrongValueType(key: key, expected: "a number", actual: value.type.description))
        }
        guard v.isFinite else { throw GGUFError(path: path, .badValue(key: key, expected: "a finite number", actual: "\(v)")) }
        return v
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        switch try require(key) {
        case .bool(let b): return b
        case let other: throw GGUFError(path: path, .wrongValueType(key: key, expected: "bool", actual: other.type.description))
        }
    }

    public func array(_ key: String) throws(GGUFError) -> GGUFArray {
        switch try require(key) {
        case .array(let a): return a
        case let other: throw GGUFError(path: path, .wrongValueType(key: key, expected: "arr", actual: other.type.description))
        }
    }

    private func require(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = value(key) else { throw GGUFError(path: path, .missingKey(key)) }
        return value
    }

    /// Calls `body` with the whole file's bytes (e.g. to hash it).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(storage.buffer)
    }

    // MARK: Tensor access

    public func tensor(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The raw bytes of a tensor, valid as long as this file object lives.
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.buffer[(dataOffset + tensor.offset)..<(dataOffset + tensor.offset + tensor.byteCount)])
    }

    /// Lets the system drop the memory pages of `tensor`'s data once the caller has copied what
    /// it needs (a mapped file only): the mapping stays valid, and a later read brings the pages
    /// back from the file. Loading a model tensor by tensor this way holds about one copy of the
    /// weights, not the file's pages and the copy together. Pages shared with a neighbouring
    /// tensor are kept.
    public func releasePages(of tensor: GGUFTensorInfo) {
        releasePages(dataOffset + tensor.offset..<(dataOffset + tensor.offset + tensor.byteCount))
    }

    /// `releasePages(of:)` for the whole file (after reading it through, e.g. to hash it).
    public func releaseAllPages() { releasePages(0..<fileSize) }

    private func releasePages(_ range: Range<Int>) {
        guard storage.mapped, let base = storage.base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (range.lowerBound + page - 1) / page * page
        let last = range.upperBound == fileSize ? (range.upperBound + page - 1) / page * page : range.upperBound / page * page
        guard last > first else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + first), last - first, MADV_DONTNEED)
    }

    /// The tensor dequantized to F32 in ggml element order (row-major, `shape[0]` contiguous).
    public func floats(of tensor: GGUFTensorInfo) -> [Float] {
        let source = data(of: tensor)
        let format = tensor.type.format
        return [Float](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
            format.dequantize(source, UnsafeMutableBufferPointer(rebasing: buffer[0..<tensor.elementCount]))
            initialized = tensor.elementCount
        }
    }

    /// Looks up a tensor by name, checks its shape, and returns it dequantized to F32.
    public func floats(_ name: String, shape expected: [Int]) throws(GGUFError) -> [Float] {
        guard let info = tensor(name) else { throw GGUFError(path: path, .missingTensor(name)) }
        guard info.shape == expected else {
            throw GGUFError(path: path, .wrongTensorShape(tensor: name, expected: expected, actual: info.shape))
        }
        return floats(of: info)
    }
}

/// A bounds-checked little-endian cursor over the file's bytes.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, reading: @autoclosure () -> String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw GGUFError(path: path, .truncated(offset: bytes.count, reading: reading())) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func bytes(_ count: Int, reading: @autoclosure () -> String) throws(GGUFError) -> [UInt8] {
        Array(try take(count, reading: reading()))
    }

    mutating func u8(reading: @autoclosure () -> String) throws(GGUFError) -> UInt8 {
        try take(1, reading: reading())[0]
    }

    mutating func u16(reading: @autoclosure () -> String) throws(GGUFError) -> UInt16 {
        UInt16(littleEndian: try take(2, reading: reading()).loadUnaligned(as: UInt16.self))
    }

    mutating func u32(reading: @autoclosure () -> String) throws(GGUFError) -> UInt32 {
        UInt32(littleEndian: try take(4, reading: reading()).loadUnaligned(as: UInt32.self))
    }

    mutating func u64(reading: @autoclosure () -> String) throws(GGUFError) -> UInt64 {
        UInt64(littleEndian: try take(8, reading: reading()).loadUnaligned(as: UInt64.self))
    }

    /// Throws unless `count` items of at least `minimumSize` bytes each fit in the rest of the file.
    func checkCount(_ count: UInt64, minimumSize: Int, reading: String) throws(GGUFError) {
        let limit = remaining / minimumSize
        guard count <= UInt64(limit) else { throw GGUFError(path: path, .countTooLarge(reading: reading, count: count, limit: limit)) }
    }

    mutating func string(reading: @autoclosure () -> String) throws(GGUFError) -> String {
        let what = reading()
        let length = try u64(reading: "the length of \(what)")
        guard length <= UInt64(remaining) else { throw GGUFError(path: path, .truncated(offset: bytes.count, reading: what)) }
        let raw = try take(Int(length), reading: what)
        guard let string = String(validating: raw, as: UTF8.self) else { throw GGUFError(path: path, .invalidUTF8(reading: what)) }
        return string
    }

    mutating func value(of type: GGUFValueType, key: String) throws(GGUFError) -> GGUFValue {
        let what = "the value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try u8(reading: what))
        case .int8: return .int8(Int8(bitPattern: try u8(reading: what)))
        case .uint16: return .uint16(try u16(reading: what))
        case .int16: return .int16(Int16(bitPattern: try u16(reading: what)))
        case .uint32: return .uint32(try u32(reading: what))
        case .int32: return .int32(Int32(bitPattern: try u32(reading: what)))
        case .uint64: return .uint64(try u64(reading: what))
        case .int64: return .int64(Int64(bitPattern: try u64(reading: what)))
        case .float32: return .float32(Float(bitPattern: try u32(reading: what)))
        case .float64: return .float64(Double(bitPattern: try u64(reading: what)))
        case .bool:
            let byte = try u8(reading: what)
            guard byte <= 1 else { throw GGUFError(path: path, .badValue(key: key, expected: "a bool (0 or 1)", actual: "\(byte)")) }
            return .bool(byte == 1)
        case .string: return .string(try string(reading: what))
        case .array:
            let rawType = try u32(reading: "the element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw GGUFError(path: path, .unknownValueType(key: key, raw: rawType))
            }
            guard elementType != .array else { throw GGUFError(path: path, .nestedArray(key: key)) }
            let count = try u64(reading: "the length of '\(key)'")
            try checkCount(count, minimumSize: elementType.minimumEncodedSize, reading: "array '\(key)'")
            return .array(try array(of: elementType, count: Int(count), key: key))
        }
    }

    private mutating func array(of type: GGUFValueType, count: Int, key: String) throws(GGUFError) -> GGUFArray {
        let what = "the elements of '\(key)'"
        func fixed<T>(_ size: Int, _ convert: (UnsafeRawBufferPointer, Int) -> T) throws(GGUFError) -> [T] {
            let raw = try take(size * count, reading: what)
            return (0..<count).map { convert(raw, $0 * size) }
        }
        switch type {
        case .uint8: return .uint8(try fixed(1) { $0[$1] })
        case .int8: return .int8(try fixed(1) { Int8(bitPattern: $0[$1]) })
        case .uint16: return .uint16(try fixed(2) { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self)) })
        case .int16: return .int16(try fixed(2) { Int16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int16.self)) })
        case .uint32: return .uint32(try fixed(4) { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self)) })
        case .int32: return .int32(try fixed(4) { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int32.self)) })
        case .uint64: return .uint64(try fixed(8) { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self)) })
        case .int64: return .int64(try fixed(8) { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int64.self)) })
        case .float32: return .float32(try fixed(4) { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self))) })
        case .float64: return .float64(try fixed(8) { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self))) })
        case .bool:
            let raw = try take(count, reading: what)
            var values: [Bool] = []
            values.reserveCapacity(count)
            for (index, byte) in raw.enumerated() {
                guard byte <= 1 else { throw GGUFError(path: path, .badValue(key: "\(key)[\(index)]", expected: "a bool (0 or 1)", actual: "\(byte)")) }
                values.append(byte == 1)
            }
            return .bool(values)
        case .string:
            var values: [String] = []
            values.reserveCapacity(count)
            for index in 0..<count { values.append(try string(reading: "'\(key)'[\(index)]")) }
            return .string(values)
        case .array:
            throw GGUFError(path: path, .nestedArray(key: key))
        }
    }
}
