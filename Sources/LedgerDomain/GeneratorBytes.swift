/// Where the generator writes bytes: a line being built (`GeneratorLine`) or a plain
/// `[UInt8]` (bad-line pieces, tests).
protocol GeneratorByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: GeneratorByteSink where Element == UInt8 {}

/// Writing numbers, timestamps and constant text straight into bytes.
///
/// The generator writes more than a million lines a second, so it never goes through
/// `String` formatting nor Foundation. Numbers and timestamps are first laid out in a
/// small stack buffer and then appended in one piece: one capacity check per value
/// rather than one per byte.
enum GeneratorBytes {
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

    /// Room for any timestamp: `YYYY-MM-DDTHH:MM:SS.ffffffZ` is 27 bytes.
    private static let timestampBytesMax = 32
    /// Room for any 64-bit decimal with its sign.
    private static let decimalBytesMax = 24

    @inline(__always)
    static func append<Sink: GeneratorByteSink>(_ text: StaticString, to output: inout Sink) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    static func append<Sink: GeneratorByteSink>(_ bytes: [UInt8], to output: inout Sink) {
        bytes.withUnsafeBufferPointer { output.append(contentsOf: $0) }
    }

    /// Appends the decimal digits of `value` (with a `-` when negative).
    @inline(__always)
    static func appendDecimal<Sink: GeneratorByteSink>(_ value: Int64, to output: inout Sink) {
        appendDecimal(value.magnitude, minimumDigits: 1, negative: value < 0, to: &output)
    }

    @inline(__always)
    static func appendDecimal<Sink: GeneratorByteSink>(_ value: Int, to output: inout Sink) {
        appendDecimal(Int64(value), to: &output)
    }

    /// Appends the decimal digits of `value`, left-padded with zeros to `minimumDigits`
    /// (at most 20).
    @inline(__always)
    static func appendDecimal<Sink: GeneratorByteSink>(
        _ value: UInt64, minimumDigits: Int, negative: Bool = false, to output: inout Sink
    ) {
        precondition(minimumDigits <= 20, "more zeros than a 64-bit number has digits")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: decimalBytesMax) { buffer in
            var index = decimalBytesMax
            var remaining = value
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
                remaining /= 10
            } while remaining > 0
            while decimalBytesMax - index < minimumDigits {
                index -= 1
                buffer[index] = UInt8(ascii: "0")
            }
            if negative {
                index -= 1
                buffer[index] = UInt8(ascii: "-")
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.f]Z` for an instant from year 0 to 9999.
    static func appendTimestamp<Sink: GeneratorByteSink>(
        _ microseconds: Int64, style: FractionStyle, to output: inout Sink
    ) {
        let civil = GeneratorCalendar.civil(microseconds)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampBytesMax) { buffer in
            var count = writeDateTime(civil, into: buffer)
            count = writeFraction(civil.microsecond, style: style, into: buffer, at: count)
            buffer[count] = UInt8(ascii: "Z")
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<(count + 1)]))
        }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS`, no fraction, no zone.
    static func appendDateTime<Sink: GeneratorByteSink>(_ civil: GeneratorCalendar.Civil, to output: inout Sink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampBytesMax) { buffer in
            let count = writeDateTime(civil, into: buffer)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Appends `.f` per `style` (nothing for a canonical zero fraction).
    static func appendFraction<Sink: GeneratorByteSink>(_ microsecond: Int64, style: FractionStyle, to output: inout Sink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampBytesMax) { buffer in
            let count = writeFraction(microsecond, style: style, into: buffer, at: 0)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Appends `YYYY-MM` of a month given as `year * 12 + month - 1`.
    static func appendPeriod<Sink: GeneratorByteSink>(ordinal: Int64, to output: inout Sink) {
        precondition(ordinal >= 0 && ordinal < 10_000 * 12, "period outside the interchange format")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8) { buffer in
            writeDigits(ordinal / 12, count: 4, into: buffer, at: 0)
            buffer[4] = UInt8(ascii: "-")
            writeDigits(ordinal % 12 + 1, count: 2, into: buffer, at: 5)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<7]))
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS` at the start of `buffer`; returns its length, 19.
    @inline(__always)
    private static func writeDateTime(_ civil: GeneratorCalendar.Civil, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(civil.year >= 0 && civil.year <= 9999, "year outside the interchange format")
        writeDigits(civil.year, count: 4, into: buffer, at: 0)
        buffer[4] = UInt8(ascii: "-")
        writeDigits(civil.month, count: 2, into: buffer, at: 5)
        buffer[7] = UInt8(ascii: "-")
        writeDigits(civil.day, count: 2, into: buffer, at: 8)
        buffer[10] = UInt8(ascii: "T")
        writeDigits(civil.hour, count: 2, into: buffer, at: 11)
        buffer[13] = UInt8(ascii: ":")
        writeDigits(civil.minute, count: 2, into: buffer, at: 14)
        buffer[16] = UInt8(ascii: ":")
        writeDigits(civil.second, count: 2, into: buffer, at: 17)
        return 19
    }

    /// Writes the fraction per `style` at `start`; returns the new end.
    @inline(__always)
    private static func writeFraction(
        _ microsecond: Int64, style: FractionStyle, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> Int {
        var digits = microsecond
        var digitCount = 6
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

    /// Writes exactly `count` digits of `value` (zero-padded) at `start`.
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

    /// The canonical text of an instant, for messages (not on the hot path).
    static func timestampText(_ microseconds: Int64) -> String {
        guard microseconds >= 0, microseconds <= GeneratorOptions.endMax.microseconds else {
            return "\(microseconds) microseconds since 1970"
        }
        var bytes: [UInt8] = []
        appendTimestamp(microseconds, style: .canonical, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
