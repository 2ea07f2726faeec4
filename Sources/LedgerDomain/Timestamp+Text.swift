/// The text forms of `Timestamp` (`YYYY-MM-DDTHH:MM:SS[.f]Z`) and `Period` (`YYYY-MM`) of
/// EVENTS.md section 1, on the proleptic Gregorian calendar, UTC, years 0000 to 9999.

/// Why a timestamp text was refused; `description` is the refusal's reason.
enum TimestampProblem: Error, CustomStringConvertible {
    case shape
    case offset
    case missingZone
    case fractionTooLong
    case month(Int)
    case day(Int, year: Int, month: Int)
    case hour(Int)
    case minute(Int)
    case second(Int)

    var description: String {
        switch self {
        case .shape: "expected YYYY-MM-DDTHH:MM:SS[.ffffff]Z"
        case .offset: "UTC offsets are not allowed, end with 'Z'"
        case .missingZone: "missing the final 'Z' (UTC)"
        case .fractionTooLong: "more than 6 fraction digits"
        case .month(let month): "month \(CodecCalendar.twoDigits(month)) is not 01-12"
        case .day(let day, let year, let month):
            "day \(CodecCalendar.twoDigits(day)) does not exist in \(CodecCalendar.fourDigits(year))-\(CodecCalendar.twoDigits(month))"
        case .hour(let hour): "hour \(CodecCalendar.twoDigits(hour)) is not 00-23"
        case .minute(let minute): "minute \(CodecCalendar.twoDigits(minute)) is not 00-59"
        case .second(let second): "second \(CodecCalendar.twoDigits(second)) is not 00-59 (no leap seconds)"
        }
    }
}

