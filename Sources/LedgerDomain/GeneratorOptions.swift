/// What `HistoryGenerator` produces: how many lines, for how many tenants, over
/// which stretch of business time, and how many of them are bad on purpose.
///
/// ```swift
/// var options = GeneratorOptions(events: 100_000, seed: 42)
/// options.invalidRate = 0.05
/// try options.validate()
/// var generator = HistoryGenerator(options: options)
/// ```
public struct GeneratorOptions: Sendable, Hashable {
    /// Number of lines to produce, bad ones included.
    public var events: Int
    /// Number of tenants, `tenantsRange`.
    public var tenants: Int
    /// Seed of the generator's own pseudo-random sequence; the same options give the same bytes.
    public var seed: UInt64
    /// Business time span in days: the lines' `at` run from `start` to `start + days`, `daysRange`.
    public var days: Int
    /// Probability, in `[0, 1]`, that a line is replaced by a bad one (refused or duplicate).
    public var invalidRate: Double
    /// Business time of the first line.
    public var start: Timestamp

    /// Allowed tenant counts.
    public static let tenantsRange = 1...1000
    /// Allowed business time spans, in days (ten years at most).
    public static let daysRange = 1...3660
    /// 2026-01-01T00:00:00Z.
    public static let startDefault = Timestamp(microseconds: 1_767_225_600_000_000)
    /// The latest instant a line may carry: 9999-12-31T23:59:59.999999Z, the last one the
    /// four-digit years of the interchange format can write.
    public static let endMax = Timestamp(microseconds: 253_402_300_799_999_999)

    /// Options with the defaults: 10 tenants, 90 days from 2026-01-01, no bad lines.
    public init(
        events: Int,
        tenants: Int = 10,
        seed: UInt64 = 1,
        days: Int = 90,
        invalidRate: Double = 0,
        start: Timestamp = GeneratorOptions.startDefault
    ) {
        self.events = events
        self.tenants = tenants
        self.seed = seed
        self.days = days
        self.invalidRate = invalidRate
        self.start = start
    }

    /// Checks every option; the first one out of range is thrown.
    public func validate() throws(GeneratorOptionsError) {
        guard events >= 0 else { throw .eventsNegative(events) }
        guard Self.tenantsRange.contains(tenants) else { throw .tenantsOutOfRange(tenants) }
        guard Self.daysRange.contains(days) else { throw .daysOutOfRange(days) }
        guard invalidRate >= 0, invalidRate <= 1 else { throw .invalidRateOutOfRange(invalidRate) }
        guard start.microseconds >= 0 else { throw .startOutOfRange(start) }
        let spanMicroseconds = Int64(days) * DomainCalendar.microsecondsPerDay
        guard start.microseconds <= Self.endMax.microseconds - spanMicroseconds else { throw .startOutOfRange(start) }
    }
}

/// Why a `GeneratorOptions` value cannot be used.
public enum GeneratorOptionsError: Error, Hashable, Sendable, CustomStringConvertible {
    case eventsNegative(Int)
    case tenantsOutOfRange(Int)
    case daysOutOfRange(Int)
    /// Also thrown for NaN.
    case invalidRateOutOfRange(Double)
    /// Before 1970 or so late that `start + days` passes year 9999.
    case startOutOfRange(Timestamp)

    public var description: String {
        switch self {
        case .eventsNegative(let events):
            "events must be 0 or more, got \(events)"
        case .tenantsOutOfRange(let tenants):
            "tenants must be in \(Self.rangeText(GeneratorOptions.tenantsRange)), got \(tenants)"
        case .daysOutOfRange(let days):
            "days must be in \(Self.rangeText(GeneratorOptions.daysRange)), got \(days)"
        case .invalidRateOutOfRange(let rate):
            "invalid rate must be in [0, 1], got \(rate)"
        case .startOutOfRange(let start):
            "start must be from 1970-01-01T00:00:00Z and leave room for the days before year 10000, got "
                + GeneratorBytes.timestampText(start.microseconds)
        }
    }

    private static func rangeText(_ range: ClosedRange<Int>) -> String {
        "\(range.lowerBound)...\(range.upperBound)"
    }
}
