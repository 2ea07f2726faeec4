import Foundation
import LedgerEngine
import Testing

@testable import LedgerDomain

/// A generated history: its bytes, its lines (without `\n`) and what the generator says
/// each line is.
struct GeneratedHistory {
    var bytes: [UInt8] = []
    var lines: [ArraySlice<UInt8>] = []
    var kinds: [HistoryGenerator.LineKind] = []

    init(_ options: GeneratorOptions) {
        var generator = HistoryGenerator(options: options)
        while generator.next(into: &bytes) { kinds.append(generator.lastLineKind) }
        lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
    }
}

extension HistoryGenerator.ExpectedOutcome {
    /// The reference ledger's outcome name for this expectation.
    var name: String {
        switch self {
        case .appended: "appended"
        case .duplicate: "duplicate"
        case .refused(let code): code.rawValue
        }
    }
}

@Suite struct GeneratorTests {
    // MARK: Options

    @Test func defaultOptionsAreValid() throws {
        let options = GeneratorOptions(events: 10)
        try options.validate()
        #expect(options.tenants == 10)
        #expect(options.days == 90)
        #expect(options.invalidRate == 0)
        #expect(GeneratorBytes.timestampText(options.start.microseconds) == "2026-01-01T00:00:00Z")
    }

    @Test(arguments: [
        (GeneratorOptions(events: -1), GeneratorOptionsError.eventsNegative(-1)),
        (GeneratorOptions(events: 1, tenants: 0), .tenantsOutOfRange(0)),
        (GeneratorOptions(events: 1, tenants: 1001), .tenantsOutOfRange(1001)),
        (GeneratorOptions(events: 1, days: 0), .daysOutOfRange(0)),
        (GeneratorOptions(events: 1, invalidRate: -0.1), .invalidRateOutOfRange(-0.1)),
        (GeneratorOptions(events: 1, invalidRate: 1.5), .invalidRateOutOfRange(1.5)),
        (GeneratorOptions(events: 1, start: Timestamp(microseconds: -1)), .startOutOfRange(Timestamp(microseconds: -1))),
        (GeneratorOptions(events: 1, start: GeneratorOptions.endMax), .startOutOfRange(GeneratorOptions.endMax)),
    ])
    func validationRefusesOptionsOutOfRange(options: GeneratorOptions, error: GeneratorOptionsError) {
        #expect(throws: error) { try options.validate() }
        #expect(!error.description.isEmpty)
    }

    @Test func validationRefusesNotANumberRate() {
        #expect(throws: GeneratorOptionsError.self) { try GeneratorOptions(events: 1, invalidRate: .nan).validate() }
    }

    @Test func validationMessagesNameTheOptionAndValue() {
        #expect(GeneratorOptionsError.tenantsOutOfRange(0).description == "tenants must be in 1...1000, got 0")
        #expect(GeneratorOptionsError.eventsNegative(-3).description == "events must be 0 or more, got -3")
        #expect(GeneratorOptionsError.invalidRateOutOfRange(2).description == "invalid rate must be in [0, 1], got 2.0")
    }

    @Test func extremeOptionsWork() {
        #expect(GeneratedHistory(GeneratorOptions(events: 0)).lines.count == 0)
        #expect(GeneratedHistory(GeneratorOptions(events: 300, tenants: 1000, days: 1)).lines.count == 300)
        #expect(GeneratedHistory(GeneratorOptions(events: 300, tenants: 1, days: 3660, invalidRate: 1)).lines.count == 300)
    }

    // MARK: Determinism

    @Test func sameOptionsGiveSameBytes() {
        let options = GeneratorOptions(events: 5_000, seed: 42, invalidRate: 0.05)
        let isSame = GeneratedHistory(options).bytes == GeneratedHistory(options).bytes
        #expect(isSame)
    }

