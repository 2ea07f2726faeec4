/// UTC calendar arithmetic the rules and read models need: the period (month) of an
/// instant, and the canonical text of instants and periods for reports.
///
/// Proleptic Gregorian calendar, days counted from 1970-01-01, after Howard Hinnant's
/// `civil_from_days` (http://howardhinnant.github.io/date_algorithms.html): integer
/// arithmetic only, no Foundation, no allocation, so the decider can call it per event.
enum DomainCalendar {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let microsecondsPerDay: Int64 = 86_400 * microsecondsPerSecond

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

    /// Splits an instant into whole days since the epoch and microseconds into that day.
    static func split(_ timestamp: Timestamp) -> (days: Int64, microsecondOfDay: Int64) {
        var days = timestamp.microseconds / microsecondsPerDay
        var rest = timestamp.microseconds % microsecondsPerDay
        if rest < 0 {
            days -= 1
            rest += microsecondsPerDay
        }
        return (days, rest)
    }

    /// The UTC month of an instant: "the period of an event is the UTC month of its `at`".
    static func period(of timestamp: Timestamp) -> Period {
        let date = civilDate(daysSinceEpoch: split(timestamp).days)
        return Period(year: Int32(truncatingIfNeeded: date.year), month: Int32(truncatingIfNeeded: date.month))
    }

    /// The canonical text of an instant (EVENTS.md section 1): `YYYY-MM-DDTHH:MM:SS[.f]Z`
    /// with the trailing zeros of the fraction removed and no fraction when it is zero.
    static func canonicalText(_ timestamp: Timestamp) -> String {
        let (days, microsecondOfDay) = split(timestamp)
        let date = civilDate(daysSinceEpoch: days)
        let secondOfDay = microsecondOfDay / microsecondsPerSecond
        var text = ""
        text.reserveCapacity(27)
        appendDigits(date.year, width: 4, to: &text)
        text.append("-")
        appendDigits(date.month, width: 2, to: &text)
        text.append("-")
        appendDigits(date.day, width: 2, to: &text)
        text.append("T")
        appendDigits(secondOfDay / 3600, width: 2, to: &text)
        text.append(":")
        appendDigits(secondOfDay / 60 % 60, width: 2, to: &text)
        text.append(":")
        appendDigits(secondOfDay % 60, width: 2, to: &text)
        var fraction = microsecondOfDay % microsecondsPerSecond
        if fraction != 0 {
            var width = 6
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            text.append(".")
            appendDigits(fraction, width: width, to: &text)
        }
        text.append("Z")
        return text
    }

    /// `YYYY-MM`, the form of `invoice.issued`'s `period` and of invoice keys.
    static func text(of period: Period) -> String {
        var text = ""
        appendDigits(Int64(period.year), width: 4, to: &text)
        text.append("-")
        appendDigits(Int64(period.month), width: 2, to: &text)
        return text
    }

    /// Appends a non-negative number, zero-padded on the left to `width` digits.
    static func appendDigits(_ value: Int64, width: Int, to text: inout String) {
        precondition(value >= 0, "calendar fields are never negative")
        let digits = String(value)
        if digits.utf8.count < width {
            text.append(String(repeating: "0", count: width - digits.utf8.count))
        }
        text.append(digits)
    }
}
