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
        guard bytes.count >= 1 && bytes.count <= EventLineParser.tenantBytesMax, let base = bytes.baseAddress else { return false }
        // One bit per allowed byte: `0-9` and `-` among bytes 0-63, `a-z` among 64-127.
        let allowedLow: UInt64 = 0x03FF_2000_0000_0000
        let allowedHigh: UInt64 = 0x07FF_FFFE_0000_0000
        guard base.load(as: UInt8.self) != CodecByte.minus else { return false }
        for index in 0..<bytes.count {
            let byte = UInt64(base.load(fromByteOffset: index, as: UInt8.self))
            let mask = byte < 64 ? allowedLow : (byte < 128 ? allowedHigh : 0)
            guard (mask >> (byte & 63)) & 1 == 1 else { return false }
        }
        return true
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
