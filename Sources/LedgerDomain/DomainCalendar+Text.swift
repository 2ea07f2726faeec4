/// Where text is written as bytes: a line being built (`GeneratorLine`) or a plain
/// `[UInt8]` (encoders, bad-line pieces, tests).
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: ByteSink where Element == UInt8 {}

/// The text forms of instants and months, written straight into bytes.
///
/// The generator writes more than a million timestamps a second and the encoders one per
/// event, so nothing here goes through `String` formatting nor Foundation: a value is laid
/// out in a small stack buffer and appended in one piece, one capacity check per value
/// rather than one per byte.
extension DomainCalendar {
    /// How the fraction of a second of a timestamp is written. Every style writes the
    /// same instant; only the canonical one is what the ledger itself prints.
    enum FractionStyle: Sendable {
        /// No fraction when it is zero, else trailing zeros removed (`.5`, `.123`).
        case canonical
        /// Exactly 3 digits when the instant is a whole millisecond (`.000`, `.500`), else 6.
        case milliseconds
        /// Exactly 6 digits (`.000000`).
        case microseconds
    }

    /// Room for any timestamp: `-YYYYYY-MM-DDTHH:MM:SS.ffffffZ` is 30 bytes at the most.
    private static let timestampBytesMax = 32
    /// Room for any period: a signed 32-bit year, `-`, two digits.
    private static let periodBytesMax = 16
    /// Digits of a fraction of a second.
    static let fractionDigitsMax = 6

    /// Appends `YYYY-MM-DDTHH:MM:SS[.f]Z`. A year outside 0000-9999 is written with its
    /// sign and all its digits, a form the timestamp grammar does not read back.
    static func appendTimestamp<Sink: ByteSink>(_ civil: Civil, style: FractionStyle, to output: inout Sink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampBytesMax) { buffer in
            var count = writeDateTime(civil, into: buffer)
            count = writeFraction(civil.microsecond, style: style, into: buffer, at: count)
            buffer[count] = UInt8(ascii: "Z")
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<(count + 1)]))
        }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS`, no fraction, no zone.
    static func appendDateTime<Sink: ByteSink>(_ civil: Civil, to output: inout Sink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampBytesMax) { buffer in
            let count = writeDateTime(civil, into: buffer)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Appends `.f` per `style` (nothing for a canonical zero fraction).
    static func appendFraction<Sink: ByteSink>(_ microsecond: Int64, style: FractionStyle, to output: inout Sink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampBytesMax) { buffer in
            let count = writeFraction(microsecond, style: style, into: buffer, at: 0)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Appends `YYYY-MM` (a year outside 0000-9999 with its sign and all its digits).
    static func appendPeriod<Sink: ByteSink>(year: Int64, month: Int64, to output: inout Sink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: periodBytesMax) { buffer in
            let count = writeYear(year, into: buffer, at: 0)
            buffer[count] = UInt8(ascii: "-")
            writeDigits(month, count: 2, into: buffer, at: count + 1)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<(count + 3)]))
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS` at the start of `buffer`; returns its length (19 for
    /// the years 0000-9999).
    @inline(__always)
    private static func writeDateTime(_ civil: Civil, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let start = writeYear(civil.year, into: buffer, at: 0)
        buffer[start] = UInt8(ascii: "-")
        writeDigits(civil.month, count: 2, into: buffer, at: start + 1)
        buffer[start + 3] = UInt8(ascii: "-")
        writeDigits(civil.day, count: 2, into: buffer, at: start + 4)
        buffer[start + 6] = UInt8(ascii: "T")
        writeDigits(civil.hour, count: 2, into: buffer, at: start + 7)
        buffer[start + 9] = UInt8(ascii: ":")
        writeDigits(civil.minute, count: 2, into: buffer, at: start + 10)
        buffer[start + 12] = UInt8(ascii: ":")
        writeDigits(civil.second, count: 2, into: buffer, at: start + 13)
        return start + 15
    }

    /// Writes a year at `start`, four digits from 0000 to 9999, else its sign and as many
    /// digits as it needs; returns the new end.
    @inline(__always)
    private static func writeYear(_ year: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        if year >= 0 && year <= 9999 {
            writeDigits(year, count: 4, into: buffer, at: start)
            return start + 4
        }
        var index = start
        if year < 0 {
            buffer[index] = UInt8(ascii: "-")
            index += 1
        }
        // Years come from an Int64 of microseconds or an Int32: the magnitude fits an Int64.
        let magnitude = Int64(year.magnitude)
        var digitCount = 4
        var limit: Int64 = 10_000
        while magnitude >= limit {
            digitCount += 1
            limit *= 10
        }
        writeDigits(magnitude, count: digitCount, into: buffer, at: index)
        return index + digitCount
    }

    /// Writes the fraction per `style` at `start`; returns the new end.
    @inline(__always)
    private static func writeFraction(
        _ microsecond: Int64, style: FractionStyle, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> Int {
        var digits = microsecond
        var digitCount = fractionDigitsMax
        switch style {
        case .canonical:
            guard microsecond != 0 else { return start }
            while digits % 10 == 0 {
                digits /= 10
                digitCount -= 1
            }
        case .milliseconds where microsecond % 1000 == 0:
            digits = microsecond / 1000
            digitCount = 3
        case .milliseconds, .microseconds:
            break
        }
        buffer[start] = UInt8(ascii: ".")
        writeDigits(digits, count: digitCount, into: buffer, at: start + 1)
        return start + 1 + digitCount
    }

    /// Writes exactly `count` digits of a non-negative `value` (zero-padded) at `start`.
    @inline(__always)
    private static func writeDigits(_ value: Int64, count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var remaining = value
        var index = start + count - 1
        while index >= start {
            buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
            index -= 1
        }
    }

    /// The value of `count` ASCII digits at `index`, or nil if one is not a digit.
    @inline(__always)
    static func readDigits(_ bytes: UnsafeRawBufferPointer, at index: Int, count: Int) -> Int64? {
        var value: Int64 = 0
        for position in index..<index + count {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }
}
