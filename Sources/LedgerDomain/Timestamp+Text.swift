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
        case .month(let month): "month \(TimestampProblem.twoDigits(month)) is not 01-12"
        case .day(let day, let year, let month):
            "day \(TimestampProblem.twoDigits(day)) does not exist in \(TimestampProblem.fourDigits(year))-\(TimestampProblem.twoDigits(month))"
        case .hour(let hour): "hour \(TimestampProblem.twoDigits(hour)) is not 00-23"
        case .minute(let minute): "minute \(TimestampProblem.twoDigits(minute)) is not 00-59"
        case .second(let second): "second \(TimestampProblem.twoDigits(second)) is not 00-59 (no leap seconds)"
        }
    }
}

extension TimestampProblem {
    fileprivate static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    fileprivate static func fourDigits(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}

extension Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.f]Z` (1-6 fraction digits) into microseconds since the epoch.
    static func parseText(_ bytes: UnsafeRawBufferPointer) -> Result<Int64, TimestampProblem> {
        // YYYY-MM-DDTHH:MM:SS is 19 bytes, then Z or a fraction and Z.
        guard bytes.count >= 19,
              bytes[4] == CodecByte.minus, bytes[7] == CodecByte.minus, bytes[10] == UInt8(ascii: "T"),
              bytes[13] == CodecByte.colon, bytes[16] == CodecByte.colon,
              let year = DomainCalendar.readDigits(bytes, at: 0, count: 4),
              let month = DomainCalendar.readDigits(bytes, at: 5, count: 2),
              let day = DomainCalendar.readDigits(bytes, at: 8, count: 2),
              let hour = DomainCalendar.readDigits(bytes, at: 11, count: 2),
              let minute = DomainCalendar.readDigits(bytes, at: 14, count: 2),
              let second = DomainCalendar.readDigits(bytes, at: 17, count: 2)
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
            guard fractionCount <= DomainCalendar.fractionDigitsMax else { return .failure(.fractionTooLong) }
            for position in fractionStart..<index {
                fraction = fraction * 10 + Int64(bytes[position] - CodecByte.zero)
            }
            for _ in fractionCount..<DomainCalendar.fractionDigitsMax { fraction *= 10 }
        }
        guard index < bytes.count else { return .failure(.missingZone) }
        guard bytes[index] == UInt8(ascii: "Z") else {
            return .failure(bytes[index] == CodecByte.plus || bytes[index] == CodecByte.minus ? .offset : .shape)
        }
        guard index + 1 == bytes.count else { return .failure(.shape) }
        guard (1...12).contains(month) else { return .failure(.month(Int(month))) }
        guard (1...DomainCalendar.daysInMonth(year: year, month: month)).contains(day) else {
            return .failure(.day(Int(day), year: Int(year), month: Int(month)))
        }
        guard hour < 24 else { return .failure(.hour(Int(hour))) }
        guard minute < 60 else { return .failure(.minute(Int(minute))) }
        guard second < 60 else { return .failure(.second(Int(second))) }
        let seconds = DomainCalendar.daysSinceEpoch(year: year, month: month, day: day) * DomainCalendar.secondsPerDay
            + hour * 3600 + minute * 60 + second
        return .success(seconds * DomainCalendar.microsecondsPerSecond + fraction)
    }
}

extension Timestamp {
    /// The first instant with a text form: 0000-01-01T00:00:00Z.
    public static let textMinimum = Timestamp(microseconds: DomainCalendar.daysSinceEpoch(year: 0, month: 1, day: 1) * DomainCalendar.microsecondsPerDay)
    /// The last instant with a text form: 9999-12-31T23:59:59.999999Z.
    public static let textMaximum = Timestamp(microseconds: DomainCalendar.daysSinceEpoch(year: 10_000, month: 1, day: 1) * DomainCalendar.microsecondsPerDay - 1)

    /// Parses the timestamp grammar of EVENTS.md: exactly `YYYY-MM-DDTHH:MM:SS[.f]Z`, with
    /// upper-case `T` and `Z`, 1 to 6 fraction digits, a real calendar date, hours 00-23,
    /// minutes and seconds 00-59, no offset. Returns nil for anything else.
    ///
    /// ```swift
    /// Timestamp(parsing: "2026-03-04T10:15:00.5Z".utf8)?.canonical  // "2026-03-04T10:15:00.5Z"
    /// ```
    public init?(parsing text: some Collection<UInt8>) {
        let parsed = text.withContiguousStorageIfAvailable { Timestamp.parseText(UnsafeRawBufferPointer($0)) }
            ?? Array(text).withUnsafeBytes { Timestamp.parseText($0) }
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
        DomainCalendar.appendTimestamp(DomainCalendar.civil(microseconds), style: .canonical, to: &output)
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
              let year = DomainCalendar.readDigits(bytes, at: 0, count: 4),
              let month = DomainCalendar.readDigits(bytes, at: 5, count: 2),
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
        DomainCalendar.appendPeriod(year: Int64(year), month: Int64(month), to: &output)
    }
}
