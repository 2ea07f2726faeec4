/// Writing numbers, timestamps and constant text straight into bytes.
///
/// The generator writes more than a million lines a second, so it never goes through
/// `String` formatting nor Foundation. Numbers and timestamps are first laid out in a
/// small stack buffer and then appended in one piece: one capacity check per value
/// rather than one per byte.
enum GeneratorBytes {
    typealias FractionStyle = DomainCalendar.FractionStyle

    /// Room for any 64-bit decimal with its sign.
    private static let decimalBytesMax = 24

    @inline(__always)
    static func append<Sink: ByteSink>(_ text: StaticString, to output: inout Sink) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    static func append<Sink: ByteSink>(_ bytes: [UInt8], to output: inout Sink) {
        bytes.withUnsafeBufferPointer { output.append(contentsOf: $0) }
    }

    /// Appends the decimal digits of `value` (with a `-` when negative).
    @inline(__always)
    static func appendDecimal<Sink: ByteSink>(_ value: Int64, to output: inout Sink) {
        appendDecimal(value.magnitude, minimumDigits: 1, negative: value < 0, to: &output)
    }

    @inline(__always)
    static func appendDecimal<Sink: ByteSink>(_ value: Int, to output: inout Sink) {
        appendDecimal(Int64(value), to: &output)
    }

    /// Appends the decimal digits of `value`, left-padded with zeros to `minimumDigits`
    /// (at most 20).
    @inline(__always)
    static func appendDecimal<Sink: ByteSink>(
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
    static func appendTimestamp<Sink: ByteSink>(
        _ microseconds: Int64, style: FractionStyle, to output: inout Sink
    ) {
        let civil = DomainCalendar.civil(microseconds)
        precondition(civil.year >= 0 && civil.year <= 9999, "year outside the interchange format")
        DomainCalendar.appendTimestamp(civil, style: style, to: &output)
    }

    /// Appends `YYYY-MM` of a month given as `year * 12 + month - 1`.
    static func appendPeriod<Sink: ByteSink>(ordinal: Int64, to output: inout Sink) {
        precondition(ordinal >= 0 && ordinal < 10_000 * 12, "period outside the interchange format")
        DomainCalendar.appendPeriod(year: ordinal / 12, month: ordinal % 12 + 1, to: &output)
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
