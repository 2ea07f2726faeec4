/// Canonical JSON: one spelling per JSON value, so that values equal as JSON (key order,
/// white space, escapes, number spelling) have equal bytes. Used for the unknown `data`
/// fields kept in `Event.extras`, for `metadata`, and for every line `EventLineWriter` exports.
///
/// The rules (also in docs/FORMAT.md, "Event payloads"):
/// - no white space;
/// - object members sorted by the UTF-8 bytes of their keys (a key twice is an error);
/// - strings: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f` escaped as such, the other controls
///   below U+0020 as `\u00xx` (lower-case hex), everything else as raw UTF-8 (including
///   `/`, U+007F and non-BMP scalars);
/// - numbers: the exact decimal value (never rounded through a binary float) printed with
///   the rule of ECMAScript's Number::toString: with `n` significant digits `d` and the
///   decimal point after `p` of them (value = 0.d x 10^p):
///   `n <= p <= 21` -> `d` and `p - n` zeros (`1.0`, `10e-1` -> `1`; `1e3` -> `1000`);
///   `0 < p <= 21` -> `d` with a point after `p` digits (`2.50` -> `2.5`);
///   `-6 < p <= 0` -> `0.`, `-p` zeros, `d` (`1e-3` -> `0.001`);
///   otherwise `d1[.d2...dn]e±(p-1)` (`1e21` -> `1e+21`, `1.5e-7` stays `1.5e-7`);
///   zero in any spelling (`-0`, `0.0`, `0e9`) is `0`;
/// - `true`, `false`, `null`.
enum CanonicalJSONCodec {
    /// Arrays and objects may nest this deep (the event line's own object counts as 1).
    /// RFC 8259 section 9 lets a parser limit nesting; this one keeps the recursion of
    /// the generic reader far from the stack's end.
    static let nestingDepthMax = 64

    typealias Member = (key: [UInt8], value: [UInt8])

    /// Reads the value at the scanner's cursor (white space before it already skipped),
    /// checks it strictly and appends its canonical form to `output`.
    /// - Parameter depth: how many arrays and objects enclose the value.
    static func copyValue(from scanner: inout JSONLineScanner, depth: Int, into output: inout [UInt8]) throws(EventLineFailure) {
        guard let first = scanner.peek() else { throw scanner.syntaxError("expected a JSON value") }
        switch first {
        case CodecByte.quote:
            let string = try scanner.readString()
            appendString(string.bytes, to: &output)
        case CodecByte.openBrace:
            let members = try readMembers(from: &scanner, depth: depth)
            appendObject(members, to: &output)
        case CodecByte.openBracket:
            try copyArray(from: &scanner, depth: depth, into: &output)
        case CodecByte.minus, CodecByte.zero...CodecByte.nine:
            let token = try scanner.readNumber()
            appendNumber(token, in: scanner.bytes, to: &output)
        default:
            switch try scanner.readLiteral() {
            case UInt8(ascii: "t"): append("true", to: &output)
            case UInt8(ascii: "f"): append("false", to: &output)
            default: append("null", to: &output)
            }
        }
    }

    /// Reads the object at the cursor into canonical members, sorted by key, and fails on
    /// a key written twice (compared after decoding escapes, byte for byte).
    static func readMembers(from scanner: inout JSONLineScanner, depth: Int) throws(EventLineFailure) -> [Member] {
        guard depth < nestingDepthMax else { throw EventLineFailure("nested deeper than \(nestingDepthMax) levels") }
        try scanner.expect(CodecByte.openBrace, "'{'")
        var members: [Member] = []
        scanner.skipWhitespace()
        if scanner.peek() == CodecByte.closeBrace {
            scanner.offset += 1
            return members
        }
        while true {
            scanner.skipWhitespace()
            guard scanner.peek() == CodecByte.quote else { throw scanner.syntaxError("expected a key string") }
            let key = try scanner.readString()
            scanner.skipWhitespace()
            try scanner.expect(CodecByte.colon, "':'")
            scanner.skipWhitespace()
            var value: [UInt8] = []
            try copyValue(from: &scanner, depth: depth + 1, into: &value)
            members.append((Array(key.bytes), value))
            scanner.skipWhitespace()
            switch scanner.peek() {
            case CodecByte.comma: scanner.offset += 1
            case CodecByte.closeBrace:
                scanner.offset += 1
                try sortMembers(&members)
                return members
            default: throw scanner.syntaxError("expected ',' or '}'")
            }
        }
    }

