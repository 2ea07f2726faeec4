/// Writing numbers, timestamps and constant text straight into a byte buffer.
///
/// The generator writes more than a million lines a second, so it never goes through
/// `String` formatting nor Foundation: every piece of a line is appended as bytes.
enum GeneratorBytes {
    /// How the fraction of a second of a timestamp is written. Every style writes the
    /// same instant; only the canonical one is what the ledger itself prints.
    enum FractionStyle {
        /// No fraction when it is zero, else trailing zeros removed (`.5`, `.123`).
        case canonical
        /// Exactly 3 digits when the instant is a whole millisecond (`.000`, `.500`), else 6.
        case milliseconds
        /// Exactly 6 digits (`.000000`).
        case microseconds
    }

    @inline(__always)
    static func append(_ text: StaticString, to output: inout [UInt8]) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    /// Appends the decimal digits of `value` (with a `-` when negative).
    @inline(__always)
    static func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 {
            output.append(UInt8(ascii: "-"))
            appendDecimal(value.magnitude, minimumDigits: 1, to: &output)
        } else {
            appendDecimal(UInt64(value), minimumDigits: 1, to: &output)
        }
    }

    @inline(__always)
    static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        appendDecimal(Int64(value), to: &output)
    }

    /// Appends the decimal digits of `value`, left-padded with zeros to `minimumDigits`.
    @inline(__always)
    static func appendDecimal(_ value: UInt64, minimumDigits: Int, to output: inout [UInt8]) {
        var digitCount = 1
        var power: UInt64 = 10
        while digitCount < 20 && value >= power {
            digitCount += 1
            // 10^19 is the last power below 2^64; the loop stops before multiplying past it.
            if digitCount < 20 { power &*= 10 }
        }
        let width = max(digitCount, minimumDigits)
        let end = output.count + width
        output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var remaining = value
        var index = end - 1
        while remaining > 0 {
            output[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
            index -= 1
        }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.f]Z` for an instant from year 0 to 9999.
    static func appendTimestamp(_ microseconds: Int64, style: FractionStyle, to output: inout [UInt8]) {
        let civil = GeneratorCalendar.civil(microseconds)
        appendDateTime(civil, to: &output)
        appendFraction(civil.microsecond, style: style, to: &output)
        output.append(UInt8(ascii: "Z"))
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS`, no fraction, no zone.
    static func appendDateTime(_ civil: GeneratorCalendar.Civil, to output: inout [UInt8]) {
        precondition(civil.year >= 0 && civil.year <= 9999, "year outside the interchange format")
        appendDecimal(UInt64(civil.year), minimumDigits: 4, to: &output)
        output.append(UInt8(ascii: "-"))
        appendTwoDigits(civil.month, to: &output)
        output.append(UInt8(ascii: "-"))
        appendTwoDigits(civil.day, to: &output)
        output.append(UInt8(ascii: "T"))
        appendTwoDigits(civil.hour, to: &output)
        output.append(UInt8(ascii: ":"))
        appendTwoDigits(civil.minute, to: &output)
        output.append(UInt8(ascii: ":"))
        appendTwoDigits(civil.second, to: &output)
    }

    /// Appends `.f` per `style` (nothing for a canonical zero fraction).
    static func appendFraction(_ microsecond: Int64, style: FractionStyle, to output: inout [UInt8]) {
        switch style {
        case .canonical:
            guard microsecond != 0 else { return }
            var digits = microsecond
            var digitCount = 6
            while digits % 10 == 0 {
                digits /= 10
                digitCount -= 1
            }
            output.append(UInt8(ascii: "."))
            appendDecimal(UInt64(digits), minimumDigits: digitCount, to: &output)
        case .milliseconds where microsecond % 1000 == 0:
            output.append(UInt8(ascii: "."))
            appendDecimal(UInt64(microsecond / 1000), minimumDigits: 3, to: &output)
        case .milliseconds, .microseconds:
            output.append(UInt8(ascii: "."))
            appendDecimal(UInt64(microsecond), minimumDigits: 6, to: &output)
        }
    }

    /// Appends `YYYY-MM` of a month given as `year * 12 + month - 1`.
    static func appendPeriod(ordinal: Int64, to output: inout [UInt8]) {
        appendDecimal(UInt64(ordinal / 12), minimumDigits: 4, to: &output)
        output.append(UInt8(ascii: "-"))
        appendTwoDigits(ordinal % 12 + 1, to: &output)
    }

    @inline(__always)
    static func appendTwoDigits(_ value: Int64, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "0") + UInt8(value / 10))
        output.append(UInt8(ascii: "0") + UInt8(value % 10))
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
