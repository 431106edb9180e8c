// Small building blocks for the tokenizers: byte-string keys and a binary heap.

/// A byte string usable as a dictionary key. Token texts are compared byte for byte, as llama.cpp
/// does; Swift `String` equality would merge canonically equivalent texts (e.g. NFC and NFD forms).
struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init<S: Sequence>(_ s: S) where S.Element == UInt8 { self.bytes = Array(s) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool { a.bytes == b.bytes }
}

/// An element of a `BinaryHeap`: `before(a, b)` is true when `a` must pop before `b`.
protocol HeapOrdered {
    static func before(_ a: Self, _ b: Self) -> Bool
}

/// A binary heap that pops first the element that is `before` all others.
struct BinaryHeap<Element: HeapOrdered> {
    private(set) var items: [Element] = []

    init() {}

    @inline(__always) private func before(_ a: Element, _ b: Element) -> Bool { Element.before(a, b) }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if before(items[i], items[parent]) {
                items.swapAt(i, parent)
                i = parent
            } else {
                break
            }
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var best = i
                if l < n && before(items[l], items[best]) { best = l }
                if r < n && before(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}

/// llama.cpp's token attributes (`llama_token_attr`).
enum TokenAttr {
    static let undefined: UInt32 = 0
    static let unknown: UInt32 = 1 << 0
    static let unused: UInt32 = 1 << 1
    static let normal: UInt32 = 1 << 2
    static let control: UInt32 = 1 << 3
    static let userDefined: UInt32 = 1 << 4
    static let byte: UInt32 = 1 << 5

    /// `tokenizer.ggml.token_type` value → attribute.
    static func fromType(_ t: Int32) -> UInt32 {
        switch t {
        case 1: return normal
        case 2: return unknown
        case 3: return control
        case 4: return userDefined
        case 5: return unused
        case 6: return byte
        default: return undefined
        }
    }
}
