/// Numbers and literals of the strict JSON reader (RFC 8259 sections 6 and 3).

/// A JSON number token, checked against the RFC 8259 grammar; ranges index the line.
struct JSONNumberToken {
    var start: Int
    var end: Int
    var isNegative: Bool
    var integerDigits: Range<Int>
    /// Empty when the number has no fraction.
    var fractionDigits: Range<Int>
    var exponentIsNegative: Bool
    /// Empty when the number has no exponent.
    var exponentDigits: Range<Int>
    var hasFraction: Bool
    var hasExponent: Bool

    /// True when written as a JSON integer: no fraction, no exponent.
    var isInteger: Bool { !hasFraction && !hasExponent }
}

extension JSONLineScanner {
    /// Reads a number at the cursor, checking the RFC 8259 grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func readNumber() throws(EventLineFailure) -> JSONNumberToken {
        let start = offset
        var index = offset
        let end = bytes.count
        let isNegative = index < end && bytes[index] == CodecByte.minus
        if isNegative { index += 1 }
        let integerStart = index
        guard index < end, CodecByte.isDigit(bytes[index]) else {
            throw syntaxError(isNegative ? "expected a digit after '-'" : "expected a JSON value", at: index)
        }
        if bytes[index] == CodecByte.zero {
            index += 1
            if index < end, CodecByte.isDigit(bytes[index]) {
                throw syntaxError("leading zeros are not allowed in numbers", at: integerStart)
            }
        } else {
            while index < end, CodecByte.isDigit(bytes[index]) { index += 1 }
        }
        let integerDigits = integerStart..<index
        var fractionDigits = index..<index
        var hasFraction = false
        if index < end, bytes[index] == CodecByte.dot {
            index += 1
            let fractionStart = index
            while index < end, CodecByte.isDigit(bytes[index]) { index += 1 }
            guard index > fractionStart else { throw syntaxError("expected a digit after '.'", at: index) }
            fractionDigits = fractionStart..<index
            hasFraction = true
        }
        var exponentDigits = index..<index
        var exponentIsNegative = false
        var hasExponent = false
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == CodecByte.minus || bytes[index] == CodecByte.plus {
                exponentIsNegative = bytes[index] == CodecByte.minus
                index += 1
            }
            let exponentStart = index
            while index < end, CodecByte.isDigit(bytes[index]) { index += 1 }
            guard index > exponentStart else { throw syntaxError("expected a digit in the exponent", at: index) }
            exponentDigits = exponentStart..<index
            hasExponent = true
        }
        offset = index
        return JSONNumberToken(
            start: start, end: index, isNegative: isNegative, integerDigits: integerDigits,
            fractionDigits: fractionDigits, exponentIsNegative: exponentIsNegative,
            exponentDigits: exponentDigits, hasFraction: hasFraction, hasExponent: hasExponent)
    }

    /// The integer value of a JSON integer token when it lies in `0...maximum`; nil otherwise
    /// (a fraction, an exponent, a negative value other than `-0`, or too large).
    func integerValue(of token: JSONNumberToken, maximum: Int64) -> Int64? {
        guard token.isInteger else { return nil }
        let digits = token.integerDigits
        // Longer than the maximum's own digits cannot fit (no leading zeros in JSON).
        guard digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for index in digits {
            value = value * 10 + Int64(bytes[index] - CodecByte.zero)
        }
        if token.isNegative && value != 0 { return nil }
        return value <= maximum ? value : nil
    }

    /// The text of a token, for messages (at most 40 bytes).
    func text(of range: Range<Int>) -> String {
        let shown = range.count > 40 ? range.lowerBound..<range.lowerBound + 40 : range
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[shown]), as: UTF8.self)
        return range.count > 40 ? text + "…" : text
    }

    /// Reads `true`, `false` or `null`, returning which byte started it.
    mutating func readLiteral() throws(EventLineFailure) -> UInt8 {
        guard let first = peek() else { throw syntaxError("expected a JSON value") }
        let literal: StaticString
        switch first {
        case UInt8(ascii: "t"): literal = "true"
        case UInt8(ascii: "f"): literal = "false"
        case UInt8(ascii: "n"): literal = "null"
        default: throw syntaxError("expected a JSON value")
        }
        guard Self.matches(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), at: offset, in: bytes) else {
            throw syntaxError("expected a JSON value")
        }
        offset += literal.utf8CodeUnitCount
        return first
    }

    static func matches(_ expected: UnsafeRawBufferPointer, at index: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard index + expected.count <= bytes.count else { return false }
        for position in 0..<expected.count where bytes[index + position] != expected[position] {
            return false
        }
        return true
    }
}
