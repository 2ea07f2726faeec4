/// The one UTC calendar of the package: proleptic Gregorian arithmetic on microseconds
/// since 1970-01-01 for the rules, the read models, the codec and the generator.
///
/// The day conversions are Howard Hinnant's `days_from_civil` and `civil_from_days`
/// (http://howardhinnant.github.io/date_algorithms.html): integer arithmetic only, no
/// Foundation, no allocation, exact for every instant an `Int64` of microseconds holds,
/// so the decider and the generator can call it per event. The text forms are in
/// DomainCalendar+Text.swift.
enum DomainCalendar {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let microsecondsPerMinute: Int64 = 60 * microsecondsPerSecond
    static let microsecondsPerHour: Int64 = 60 * microsecondsPerMinute
    static let microsecondsPerDay: Int64 = 24 * microsecondsPerHour
    static let secondsPerDay: Int64 = 86_400

    /// A calendar date and time of day, UTC.
    struct Civil {
        var year: Int64
        /// 1...12
        var month: Int64
        /// 1...31
        var day: Int64
        var hour: Int64
        var minute: Int64
        var second: Int64
        /// 0..<1_000_000
        var microsecond: Int64
    }

    /// Days since 1970-01-01 of a calendar date (`days_from_civil`).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day number (days since 1970-01-01, may be negative;
    /// `civil_from_days`).
    static func date(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
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

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// 28 to 31; `month` is 1...12.
    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Floor division, so that instants before 1970 land on the right day.
    @inline(__always)
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }

    /// The calendar date and time of day of an instant.
    static func civil(_ microseconds: Int64) -> Civil {
        let days = floorDivide(microseconds, microsecondsPerDay)
        let withinDay = microseconds - days * microsecondsPerDay
        let (year, month, day) = date(daysSinceEpoch: days)
        let seconds = withinDay / microsecondsPerSecond
        return Civil(
            year: year, month: month, day: day,
            hour: seconds / 3600, minute: seconds / 60 % 60, second: seconds % 60,
            microsecond: withinDay % microsecondsPerSecond)
    }

    /// The month of an instant as `year * 12 + month - 1` (`Period.ordinal`).
    static func monthOrdinal(_ microseconds: Int64) -> Int64 {
        let (year, month, _) = date(daysSinceEpoch: floorDivide(microseconds, microsecondsPerDay))
        return year * 12 + month - 1
    }

    /// The first instant of a month given as `year * 12 + month - 1`.
    static func monthStart(ordinal: Int64) -> Int64 {
        let year = floorDivide(ordinal, 12)
        let month = ordinal - year * 12 + 1
        return daysSinceEpoch(year: year, month: month, day: 1) * microsecondsPerDay
    }

    /// The UTC month of an instant: "the period of an event is the UTC month of its `at`".
    static func period(of timestamp: Timestamp) -> Period {
        let (year, month, _) = date(daysSinceEpoch: floorDivide(timestamp.microseconds, microsecondsPerDay))
        return Period(year: Int32(truncatingIfNeeded: year), month: Int32(truncatingIfNeeded: month))
    }
}

extension Timestamp {
    /// The UTC month of this instant, the period EVENTS.md gives an event by its `at`
    /// (the invoice that approvals, bonuses and fines count towards).
    ///
    /// ```swift
    /// Timestamp(parsing: "2026-03-31T23:59:59.999999Z".utf8)!.period  // Period(year: 2026, month: 3)
    /// ```
    public var period: Period { DomainCalendar.period(of: self) }
}