/// Calendar arithmetic and digit helpers shared by the text forms.
enum CodecCalendar {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let secondsPerDay: Int64 = 86_400
    static let fractionDigitsMax = 6

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * Int64(month > 2 ? month - 3 : month + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count from 1970-01-01 (`civil_from_days`).
    static func civil(days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The value of `count` ASCII digits at `index`, or nil if one is not a digit.
    @inline(__always) static func digits(_ bytes: UnsafeRawBufferPointer, at index: Int, count: Int) -> Int? {
        var value = 0
        for position in index..<index + count {
            let digit = bytes[position] &- CodecByte.zero
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    static func fourDigits(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    static func appendDigits(_ value: Int, count: Int, to output: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            output.append(CodecByte.zero + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f]Z` (1-6 fraction digits) into microseconds since the epoch.
    static func parseTimestamp(_ bytes: UnsafeRawBufferPointer) -> Result<Int64, TimestampProblem> {
        // YYYY-MM-DDTHH:MM:SS is 19 bytes, then Z or a fraction and Z.
        guard bytes.count >= 19,
              bytes[4] == CodecByte.minus, bytes[7] == CodecByte.minus, bytes[10] == UInt8(ascii: "T"),
              bytes[13] == CodecByte.colon, bytes[16] == CodecByte.colon,
              let year = digits(bytes, at: 0, count: 4), let month = digits(bytes, at: 5, count: 2),
              let day = digits(bytes, at: 8, count: 2), let hour = digits(bytes, at: 11, count: 2),
              let minute = digits(bytes, at: 14, count: 2), let second = digits(bytes, at: 17, count: 2)
        else { return .failure(.shape) }
        var index = 19
        guard index < bytes.count else { return .failure(.missingZone) }
        var fraction: Int64 = 0
        if bytes[index] == CodecByte.dot {
            index += 1
            let fractionStart = index
            while index < bytes.count, CodecByte.isDigit(bytes[index]) {
                index += 1
            }
            let fractionCount = index - fractionStart
            guard fractionCount > 0 else { return .failure(.shape) }
            guard fractionCount <= fractionDigitsMax else { return .failure(.fractionTooLong) }
            for position in fractionStart..<index {
                fraction = fraction * 10 + Int64(bytes[position] - CodecByte.zero)
            }
            for _ in fractionCount..<fractionDigitsMax { fraction *= 10 }
        }
        guard index < bytes.count else { return .failure(.missingZone) }
        guard bytes[index] == UInt8(ascii: "Z") else {
            return .failure(bytes[index] == CodecByte.plus || bytes[index] == CodecByte.minus ? .offset : .shape)
        }
        guard index + 1 == bytes.count else { return .failure(.shape) }
        guard (1...12).contains(month) else { return .failure(.month(month)) }
        guard (1...daysInMonth(year: year, month: month)).contains(day) else {
            return .failure(.day(day, year: year, month: month))
        }
        guard hour < 24 else { return .failure(.hour(hour)) }
        guard minute < 60 else { return .failure(.minute(minute)) }
        guard second < 60 else { return .failure(.second(second)) }
        let seconds = days(year: year, month: month, day: day) * secondsPerDay + Int64(hour * 3600 + minute * 60 + second)
        return .success(seconds * microsecondsPerSecond + fraction)
    }
}

extension Timestamp {
    /// The first instant with a text form: 0000-01-01T00:00:00Z.
    public static let textMinimum = Timestamp(microseconds: CodecCalendar.days(year: 0, month: 1, day: 1) * CodecCalendar.secondsPerDay * CodecCalendar.microsecondsPerSecond)
    /// The last instant with a text form: 9999-12-31T23:59:59.999999Z.
    public static let textMaximum = Timestamp(microseconds: CodecCalendar.days(year: 10_000, month: 1, day: 1) * CodecCalendar.secondsPerDay * CodecCalendar.microsecondsPerSecond - 1)

    /// Parses the timestamp grammar of EVENTS.md: exactly `YYYY-MM-DDTHH:MM:SS[.f]Z`, with
    /// upper-case `T` and `Z`, 1 to 6 fraction digits, a real calendar date, hours 00-23,
    /// minutes and seconds 00-59, no offset. Returns nil for anything else.
    ///
    /// ```swift
    /// Timestamp(parsing: "2026-03-04T10:15:00.5Z".utf8)?.canonical  // "2026-03-04T10:15:00.5Z"
    /// ```
    public init?(parsing text: some Collection<UInt8>) {
        let parsed = text.withContiguousStorageIfAvailable { CodecCalendar.parseTimestamp(UnsafeRawBufferPointer($0)) }
            ?? Array(text).withUnsafeBytes { CodecCalendar.parseTimestamp($0) }
        guard case .success(let microseconds) = parsed else { return nil }
        self.init(microseconds: microseconds)
    }

    /// The canonical text (EVENTS.md section 1): trailing zeros of the fraction removed, and
    /// no fraction at all when it is zero (`2026-03-04T10:15:00Z`, `2026-03-04T10:15:00.5Z`).
    /// Instants outside `textMinimum...textMaximum` print with a year of another width,
    /// which `init(parsing:)` does not read back.
    public var canonical: String {
        var output: [UInt8] = []
        output.reserveCapacity(27)
        appendCanonical(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `canonical`'s bytes to `output` (no allocation beyond `output`'s growth).
    public func appendCanonical(to output: inout [UInt8]) {
        let microsecondsPerDay = CodecCalendar.secondsPerDay * CodecCalendar.microsecondsPerSecond
        var days = microseconds / microsecondsPerDay
        var rest = microseconds % microsecondsPerDay
        if rest < 0 {
            rest += microsecondsPerDay
            days -= 1
        }
        let date = CodecCalendar.civil(days: days)
        if date.year < 0 { output.append(CodecByte.minus) }
        let yearDigits = max(4, String(date.year.magnitude).count)
        CodecCalendar.appendDigits(Int(date.year.magnitude), count: yearDigits, to: &output)
        output.append(CodecByte.minus)
        CodecCalendar.appendDigits(date.month, count: 2, to: &output)
        output.append(CodecByte.minus)
        CodecCalendar.appendDigits(date.day, count: 2, to: &output)
        output.append(UInt8(ascii: "T"))
        let secondOfDay = Int(rest / CodecCalendar.microsecondsPerSecond)
        CodecCalendar.appendDigits(secondOfDay / 3600, count: 2, to: &output)
        output.append(CodecByte.colon)
        CodecCalendar.appendDigits(secondOfDay / 60 % 60, count: 2, to: &output)
        output.append(CodecByte.colon)
        CodecCalendar.appendDigits(secondOfDay % 60, count: 2, to: &output)
        var fraction = Int(rest % CodecCalendar.microsecondsPerSecond)
        if fraction != 0 {
            var fractionDigits = CodecCalendar.fractionDigitsMax
            while fraction % 10 == 0 {
                fraction /= 10
                fractionDigits -= 1
            }
            output.append(CodecByte.dot)
            CodecCalendar.appendDigits(fraction, count: fractionDigits, to: &output)
        }
        output.append(UInt8(ascii: "Z"))
    }
}

extension Period {
    /// Parses `YYYY-MM` with a month 01-12 (years 0000-9999). Returns nil for anything else.
    ///
    /// ```swift
    /// Period(parsing: "2026-03".utf8)  // Period(year: 2026, month: 3)
    /// ```
    public init?(parsing text: some Collection<UInt8>) {
        let parsed = text.withContiguousStorageIfAvailable { Period.parseText(UnsafeRawBufferPointer($0)) }
            ?? Array(text).withUnsafeBytes { Period.parseText($0) }
        guard let parsed else { return nil }
        self = parsed
    }

    static func parseText(_ bytes: UnsafeRawBufferPointer) -> Period? {
        guard bytes.count == 7, bytes[4] == CodecByte.minus,
              let year = CodecCalendar.digits(bytes, at: 0, count: 4),
              let month = CodecCalendar.digits(bytes, at: 5, count: 2),
              (1...12).contains(month)
        else { return nil }
        return Period(year: Int32(year), month: Int32(month))
    }

    /// `YYYY-MM`, e.g. `"2026-03"`.
    public var text: String {
        var output: [UInt8] = []
        appendText(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `text`'s bytes to `output`.
    public func appendText(to output: inout [UInt8]) {
        if year < 0 { output.append(CodecByte.minus) }
        CodecCalendar.appendDigits(Int(year.magnitude), count: max(4, String(year.magnitude).count), to: &output)
        output.append(CodecByte.minus)
        CodecCalendar.appendDigits(Int(month), count: 2, to: &output)
    }
}