    /// Sorts members by the UTF-8 bytes of their keys; fails when a key appears twice.
    static func sortMembers(_ members: inout [Member]) throws(EventLineFailure) {
        members.sort { $0.key.lexicographicallyPrecedes($1.key) }
        for index in members.indices.dropFirst() where members[index].key == members[index - 1].key {
            let key = members[index].key.withUnsafeBytes { quoted($0) }
            throw EventLineFailure("duplicate key \(key)")
        }
    }

    /// Appends the canonical object of `members` (keys and canonical values in `bytes`):
    /// sorted by key bytes; fails as `sortMembers` does when a key appears twice. Sorts
    /// `members` in place; allocates nothing once the arrays have grown.
    static func appendObject(members: inout [(key: Range<Int>, value: Range<Int>)], bytes: [UInt8],
                             to output: inout [UInt8]) throws(EventLineFailure) {
        let duplicate = bytes.withUnsafeBytes { bytes -> String? in
            func key(_ member: (key: Range<Int>, value: Range<Int>)) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: bytes[member.key])
            }
            members.sort { Name.bytesPrecede(key($0), key($1)) }
            for index in members.indices.dropFirst() where Name.bytesEqual(key(members[index]), key(members[index - 1])) {
                return quoted(key(members[index]))
            }
            return nil
        }
        if let duplicate { throw EventLineFailure("duplicate key \(duplicate)") }
        bytes.withUnsafeBytes { bytes in
            func key(_ member: (key: Range<Int>, value: Range<Int>)) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: bytes[member.key])
            }
            output.append(CodecByte.openBrace)
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(CodecByte.comma) }
                appendString(key(member), to: &output)
                output.append(CodecByte.colon)
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[member.value]))
            }
            output.append(CodecByte.closeBrace)
        }
    }

    static func appendObject(_ members: [Member], to output: inout [UInt8]) {
        output.append(CodecByte.openBrace)
        for (index, member) in members.enumerated() {
            if index > 0 { output.append(CodecByte.comma) }
            member.key.withUnsafeBytes { appendString($0, to: &output) }
            output.append(CodecByte.colon)
            output.append(contentsOf: member.value)
        }
        output.append(CodecByte.closeBrace)
    }

    private static func copyArray(from scanner: inout JSONLineScanner, depth: Int, into output: inout [UInt8]) throws(EventLineFailure) {
        guard depth < nestingDepthMax else { throw EventLineFailure("nested deeper than \(nestingDepthMax) levels") }
        try scanner.expect(CodecByte.openBracket, "'['")
        output.append(CodecByte.openBracket)
        scanner.skipWhitespace()
        if scanner.peek() == CodecByte.closeBracket {
            scanner.offset += 1
            output.append(CodecByte.closeBracket)
            return
        }
        var first = true
        while true {
            scanner.skipWhitespace()
            if !first { output.append(CodecByte.comma) }
            first = false
            try copyValue(from: &scanner, depth: depth + 1, into: &output)
            scanner.skipWhitespace()
            switch scanner.peek() {
            case CodecByte.comma: scanner.offset += 1
            case CodecByte.closeBracket:
                scanner.offset += 1
                output.append(CodecByte.closeBracket)
                return
            default: throw scanner.syntaxError("expected ',' or ']'")
            }
        }
    }

    /// How many containers enclose the object of the extras (the line's object) and of
    /// `metadata` (the line's object and `data`), for the nesting limit.
    static let extrasEnclosingDepth = 1
    static let metadataEnclosingDepth = 2

    /// Canonicalises a complete text that must hold exactly one JSON object, enclosed in
    /// `enclosingDepth` containers where it came from; returns its sorted members.
    static func members(ofObjectText text: UnsafeRawBufferPointer, enclosingDepth: Int) throws(EventLineFailure) -> [Member] {
        var scanner = JSONLineScanner(text)
        scanner.skipWhitespace()
        guard scanner.peek() == CodecByte.openBrace else {
            throw scanner.mismatch("must be a JSON object")
        }
        let members = try readMembers(from: &scanner, depth: enclosingDepth)
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.syntaxError("unexpected content after the JSON object") }
        return members
    }

    /// The fast check of stored extras and metadata: one pass over `text`, which must hold
    /// exactly one JSON object, appending its canonical form to `output` (one buffer, no
    /// allocation per member). When every object in it, nested ones included, has its keys
    /// written in strictly increasing order, sorting would change nothing, so `output` is then
    /// exactly the canonical form: returns the number of the object's own members and calls
    /// `topLevelKey` with each of their keys (decoded). Returns nil when some object's keys
    /// are not in that order, or on any error: `members(ofObjectText:enclosingDepth:)` then
    /// decides, with its own message.
    static func canonicalInWrittenOrder(objectText text: UnsafeRawBufferPointer, enclosingDepth: Int, into output: inout [UInt8],
                                        topLevelKey: (UnsafeRawBufferPointer) -> Void) -> Int? {
        var scanner = JSONLineScanner(text)
        scanner.skipWhitespace()
        guard scanner.peek() == CodecByte.openBrace else { return nil }
        do {
            guard let count = try copyObjectInWrittenOrder(from: &scanner, depth: enclosingDepth, into: &output, topLevelKey: topLevelKey)
            else { return nil }
            scanner.skipWhitespace()
            return scanner.isAtEnd ? count : nil
        } catch {
            return nil
        }
    }

    /// `copyValue`, but objects are copied member by member as written; false when an
    /// object's keys are not strictly increasing.
    private static func copyValueInWrittenOrder(from scanner: inout JSONLineScanner, depth: Int, into output: inout [UInt8]) throws(EventLineFailure) -> Bool {
        switch scanner.peek() {
        case CodecByte.openBrace:
            return try copyObjectInWrittenOrder(from: &scanner, depth: depth, into: &output, topLevelKey: { _ in }) != nil
        case CodecByte.openBracket:
            guard depth < nestingDepthMax else { throw EventLineFailure("nested deeper than \(nestingDepthMax) levels") }
            try scanner.expect(CodecByte.openBracket, "'['")
            output.append(CodecByte.openBracket)
            scanner.skipWhitespace()
            if scanner.peek() == CodecByte.closeBracket {
                scanner.offset += 1
                output.append(CodecByte.closeBracket)
                return true
            }
            var first = true
            while true {
                scanner.skipWhitespace()
                if !first { output.append(CodecByte.comma) }
                first = false
                guard try copyValueInWrittenOrder(from: &scanner, depth: depth + 1, into: &output) else { return false }
                scanner.skipWhitespace()
                switch scanner.peek() {
                case CodecByte.comma: scanner.offset += 1
                case CodecByte.closeBracket:
                    scanner.offset += 1
                    output.append(CodecByte.closeBracket)
                    return true
                default: throw scanner.syntaxError("expected ',' or ']'")
                }
            }
        default:
            try copyValue(from: &scanner, depth: depth, into: &output)
            return true
        }
    }

    private static func copyObjectInWrittenOrder(from scanner: inout JSONLineScanner, depth: Int, into output: inout [UInt8],
                                                 topLevelKey: (UnsafeRawBufferPointer) -> Void) throws(EventLineFailure) -> Int? {
        guard depth < nestingDepthMax else { throw EventLineFailure("nested deeper than \(nestingDepthMax) levels") }
        try scanner.expect(CodecByte.openBrace, "'{'")
        output.append(CodecByte.openBrace)
        scanner.skipWhitespace()
        if scanner.peek() == CodecByte.closeBrace {
            scanner.offset += 1
            output.append(CodecByte.closeBrace)
            return 0
        }
        var count = 0
        // The previous key stays valid: it points into the text or the scanner's scratch.
        var previous: UnsafeRawBufferPointer? = nil
        while true {
            scanner.skipWhitespace()
            guard scanner.peek() == CodecByte.quote else { throw scanner.syntaxError("expected a key string") }
            let key = try scanner.readString().bytes
            if let previous, !Name.bytesPrecede(previous, key) { return nil }
            previous = key
            topLevelKey(key)
            if count > 0 { output.append(CodecByte.comma) }
            appendString(key, to: &output)
            output.append(CodecByte.colon)
            count += 1
            scanner.skipWhitespace()
            try scanner.expect(CodecByte.colon, "':'")
            scanner.skipWhitespace()
            guard try copyValueInWrittenOrder(from: &scanner, depth: depth + 1, into: &output) else { return nil }
            scanner.skipWhitespace()
            switch scanner.peek() {
            case CodecByte.comma: scanner.offset += 1
            case CodecByte.closeBrace:
                scanner.offset += 1
                output.append(CodecByte.closeBrace)
                return count
            default: throw scanner.syntaxError("expected ',' or '}'")
            }
        }
    }

    /// The canonical text of a complete text that must hold exactly one JSON object.
    static func canonicalObject(_ text: String, enclosingDepth: Int) throws(EventLineFailure) -> [UInt8] {
        let result = text.withUTF8Bytes { buffer in
            Result { () throws(EventLineFailure) in
                try Self.members(ofObjectText: UnsafeRawBufferPointer(buffer), enclosingDepth: enclosingDepth)
            }
        }
        let members = try result.get()
        var output: [UInt8] = []
        appendObject(members, to: &output)
        return output
    }

    // MARK: Strings

    /// Appends `bytes` (valid UTF-8) as a canonical JSON string, quotes included.
    static func appendString(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        output.append(CodecByte.quote)
        var segmentStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == CodecByte.quote || byte == CodecByte.backslash else { continue }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[segmentStart..<index]))
            appendEscape(byte, to: &output)
            segmentStart = index + 1
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[segmentStart..<bytes.count]))
        output.append(CodecByte.quote)
    }

    static func appendString(_ string: String, to output: inout [UInt8]) {
        string.withUTF8Bytes { appendString($0, to: &output) }
    }

    private static func appendEscape(_ byte: UInt8, to output: inout [UInt8]) {
        output.append(CodecByte.backslash)
        switch byte {
        case CodecByte.quote: output.append(CodecByte.quote)
        case CodecByte.backslash: output.append(CodecByte.backslash)
        case CodecByte.lineFeed: output.append(UInt8(ascii: "n"))
        case CodecByte.carriageReturn: output.append(UInt8(ascii: "r"))
        case CodecByte.tab: output.append(UInt8(ascii: "t"))
        case 0x08: output.append(UInt8(ascii: "b"))
        case 0x0C: output.append(UInt8(ascii: "f"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            output.append(contentsOf: [UInt8(ascii: "u"), CodecByte.zero, CodecByte.zero])
            output.append(hexDigits.utf8Start[Int(byte >> 4)])
            output.append(hexDigits.utf8Start[Int(byte & 0xF)])
        }
    }

    /// A string for a refusal message: canonical JSON, quotes included, cut after `limit`
    /// bytes of content (on a character boundary) with "…".
    static func quoted(_ bytes: UnsafeRawBufferPointer, limit: Int = 64) -> String {
        var shown = bytes.count
        if shown > limit {
            shown = limit
            // Back up to the start of a UTF-8 sequence.
            while shown > 0 && bytes[shown] & 0xC0 == 0x80 { shown -= 1 }
        }
        var output: [UInt8] = []
        appendString(UnsafeRawBufferPointer(rebasing: bytes[0..<shown]), to: &output)
        if shown < bytes.count {
            output.insert(contentsOf: "…".utf8, at: output.count - 1)
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func append(_ literal: StaticString, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    // MARK: Numbers

    /// Appends the canonical form of a number token (see the type's documentation).
    static func appendNumber(_ token: JSONNumberToken, in bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        let integerDigits = UnsafeRawBufferPointer(rebasing: bytes[token.integerDigits])
        // Plain integers (the usual case) print as written, except `-0`.
        if token.isInteger && integerDigits.count <= 21 {
            if integerDigits.count == 1 && integerDigits[0] == CodecByte.zero {
                output.append(CodecByte.zero)
                return
            }
            if token.isNegative { output.append(CodecByte.minus) }
            output.append(contentsOf: integerDigits)
            return
        }
        var digits = Array(integerDigits)
        digits.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[token.fractionDigits]))
        guard let firstSignificant = digits.firstIndex(where: { $0 != CodecByte.zero }) else {
            output.append(CodecByte.zero)
            return
        }
        let lastSignificant = digits.lastIndex(where: { $0 != CodecByte.zero })!
        let significant = digits[firstSignificant...lastSignificant]
        // value = 0.<significant> x 10^(pointWithoutExponent + exponent)
        let pointWithoutExponent = integerDigits.count - firstSignificant
        if token.isNegative { output.append(CodecByte.minus) }

        let exponentText = UnsafeRawBufferPointer(rebasing: bytes[token.exponentDigits]).drop { $0 == CodecByte.zero }
        guard exponentText.count <= 15 else {
            // |exponent| >= 10^15: far outside the plain forms, and beyond Int arithmetic
            // for a line of up to 1 MiB only by the small `pointWithoutExponent - 1`.
            appendScientific(significant, to: &output)
            output.append(token.exponentIsNegative ? CodecByte.minus : CodecByte.plus)
            let adjustment = token.exponentIsNegative ? 1 - pointWithoutExponent : pointWithoutExponent - 1
            output.append(contentsOf: addSmall(adjustment, toDecimal: Array(exponentText)))
            return
        }
        var exponent = 0
        for digit in exponentText { exponent = exponent * 10 + Int(digit - CodecByte.zero) }
        if token.exponentIsNegative { exponent = -exponent }
        let point = pointWithoutExponent + exponent
        let count = significant.count
        if count <= point && point <= 21 {
            output.append(contentsOf: significant)
            output.append(contentsOf: repeatElement(CodecByte.zero, count: point - count))
        } else if 0 < point && point <= 21 {
            output.append(contentsOf: significant.prefix(point))
            output.append(CodecByte.dot)
            output.append(contentsOf: significant.dropFirst(point))
        } else if -6 < point && point <= 0 {
            output.append(CodecByte.zero)
            output.append(CodecByte.dot)
            output.append(contentsOf: repeatElement(CodecByte.zero, count: -point))
            output.append(contentsOf: significant)
        } else {
            appendScientific(significant, to: &output)
            let printed = point - 1
            output.append(printed < 0 ? CodecByte.minus : CodecByte.plus)
            output.append(contentsOf: String(printed.magnitude).utf8)
        }
    }

    /// `d1[.d2...dn]e` of the exponent form.
    private static func appendScientific(_ significant: ArraySlice<UInt8>, to output: inout [UInt8]) {
        output.append(significant.first!)
        if significant.count > 1 {
            output.append(CodecByte.dot)
            output.append(contentsOf: significant.dropFirst())
        }
        output.append(UInt8(ascii: "e"))
    }

    /// The decimal digits of `magnitude + adjustment`, where `magnitude` (ASCII digits, no
    /// leading zero) is far larger than `adjustment`.
    static func addSmall(_ adjustment: Int, toDecimal magnitude: [UInt8]) -> [UInt8] {
        var reversed = magnitude.reversed().map { Int($0 - CodecByte.zero) }
        var carry = adjustment
        var index = 0
        while carry != 0 {
            if index == reversed.count { reversed.append(0) }
            var digit = (reversed[index] + carry) % 10
            carry = (reversed[index] + carry) / 10
            if digit < 0 {
                digit += 10
                carry -= 1
            }
            reversed[index] = digit
            index += 1
        }
        while reversed.count > 1 && reversed.last == 0 { reversed.removeLast() }
        return reversed.reversed().map { UInt8($0) + CodecByte.zero }
    }
}
