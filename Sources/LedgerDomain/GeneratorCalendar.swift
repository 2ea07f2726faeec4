/// Proleptic Gregorian calendar arithmetic on microseconds since 1970, UTC, without
/// Foundation: the generator needs day, month and year boundaries millions of times a
/// second, and the same answers on every machine.
///
/// The day conversions are Howard Hinnant's `days_from_civil` and `civil_from_days`
/// (http://howardhinnant.github.io/date_algorithms.html), exact for every date the
/// interchange format can write.
enum GeneratorCalendar {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let microsecondsPerMinute: Int64 = 60 * microsecondsPerSecond
    static let microsecondsPerHour: Int64 = 60 * microsecondsPerMinute
    static let microsecondsPerDay: Int64 = 24 * microsecondsPerHour

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

    /// Days since 1970-01-01 of a calendar date.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day number (days since 1970-01-01).
    static func date(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Floor division, so that instants before 1970 land on the right day.
    @inline(__always)
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }

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
}
