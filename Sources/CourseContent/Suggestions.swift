/// "Did you mean" suggestions by edit distance.
public enum Suggestions {
    /// Levenshtein distance between two strings, compared by Unicode scalars, case-insensitively.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased().unicodeScalars)
        let b = Array(b.lowercased().unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate closest to `input`, if it is close enough to be a plausible typo (or
    /// `input` is a prefix of it).
    public static func closest(to input: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(input, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        let limit = max(2, input.count / 3)
        if best.1 <= limit { return best.0 }
        return candidates.sorted().first { $0.lowercased().hasPrefix(input.lowercased()) && !input.isEmpty }
    }
}
