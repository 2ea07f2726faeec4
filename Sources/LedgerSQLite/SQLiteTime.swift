import LedgerDomain

/// The period (UTC month) of an instant, for the `invoices` rows of approvals, bonuses and
/// fines: "the period of an event is the UTC month of its `at`".
///
/// `LedgerDomain` keeps its calendar internal, so this is the same integer-only algorithm
/// (Howard Hinnant's `civil_from_days`, http://howardhinnant.github.io/date_algorithms.html).
/// The tests compare every invoice row with the read models, whose periods come from the
/// domain's calendar, so the two cannot drift apart unnoticed. Texts use the domain's own
/// `Timestamp.appendCanonical(to:)` and `Period.appendText(to:)`.
enum SQLiteTime {
    static let microsecondsPerDay: Int64 = 86_400 * 1_000_000

    static func period(of timestamp: Timestamp) -> Period {
        var days = timestamp.microseconds / microsecondsPerDay
        if timestamp.microseconds % microsecondsPerDay < 0 { days -= 1 }
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return Period(year: Int32(truncatingIfNeeded: year), month: Int32(truncatingIfNeeded: month))
    }
}
