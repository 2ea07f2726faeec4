/// Byte-level helpers shared by the codecs: ASCII constants, UTF-8 validation and
/// literal comparison, all over raw bytes (never through `String ==`, which normalises).

/// The ASCII bytes the codecs look for.
enum CodecByte {
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let minus: UInt8 = 0x2D
    static let plus: UInt8 = 0x2B
    static let dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }

    /// JSON white space (RFC 8259 section 2).
    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == lineFeed || byte == carriageReturn || byte == tab
    }
}

/// UTF-8 checks over raw bytes (the payload's strings were valid when written; a
/// corrupt record must not turn into a repaired string).
enum CodecUTF8 {
    /// The number of Unicode scalars in `bytes`, or nil when they are not valid UTF-8.
    static func scalarCount(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        var count = 0
        while index < bytes.count {
            if bytes[index] < 0x80 {
                index += 1
            } else {
                guard let next = sequenceEnd(at: index, in: bytes) else { return nil }
                index = next
            }
            count += 1
        }
        return count
    }

    /// The index after the multi-byte UTF-8 sequence that starts at `index`, or nil when
    /// it is not valid: Unicode table 3-7 (no overlong forms, no surrogates, nothing
    /// above U+10FFFF, no truncated sequence).
    @inline(__always)
    static func sequenceEnd(at index: Int, in bytes: UnsafeRawBufferPointer) -> Int? {
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch bytes[index] {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return nil }
        var next = index + 2
        while next < index + length {
            guard bytes[next] & 0xC0 == 0x80 else { return nil }
            next += 1
        }
        return next
    }

    /// `[a-z0-9][a-z0-9-]{0,62}`.
    static func isTenant(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard count >= 1 && count <= EventLineParser.tenantBytesMax, let base = bytes.baseAddress else { return false }
        guard base.load(as: UInt8.self) != CodecByte.minus else { return false }
        // Eight bytes at a time: every byte must be a digit, a lower-case letter or `-`.
        var index = 0
        while index + 8 <= count {
            guard isTenantWord(base.loadUnaligned(fromByteOffset: index, as: UInt64.self), validBytes: 8) else { return false }
            index += 8
        }
        if index < count {
            var tail: UInt64 = 0
            withUnsafeMutableBytes(of: &tail) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base + index, count: count - index)) }
            guard isTenantWord(tail, validBytes: count - index) else { return false }
        }
        return true
    }

    /// Whether the first `validBytes` bytes (little-endian) of `word` are each `0-9`, `a-z` or
    /// `-`: the "has between" bit trick flags each byte in a range in its high bit, without a
    /// branch per byte (bytes of 0x80 and more are never flagged).
    @inline(__always)
    static func isTenantWord(_ word: UInt64, validBytes: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let low7 = word & ~high
        /// High bit of each byte whose value is in `(above, below)`, for bytes under 0x80.
        @inline(__always) func between(_ above: UInt64, _ below: UInt64) -> UInt64 {
            (ones &* (127 &+ below) &- low7) & ~word & (low7 &+ ones &* (127 &- above)) & high
        }
        // Each range test is exact byte by byte (no borrow or carry crosses a byte).
        let flagged = between(0x2F, 0x3A) | between(0x60, 0x7B) | between(0x2C, 0x2E)
        let wanted = validBytes == 8 ? high : high & ((UInt64(1) << UInt64(validBytes * 8)) &- 1)
        return flagged & wanted == wanted
    }
}

extension UnsafeRawBufferPointer {
    /// Byte-for-byte equality with a literal (keys and enum names are compared this way,
    /// never through `String ==`).
    @inline(__always) func matchesLiteral(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<count where self[index] != expected[index] {
            return false
        }
        return true
    }
}
