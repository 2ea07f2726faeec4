import LedgerDomain

/// The calendar arithmetic the tables need: the canonical text of an instant (EVENTS.md
/// section 1), the period (UTC month) of an instant and the `YYYY-MM` text of a period.
///
/// `LedgerDomain` keeps its own calendar internal, so this module has its own copy of the same
/// integer-only algorithm (Howard Hinnant's `civil_from_days`,
/// http://howardhinnant.github.io/date_algorithms.html). The tests compare every row with the
/// read models, whose texts come from the domain's calendar, so the two cannot drift apart
/// unnoticed.
enum SQLiteTime {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let microsecondsPerDay: Int64 = 86_400 * microsecondsPerSecond
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`: the longest canonical text.
    static let canonicalTextBytesMax = 27
    /// The grammar of `at` has four year digits.
    static let yearRange: ClosedRange<Int64> = 0...9999

    /// The UTC calendar date of a day number (days since 1970-01-01, may be negative).
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Whole days since the epoch and microseconds into that day.
    static func split(_ timestamp: Timestamp) -> (days: Int64, microsecondOfDay: Int64) {
        var days = timestamp.microseconds / microsecondsPerDay
        var rest = timestamp.microseconds % microsecondsPerDay
        if rest < 0 {
            days -= 1
            rest += microsecondsPerDay
        }
        return (days, rest)
    }

    /// "The period of an event is the UTC month of its `at`."
    static func period(of timestamp: Timestamp) -> Period {
        let date = civilDate(daysSinceEpoch: split(timestamp).days)
        return Period(year: Int32(truncatingIfNeeded: date.year), month: Int32(truncatingIfNeeded: date.month))
    }

    /// Calls `body` with the canonical text of `timestamp` (`YYYY-MM-DDTHH:MM:SS[.f]Z`, trailing
    /// zeros of the fraction removed, no fraction when it is zero) as UTF-8 bytes in a stack
    /// buffer, so that binding a timestamp to a statement allocates nothing.
    static func withCanonicalText<Result>(
        _ timestamp: Timestamp, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: canonicalTextBytesMax) { buffer in
            let count = writeCanonicalText(timestamp, into: buffer)
            return try body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<count]))
        }
    }

    /// The canonical text of `timestamp` as a `String`.
    static func canonicalText(_ timestamp: Timestamp) -> String {
        withCanonicalText(timestamp) { String(decoding: $0, as: UTF8.self) }
    }

    /// `YYYY-MM`, the form of `invoice.issued`'s `period` and of the `period` column.
    static func text(of period: Period) -> String {
        let year = Int64(period.year)
        precondition(yearRange.contains(year), "period year \(year) has no four-digit text")
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 7) { buffer in
            var index = 0
            write(year, width: 4, into: buffer, at: &index)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            write(Int64(period.month), width: 2, into: buffer, at: &index)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<index]), as: UTF8.self)
        }
    }

    /// Writes the canonical text into `buffer` (at least `canonicalTextBytesMax` bytes) and
    /// returns the number of bytes written.
    private static func writeCanonicalText(_ timestamp: Timestamp, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(buffer.count >= canonicalTextBytesMax, "buffer too small for a timestamp")
        let (days, microsecondOfDay) = split(timestamp)
        let date = civilDate(daysSinceEpoch: days)
        precondition(yearRange.contains(date.year), "timestamp year \(date.year) has no four-digit text")
        let secondOfDay = microsecondOfDay / microsecondsPerSecond
        var index = 0
        write(date.year, width: 4, into: buffer, at: &index)
        write(separator: "-", into: buffer, at: &index)
        write(date.month, width: 2, into: buffer, at: &index)
        write(separator: "-", into: buffer, at: &index)
        write(date.day, width: 2, into: buffer, at: &index)
        write(separator: "T", into: buffer, at: &index)
        write(secondOfDay / 3600, width: 2, into: buffer, at: &index)
        write(separator: ":", into: buffer, at: &index)
        write(secondOfDay / 60 % 60, width: 2, into: buffer, at: &index)
        write(separator: ":", into: buffer, at: &index)
        write(secondOfDay % 60, width: 2, into: buffer, at: &index)
        var fraction = microsecondOfDay % microsecondsPerSecond
        if fraction != 0 {
            var width = 6
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            write(separator: ".", into: buffer, at: &index)
            write(fraction, width: width, into: buffer, at: &index)
        }
        write(separator: "Z", into: buffer, at: &index)
        return index
    }

    private static func write(separator: Unicode.Scalar, into buffer: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        buffer[index] = UInt8(ascii: separator)
        index += 1
    }

    /// Writes exactly `width` decimal digits of `value` (non-negative, below 10^width).
    private static func write(_ value: Int64, width: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        precondition(value >= 0, "calendar fields are never negative")
        var rest = value
        var digit = index + width - 1
        while digit >= index {
            buffer[digit] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            digit -= 1
        }
        precondition(rest == 0, "\(value) has more than \(width) digits")
        index += width
    }
}
