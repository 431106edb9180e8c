import Testing

@testable import TerminalUI

@Suite struct MarkdownTests {
    /// What a reader sees: markup dropped, a link's and an image's own text kept (not the URL),
    /// a soft break as a space and a hard break as a new line.
    @Test func plainTextDropsTheMarkup() {
        let inlines: [Inline] = [
            .strong([.text("Q4_K")]), .text(" is "), .emphasis([.code("4.5"), .text(" bits")]), .softBreak,
            .link(url: "https://e.org", title: "t", [.text("docs")]), .lineBreak, .image(url: "x.png", title: "", alt: [.text("plot")]),
            .html("<br>"),
        ]
        #expect(inlines.plainText == "Q4_K is 4.5 bits docs\nplot<br>")
        #expect([Inline]().plainText == "")
    }

    /// A paragraph becomes a callout when it starts with a marker; the longest markers come first
    /// so that "⚠️ Warning:" is taken whole rather than as "⚠️".
    @Test func calloutMarkersPutTheLongestFirst() {
        for kind in CalloutKind.allCases {
            let markers = kind.markers
            for (i, marker) in markers.enumerated() {
                #expect(!markers[(i + 1)...].contains { $0.hasPrefix(marker) && $0 != marker }, "\(kind): \(marker)")
            }
        }
        #expect(CalloutKind.warning.markers.first == "⚠️ Warning:")
    }
}
