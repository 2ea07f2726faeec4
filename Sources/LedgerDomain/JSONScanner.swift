/// The lexical layer of the strict JSON Lines reader (RFC 8259): white space, strings
/// (UTF-8 validation, escapes, surrogate pairs), numbers and literals, read in one pass
/// over the bytes of one line without building a tree.
///
/// Both the typed event decoder (`EventLineParser`) and the generic canonicaliser
/// (`CanonicalJSONCodec`, for unknown fields and metadata) read through it, so every byte of a
/// line is held to the same rules.

/// Why a line is invalid: the message of its `invalid` refusal.
struct EventLineFailure: Error {
    var message: String
    /// True for a JSON syntax error (its message names the byte offset already); false for
    /// a problem with a well-formed value, which a caller may prefix with the field's name.
    var isSyntax: Bool

    init(_ message: String, isSyntax: Bool = false) {
        self.message = message
        self.isSyntax = isSyntax
    }

    /// The same failure about the value of `field`, for problems found deep inside it.
    func inField(_ field: String) -> EventLineFailure {
        isSyntax ? self : EventLineFailure("\(field): \(message)")
    }
}

/// The decoded bytes of a JSON string and its number of Unicode scalars (code points).
struct JSONStringSlice {
    /// Points into the line when the string has no escapes, else into the scanner's scratch
    /// memory; valid as long as the scanner lives.
    var bytes: UnsafeRawBufferPointer
    var scalarCount: Int
}

