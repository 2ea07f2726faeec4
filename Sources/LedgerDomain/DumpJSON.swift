/// A small JSON tree and its pretty printer for the `ledger-expected/1` document.
///
/// The expected files of `fixtures/` print exactly like Python's
/// `json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"`:
/// object members sorted by key (code point order, which is UTF-8 byte order), two spaces
/// per level, `"key": value`, `,` at line ends, empty containers as `{}` and `[]`, strings
/// in raw UTF-8 with only `"`, `\`, and control characters escaped. Only integers occur.
indirect enum DumpJSON: Sendable {
    case null
    case integer(Int64)
    case string(String)
    case array([DumpJSON])
    case object([(key: String, value: DumpJSON)])

    /// The name's text, or `null`.
    static func nullable(_ name: Name?) -> DumpJSON {
        name.map { .string($0.string) } ?? .null
    }

    /// The text, or `null`.
    static func nullable(_ text: String?) -> DumpJSON {
        text.map { .string($0) } ?? .null
    }

    /// The integer, or `null`.
    static func nullable(_ value: Int64?) -> DumpJSON {
        value.map { .integer($0) } ?? .null
    }

    /// The document text, ending with a newline.
    func rendered() -> String {
        var output: [UInt8] = []
        output.reserveCapacity(1 << 16)
        write(into: &output, depth: 0)
        output.append(UInt8(ascii: "\n"))
        return String(decoding: output, as: UTF8.self)
    }

    private func write(into output: inout [UInt8], depth: Int) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .integer(let value):
            output.append(contentsOf: String(value).utf8)
        case .string(let text):
            DumpJSON.writeString(text, into: &output)
        case .array(let elements):
            guard !elements.isEmpty else {
                output.append(contentsOf: "[]".utf8)
                return
            }
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                DumpJSON.writeNewline(into: &output, depth: depth + 1)
                element.write(into: &output, depth: depth + 1)
            }
            DumpJSON.writeNewline(into: &output, depth: depth)
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else {
                output.append(contentsOf: "{}".utf8)
                return
            }
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for index in sorted.indices.dropFirst() {
                precondition(
                    !sorted[index].key.utf8.elementsEqual(sorted[index - 1].key.utf8),
                    "duplicate key \(sorted[index].key) in a JSON object")
            }
            output.append(UInt8(ascii: "{"))
            for (index, member) in sorted.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                DumpJSON.writeNewline(into: &output, depth: depth + 1)
                DumpJSON.writeString(member.key, into: &output)
                output.append(contentsOf: ": ".utf8)
                member.value.write(into: &output, depth: depth + 1)
            }
            DumpJSON.writeNewline(into: &output, depth: depth)
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let indentBytesPerLevel = 2

    private static func writeNewline(into output: inout [UInt8], depth: Int) {
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * indentBytesPerLevel))
    }

    private static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: "\\\\".utf8)
            case 0x0A: output.append(contentsOf: "\\n".utf8)
            case 0x0D: output.append(contentsOf: "\\r".utf8)
            case 0x09: output.append(contentsOf: "\\t".utf8)
            case 0x08: output.append(contentsOf: "\\b".utf8)
            case 0x0C: output.append(contentsOf: "\\f".utf8)
            case 0x00..<0x20:
                let hexDigits = Array("0123456789abcdef".utf8)
                output.append(contentsOf: "\\u00".utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default:
                // Every other byte, multi-byte UTF-8 sequences included, is written raw.
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