    @Test func differentSeedsGiveDifferentBytes() {
        let first = GeneratedHistory(GeneratorOptions(events: 2_000, seed: 1))
        let second = GeneratedHistory(GeneratorOptions(events: 2_000, seed: 2))
        let isDifferent = first.bytes != second.bytes
        #expect(isDifferent)
        #expect(first.lines.count == second.lines.count)
    }

    /// Pins one small run (its size, an FNV-1a hash computed here, its first line), so that
    /// any change of the output shows, on any machine. When the generator is changed on
    /// purpose, update the pin and say so in the commit.
    @Test func outputIsPinned() {
        let history = GeneratedHistory(GeneratorOptions(events: 2_000, seed: 1, invalidRate: 0.1))
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in history.bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        #expect(history.bytes.count == 368_558)
        #expect(hash == 0xE305_8310_5661_959A)
        let firstLine = String(decoding: history.lines[0], as: UTF8.self)
        #expect(firstLine == #"{"id":"e-00000001","tenant":"hooli-studio","type":"subscription.changed","at":"2026-01-01T00:45:32Z","actor":"u-admin","data":{"change":"created","plan":"starter","mrr_cents":2900}}"#)
    }

    /// The sequence is xoshiro256** seeded by SplitMix64; the expected words come from an
    /// independent implementation (Python), so any drift of the algorithm shows.
    @Test func randomSequenceMatchesTheReferenceAlgorithm() {
        var zero = GeneratorRandom(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
        var fortyTwo = GeneratorRandom(seed: 42)
        #expect([fortyTwo.next(), fortyTwo.next(), fortyTwo.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
    }

    @Test func randomDrawsStayInTheirBounds() {
        var random = GeneratorRandom(seed: 9)
        var seen = Set<Int>()
        for _ in 0..<10_000 {
            let value = random.below(7)
            #expect(value >= 0 && value < 7)
            seen.insert(value)
            let ranged = random.inRange(3...5)
            #expect(ranged >= 3 && ranged <= 5)
        }
        #expect(seen.count == 7)
        #expect(GeneratorRandom.threshold(probability: 1) == nil)
        #expect(GeneratorRandom.threshold(probability: 0) == 0)
        #expect(GeneratorRandom.threshold(probability: 0.5) == 1 << 63)
    }

    // MARK: Calendar and timestamps

    @Test func calendarAgreesWithAPlainDayCount() {
        var days: Int64 = -800
        while days < 2_933_000 {
            let date = DomainCalendar.date(daysSinceEpoch: days)
            #expect(ReferenceLedger.daysSince1970(year: date.year, month: date.month, day: date.day) == days, "day \(days)")
            #expect(DomainCalendar.daysSinceEpoch(year: date.year, month: date.month, day: date.day) == days)
            #expect(date.day >= 1 && date.day <= ReferenceLedger.daysInMonth(year: date.year, month: date.month))
            days += 9_973
        }
    }

    @Test func monthBoundariesAreExact() {
        // 2024-03-01T00:00:00Z and one microsecond before it (a leap February).
        let march = Int64(1_709_251_200_000_000)
        #expect(DomainCalendar.monthOrdinal(march) == 2024 * 12 + 2)
        #expect(DomainCalendar.monthOrdinal(march - 1) == 2024 * 12 + 1)
        #expect(DomainCalendar.monthStart(ordinal: 2024 * 12 + 2) == march)
        #expect(ReferenceLedger.periodOf(march - 1) == 2024 * 12 + 1)
    }

    @Test(arguments: [
        (Int64(1_767_225_600_000_000), GeneratorBytes.FractionStyle.canonical, "2026-01-01T00:00:00Z"),
        (1_767_225_600_500_000, .canonical, "2026-01-01T00:00:00.5Z"),
        (1_767_225_600_000_120, .canonical, "2026-01-01T00:00:00.00012Z"),
        (1_767_225_600_000_000, .milliseconds, "2026-01-01T00:00:00.000Z"),
        (1_767_225_600_500_000, .milliseconds, "2026-01-01T00:00:00.500Z"),
        (1_767_225_600_000_001, .milliseconds, "2026-01-01T00:00:00.000001Z"),
        (1_767_225_600_000_000, .microseconds, "2026-01-01T00:00:00.000000Z"),
        (253_402_300_799_999_999, .canonical, "9999-12-31T23:59:59.999999Z"),
        (0, .canonical, "1970-01-01T00:00:00Z"),
    ])
    func timestampsAreWrittenInTheInterchangeGrammar(microseconds: Int64, style: GeneratorBytes.FractionStyle, text: String) {
        var bytes: [UInt8] = []
        GeneratorBytes.appendTimestamp(microseconds, style: style, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == text)
        #expect(ReferenceLedger.timestamp(bytes) == microseconds)
    }

    @Test func decimalsArePaddedAndSigned() {
        var bytes: [UInt8] = []
        GeneratorBytes.appendDecimal(UInt64(42), minimumDigits: 6, to: &bytes)
        bytes.append(32)
        GeneratorBytes.appendDecimal(Int64(-1_000_000_000_001), to: &bytes)
        bytes.append(32)
        GeneratorBytes.appendDecimal(UInt64.max, minimumDigits: 1, to: &bytes)
        bytes.append(32)
        GeneratorBytes.appendDecimal(Int64.min, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "000042 -1000000000001 18446744073709551615 -9223372036854775808")
    }

    /// A copy of a generator goes on exactly as the original would: lines are classes
    /// inside, and the copy must not share them (the original runs ahead and rewrites
    /// every remembered line before the copy goes on).
    @Test func copiedGeneratorsContinueIndependently() {
        let options = GeneratorOptions(events: 3_000, seed: 8, invalidRate: 0.3)
        var original = HistoryGenerator(options: options)
        var prefix: [UInt8] = []
        for _ in 0..<1_000 { _ = original.next(into: &prefix) }
        var copy = original
        var originalRest: [UInt8] = []
        for _ in 0..<(HistoryGenerator.recentLinesMax + 50) { _ = original.next(into: &originalRest) }
        var copyRest: [UInt8] = []
        while copy.next(into: &copyRest) {}
        while original.next(into: &originalRest) {}
        let expected = GeneratedHistory(options).bytes
        let originalIsUnchanged = prefix + originalRest == expected
        let copyIsUnchanged = prefix + copyRest == expected
        #expect(originalIsUnchanged)
        #expect(copyIsUnchanged)
    }

    @Test func producedLineCountAndEndAreReported() {
        var generator = HistoryGenerator(options: GeneratorOptions(events: 4))
        var output: [UInt8] = []
        for expected in 1...4 {
            let produced = generator.next(into: &output)
            #expect(produced)
            #expect(generator.producedLineCount == expected)
        }
        let size = output.count
        let producedAfterEnd = generator.next(into: &output)
        #expect(!producedAfterEnd)
        #expect(output.count == size)
        #expect(output.filter { $0 == UInt8(ascii: "\n") }.count == 4)
    }

    // MARK: Shape of the lines

    @Test func everyLineIsJSONWithTheRequiredFields() throws {
        let history = GeneratedHistory(GeneratorOptions(events: 10_000, seed: 3))
        #expect(history.lines.count == 10_000)
        let typeNames = Set(EventType.allCases.map(\.name))
        let requiredData: [String: [String]] = [
            "invitation.created": ["invitation", "email", "role", "expires_at"],
            "invitation.accepted": ["invitation", "user"], "invitation.revoked": ["invitation"],
            "worker.rate_set": ["worker", "fixed_monthly_cents"],
            "order.placed": ["order", "client", "title", "price_cents"], "order.accepted": ["order", "manager"],
            "job.assigned": ["order", "writer", "fee_cents"], "order.submitted": ["order", "submissions"],
            "order.approved": ["order"], "order.rejected": ["order", "reason"], "order.completed": ["order"],
            "order.cancelled": ["order", "reason"], "bonus.added": ["worker", "amount_cents", "reason"],
            "fine.issued": ["worker", "amount_cents", "reason"], "payout.paid": ["worker", "amount_cents", "reference"],
            "invoice.issued": ["worker", "period"], "subscription.changed": ["change", "plan", "mrr_cents"],
            "audit.recorded": ["action", "target_type", "target_id", "risk"],
        ]
        for (index, line) in history.lines.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line))
            let event = try #require(object as? [String: Any], "line \(index + 1)")
            #expect(Set(event.keys) == ["id", "tenant", "type", "at", "actor", "data"], "line \(index + 1)")
            for key in ["id", "tenant", "type", "at", "actor"] {
                #expect(event[key] is String, "line \(index + 1): \(key)")
            }
            let type = try #require(event["type"] as? String)
            #expect(typeNames.contains(type), "line \(index + 1)")
            let data = try #require(event["data"] as? [String: Any], "line \(index + 1)")
            for key in requiredData[type] ?? [] {
                #expect(data[key] != nil, "line \(index + 1): \(type) without \(key)")
            }
            for (key, value) in data where key.hasSuffix("_cents") || key == "submissions" {
                let number = try #require(value as? NSNumber, "line \(index + 1): \(key)")
                #expect(String(cString: number.objCType) != "d", "line \(index + 1): \(key) is not an integer")
                #expect(number.int64Value >= 0 && number.int64Value <= 1_000_000_000_000, "line \(index + 1): \(key)")
            }
        }
    }

    @Test func eventIDsAreUniquePerTenant() throws {
        let history = GeneratedHistory(GeneratorOptions(events: 10_000, seed: 4))
        var seen: Set<[UInt8]> = []
        var tenants: Set<[UInt8]> = []
        for line in history.lines {
            // Ids and tenant names are ASCII here, so Foundation's strings compare them exactly.
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let tenant = Array(try #require(event["tenant"] as? String).utf8)
            let id = Array(try #require(event["id"] as? String).utf8)
            tenants.insert(tenant)
            #expect(seen.insert(tenant + [0] + id).inserted, "\(String(decoding: tenant + [32] + id, as: UTF8.self)) twice")
        }
        #expect(tenants.count == 10)
    }

    @Test func lineLengthsAndTypeMixAreRealistic() throws {
        let history = GeneratedHistory(GeneratorOptions(events: 10_000, seed: 5))
        let meanLength = Double(history.bytes.count) / Double(history.lines.count)
        #expect(meanLength > 170 && meanLength < 200, "mean line length \(meanLength)")
        var counts: [String: Int] = [:]
        for line in history.lines {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            counts[try #require(event["type"] as? String), default: 0] += 1
        }
        #expect(Set(counts.keys) == Set(EventType.allCases.map(\.name)), "every type appears")
        let orderLines = counts.filter { $0.key.hasPrefix("order.") || $0.key == "job.assigned" }.values.reduce(0, +)
        #expect(orderLines > history.lines.count * 6 / 10, "the order lifecycle is the bulk")
        #expect(counts["invoice.issued", default: 0] > 50)
        #expect(counts["subscription.changed", default: 0] >= 10, "\(counts)")
    }

    // MARK: Rules

    /// At rate 0 the reference ledger appends every line, in file order; along the way the
    /// money rules are exercised: payouts within the available balance, invoices issued
    /// once and only for ended months, balances driven negative by fines, late events.
    @Test(arguments: [
        GeneratorOptions(events: 12_000, seed: 11),
        GeneratorOptions(events: 4_000, tenants: 1, seed: 12, days: 400),
        GeneratorOptions(events: 3_000, tenants: 50, seed: 13, days: 3),
        GeneratorOptions(events: 400, tenants: 3, seed: 14, days: 1_000),
        GeneratorOptions(events: 4_000, tenants: 2, seed: 15, days: 60, start: Timestamp(microseconds: 1_798_761_599_500_000)),
    ])
    func everyLineIsAppendedAtRateZero(options: GeneratorOptions) throws {
        let history = GeneratedHistory(options)
        var reference = ReferenceLedger()
        for (index, line) in history.lines.enumerated() {
            let offered = reference.offer(line)
            let outcome = try #require(offered, "line \(index + 1) is blank")
            #expect(outcome == .appended(position: index + 1), "seed \(options.seed) line \(index + 1): \(outcome)")
            if outcome != .appended(position: index + 1) { return }
        }
        #expect(history.kinds.allSatisfy { $0 == .valid })
        #expect(reference.statistics.payoutsAppended > 0)
        if options.events >= 4_000 {
            #expect(reference.statistics.invoicesAppended > 0)
            #expect(reference.statistics.lateEventsAppended > 0)
            #expect(reference.statistics.negativeBalancesSeen > 0)
        }
    }

    /// Each bad line gets the outcome its kind announces, and the good lines around them
    /// are still all appended: bad lines leave the generator's model alone.
    @Test(arguments: [(UInt64(21), 0.1, 12_000), (22, 0.5, 4_000)])
    func badLinesGetTheirAnnouncedOutcome(seed: UInt64, rate: Double, events: Int) throws {
        let history = GeneratedHistory(GeneratorOptions(events: events, seed: seed, invalidRate: rate))
        var reference = ReferenceLedger()
        var kindCounts: [HistoryGenerator.LineKind: Int] = [:]
        var outcomeCounts: [String: Int] = [:]
        var mismatches = 0
        for (index, line) in history.lines.enumerated() {
            let kind = history.kinds[index]
            kindCounts[kind, default: 0] += 1
            let offered = reference.offer(line)
            let outcome = try #require(offered, "line \(index + 1) is blank")
            outcomeCounts[outcome.name, default: 0] += 1
            if outcome.name != kind.expectedOutcome.name {
                mismatches += 1
                Issue.record("seed \(seed) line \(index + 1) \(kind): \(outcome)\n\(String(decoding: line, as: UTF8.self))")
                if mismatches > 5 { return }
            }
        }
        let badCount = history.lines.count - kindCounts[.valid, default: 0]
        let badShare = Double(badCount) / Double(history.lines.count)
        #expect(abs(badShare - rate) < 0.03, "bad share \(badShare)")
        #expect(Set(kindCounts.keys) == Set(HistoryGenerator.LineKind.allCases), "every kind appears: \(kindCounts)")
        for name in ["appended", "duplicate", "invalid", "conflict", "rule"] {
            #expect(outcomeCounts[name, default: 0] > 0, "\(name) appears")
        }
    }

    /// Not a test of speed (the machine is shared and noisy): prints the throughput when
    /// `LEDGER_GENERATOR_BENCHMARK` is set, meant for `swift test -c release`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LEDGER_GENERATOR_BENCHMARK"] != nil))
    func throughput() {
        for rate in [0.0, 0.1] {
            let events = 2_000_000
            var generator = HistoryGenerator(options: GeneratorOptions(events: events, seed: 1, invalidRate: rate))
            var output: [UInt8] = []
            output.reserveCapacity(2 << 20)
            var byteCount = 0
            let clock = ContinuousClock()
            let elapsed = clock.measure {
                while generator.next(into: &output) {
                    if output.count >= 1 << 20 {
                        byteCount += output.count
                        output.removeAll(keepingCapacity: true)
                    }
                }
            }
            byteCount += output.count
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("generator, invalid rate \(rate): \(events) lines, \(byteCount) bytes in \(seconds) s: \(Int(Double(events) / seconds)) lines/s")
        }
    }

    @Test func rateOneGivesOnlyRefusedLines() throws {
        let history = GeneratedHistory(GeneratorOptions(events: 2_000, seed: 31, invalidRate: 1))
        var reference = ReferenceLedger()
        for (index, line) in history.lines.enumerated() {
            let offered = reference.offer(line)
            let outcome = try #require(offered)
            #expect(outcome.name == history.kinds[index].expectedOutcome.name, "line \(index + 1) \(history.kinds[index]): \(outcome)")
            #expect(outcome.name != "appended")
        }
    }
}