/// A cursor over one line. Noncopyable because it owns the scratch memory that escaped
/// strings are decoded into.
struct JSONLineScanner: ~Copyable {
    let bytes: UnsafeRawBufferPointer
    var offset: Int = 0
    /// Decoded escaped strings. Allocated on first use with room for every string of the
    /// line decoded twice (a decoded string is never longer than its JSON text, and the
    /// `data` object may be read twice when it comes before `type`), so earlier slices stay
    /// valid while later strings are decoded.
    private var scratch: UnsafeMutableRawBufferPointer?
    private var scratchCount = 0
    /// False when the scratch memory is lent by the caller (an `EventLineWorkspace`).
    private let ownsScratch: Bool

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        ownsScratch = true
    }

    /// A scanner that decodes escaped strings into `scratch`, which must hold at least
    /// `2 * bytes.count + 8` bytes and outlive every slice the scanner returns.
    init(_ bytes: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer) {
        precondition(scratch.count >= 2 * bytes.count + 8, "scratch of twice the line's bytes")
        self.bytes = bytes
        self.scratch = scratch
        ownsScratch = false
    }

    deinit {
        if ownsScratch { scratch?.deallocate() }
    }

    @inline(__always) var isAtEnd: Bool { offset >= bytes.count }

    /// The byte at the cursor, or nil at the end of the line.
    @inline(__always) func peek() -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    @inline(__always) mutating func skipWhitespace() {
        // Every JSON white space byte is at most a space: one comparison settles the usual
        // case (no white space: the next byte is a quote, a digit, a brace...).
        while offset < bytes.count, bytes[offset] <= CodecByte.space, CodecByte.isWhitespace(bytes[offset]) {
            offset += 1
        }
    }

    /// A syntax error at the cursor.
    func syntaxError(_ what: String) -> EventLineFailure {
        syntaxError(what, at: offset)
    }

    func syntaxError(_ what: String, at position: Int) -> EventLineFailure {
        let found = position >= bytes.count ? ", found the end of the line" : ""
        return EventLineFailure("malformed JSON at byte \(position): \(what)\(found)", isSyntax: true)
    }

    /// Consumes `byte` or fails with "expected <description>".
    @inline(__always) mutating func expect(_ byte: UInt8, _ description: String) throws(EventLineFailure) {
        guard offset < bytes.count, bytes[offset] == byte else { throw syntaxError("expected \(description)") }
        offset += 1
    }

    /// How the value starting at the cursor reads in a message ("a string", "an array",
    /// "true"...), or nil when no JSON value starts there.
    func describeValue() -> String? {
        guard let first = peek() else { return nil }
        switch first {
        case CodecByte.quote: return "a string"
        case CodecByte.openBrace: return "an object"
        case CodecByte.openBracket: return "an array"
        case CodecByte.minus, CodecByte.zero...CodecByte.nine: return "a number"
        case UInt8(ascii: "t"): return startsWith("true") ? "true" : nil
        case UInt8(ascii: "f"): return startsWith("false") ? "false" : nil
        case UInt8(ascii: "n"): return startsWith("null") ? "null" : nil
        default: return nil
        }
    }

    /// The failure for a value of the wrong kind at the cursor: `"<subject>, got an array"`,
    /// or a syntax error when no JSON value starts there (`NaN`, a bare word...).
    func mismatch(_ subject: String) -> EventLineFailure {
        guard let found = describeValue() else { return syntaxError("expected a JSON value") }
        return EventLineFailure("\(subject), got \(found)")
    }

    private func startsWith(_ literal: StaticString) -> Bool {
        Self.matches(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), at: offset, in: bytes)
    }

    /// Consumes the key string `"<literal>"` at the cursor (its opening quote there) when its
    /// bytes are exactly the literal's, quotes included; else moves nothing and returns false.
    /// A key spelled with escapes (`"\u0069d"`) is not matched here: the caller then reads it
    /// with `readString`, which decodes it.
    @inline(__always)
    mutating func consumeKey(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset &+ count &+ 2 <= bytes.count, let base = bytes.baseAddress,
              base.load(fromByteOffset: offset &+ count &+ 1, as: UInt8.self) == CodecByte.quote
        else { return false }
        let expected = literal.utf8Start
        let start = base + offset + 1
        for index in 0..<count where start.load(fromByteOffset: index, as: UInt8.self) != expected[index] {
            return false
        }
        offset &+= count &+ 2
        return true
    }

    // MARK: Strings

    /// Reads the string whose opening quote is at the cursor and moves past its closing quote.
    mutating func readString() throws(EventLineFailure) -> JSONStringSlice {
        precondition(offset < bytes.count && bytes[offset] == CodecByte.quote, "readString called off a quote")
        let base = bytes.baseAddress!
        let end = bytes.count
        let start = offset + 1
        var index = start
        var scalarCount = 0
        while true {
            // Eight bytes at a time up to the first one that is not plain ASCII: most
            // strings are ids and words.
            while index &+ 8 <= end {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let attention = Self.attentionBits(word)
                if attention != 0 {
                    let plainCount = attention.trailingZeroBitCount >> 3
                    index &+= plainCount
                    scalarCount &+= plainCount
                    break
                }
                index &+= 8
                scalarCount &+= 8
            }
            guard index < end else { throw syntaxError("unterminated string", at: end) }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == CodecByte.quote {
                offset = index + 1
                return JSONStringSlice(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), scalarCount: scalarCount)
            }
            if byte == CodecByte.backslash {
                return try readEscapedString(start: start, firstEscape: index, scalarCount: scalarCount)
            }
            index = try validateCharacter(byte, at: index)
            scalarCount &+= 1
        }
    }

    /// The slow half of `readString`: from the first backslash on, the decoded bytes are
    /// copied into scratch memory.
    private mutating func readEscapedString(start: Int, firstEscape: Int, scalarCount: Int) throws(EventLineFailure) -> JSONStringSlice {
        if scratch == nil {
            scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * bytes.count + 8, alignment: 1)
        }
        let outputStart = scratchCount
        appendToScratch(start..<firstEscape)
        var scalarCount = scalarCount
        var index = firstEscape
        var segmentStart = firstEscape
        let end = bytes.count
        while true {
            guard index < end else { throw syntaxError("unterminated string", at: end) }
            let byte = bytes[index]
            if byte == CodecByte.quote {
                appendToScratch(segmentStart..<index)
                offset = index + 1
                let decoded = UnsafeRawBufferPointer(rebasing: scratch![outputStart..<scratchCount])
                return JSONStringSlice(bytes: decoded, scalarCount: scalarCount)
            }
            if byte == CodecByte.backslash {
                appendToScratch(segmentStart..<index)
                index = try decodeEscape(at: index)
                segmentStart = index
            } else {
                index = try validateCharacter(byte, at: index)
            }
            scalarCount += 1
        }
    }

    /// Checks one unescaped character starting with `byte` at `index` (not a quote or a
    /// backslash) and returns the index after it. UTF-8 per Unicode table 3-7: no overlong
    /// forms, no surrogates, nothing above U+10FFFF.
    @inline(__always)
    private func validateCharacter(_ byte: UInt8, at index: Int) throws(EventLineFailure) -> Int {
        if byte < 0x20 {
            throw syntaxError("control character U+\(Self.hex4(UInt32(byte))) in a string must be escaped", at: index)
        }
        if byte < 0x80 { return index + 1 }
        return try validateMultibyte(at: index)
    }

    private func validateMultibyte(at index: Int) throws(EventLineFailure) -> Int {
        guard let next = CodecUTF8.sequenceEnd(at: index, in: bytes) else { throw syntaxError("invalid UTF-8", at: index) }
        return next
    }

    /// Decodes the escape whose backslash is at `index` into scratch; returns the index after it.
    private mutating func decodeEscape(at index: Int) throws(EventLineFailure) -> Int {
        guard index + 1 < bytes.count else { throw syntaxError("unterminated string", at: bytes.count) }
        let decoded: UInt8
        switch bytes[index + 1] {
        case CodecByte.quote: decoded = CodecByte.quote
        case CodecByte.backslash: decoded = CodecByte.backslash
        case CodecByte.slash: decoded = CodecByte.slash
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = CodecByte.lineFeed
        case UInt8(ascii: "r"): decoded = CodecByte.carriageReturn
        case UInt8(ascii: "t"): decoded = CodecByte.tab
        case UInt8(ascii: "u"):
            let unit = try readHex4(at: index + 2)
            switch unit {
            case 0xD800...0xDBFF:
                let lowIndex = index + 6
                guard lowIndex + 1 < bytes.count, bytes[lowIndex] == CodecByte.backslash, bytes[lowIndex + 1] == UInt8(ascii: "u") else {
                    throw syntaxError("lone surrogate \\u\(Self.hex4(unit)): a high surrogate must be followed by a \\u low surrogate", at: index)
                }
                let low = try readHex4(at: lowIndex + 2)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw syntaxError("lone surrogate \\u\(Self.hex4(unit)): followed by \\u\(Self.hex4(low)), not a low surrogate", at: index)
                }
                appendScalarToScratch(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                return index + 12
            case 0xDC00...0xDFFF:
                throw syntaxError("lone surrogate \\u\(Self.hex4(unit)): a low surrogate without a high one", at: index)
            default:
                appendScalarToScratch(unit)
                return index + 6
            }
        default:
            throw syntaxError("invalid escape sequence", at: index)
        }
        appendByteToScratch(decoded)
        return index + 2
    }

    private func readHex4(at index: Int) throws(EventLineFailure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw syntaxError("\\u must be followed by 4 hexadecimal digits", at: index) }
        var value: UInt32 = 0
        for position in index..<index + 4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case CodecByte.zero...CodecByte.nine: digit = UInt32(byte - CodecByte.zero)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw syntaxError("\\u must be followed by 4 hexadecimal digits", at: position)
            }
            value = value << 4 | digit
        }
        return value
    }

    private mutating func appendToScratch(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let destination = scratch!
        precondition(scratchCount + range.count <= destination.count, "scratch overflow")
        UnsafeMutableRawBufferPointer(rebasing: destination[scratchCount..<scratchCount + range.count])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[range]))
        scratchCount += range.count
    }

    private mutating func appendByteToScratch(_ byte: UInt8) {
        precondition(scratchCount < scratch!.count, "scratch overflow")
        scratch![scratchCount] = byte
        scratchCount += 1
    }

    private mutating func appendScalarToScratch(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            appendByteToScratch(UInt8(scalar))
        case 0x80..<0x800:
            appendByteToScratch(UInt8(0xC0 | scalar >> 6))
            appendByteToScratch(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            appendByteToScratch(UInt8(0xE0 | scalar >> 12))
            appendByteToScratch(UInt8(0x80 | scalar >> 6 & 0x3F))
            appendByteToScratch(UInt8(0x80 | scalar & 0x3F))
        default:
            appendByteToScratch(UInt8(0xF0 | scalar >> 18))
            appendByteToScratch(UInt8(0x80 | scalar >> 12 & 0x3F))
            appendByteToScratch(UInt8(0x80 | scalar >> 6 & 0x3F))
            appendByteToScratch(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// The high bit of each of the eight bytes (little-endian) that is a quote, a
    /// backslash, a control character or not ASCII, using the classic "has zero byte" and
    /// "has less than" bit tricks. Their borrows may flag bytes above a flagged byte, never
    /// below, so the lowest flag is exact: `trailingZeroBitCount / 8` bytes are plain.
    @inline(__always) static func attentionBits(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(CodecByte.quote))
        let backslashes = word ^ (ones &* UInt64(CodecByte.backslash))
        let hasQuote = (quotes &- ones) & ~quotes
        let hasBackslash = (backslashes &- ones) & ~backslashes
        let hasControl = (word &- ones &* 0x20) & ~word
        return (word | hasQuote | hasBackslash | hasControl) & highBits
    }

    static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
