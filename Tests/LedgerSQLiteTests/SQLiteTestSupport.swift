import Foundation
import LedgerDomain
import LedgerSQLite
import Testing

/// SplitMix64: a tiny deterministic generator, so that a failing seed can be replayed.
struct SQLiteSeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Shared helpers of the LedgerSQLite tests.
enum SQLiteTestSupport {
    /// A fresh, empty temporary directory; the caller removes it with `cleanUp`.
    static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "ledger-sqlite-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func cleanUp(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A stand-in for the log's chain hash after `position`: 32 bytes that depend on the position.
    static func chainHash(after position: UInt64) -> [UInt8] {
        var random = SQLiteSeededGenerator(state: position &* 0x2545_F491_4F6C_DD1D)
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            withUnsafeBytes(of: random.next().littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The read models of `events` (all of them, as of the end).
    static func models(_ events: some Sequence<RecordedEvent>) -> ReadModels {
        var models = ReadModels()
        for recorded in events { models.fold(recorded) }
        return models
    }

    /// Applies `events` in consecutive batches whose sizes `random` draws from `batchSizes`.
    static func applyInRandomBatches(
        _ events: ArraySlice<RecordedEvent>, to projection: SQLiteProjection, batchSizes: ClosedRange<Int>,
        using random: inout SQLiteSeededGenerator, afterEachBatch: (UInt64) throws -> Void = { _ in }
    ) throws {
        var start = events.startIndex
        while start < events.endIndex {
            let end = min(start + Int.random(in: batchSizes, using: &random), events.endIndex)
            let batch = Array(events[start..<end])
            let last = batch[batch.count - 1].position
            try projection.apply(batch, chainHash: chainHash(after: last))
            try afterEachBatch(last)
            start = end
        }
    }

    /// Records one issue per difference between the tables and the expected rows.
    static func expectEqual(
        _ found: SQLiteContents, _ expected: SQLiteContents, _ context: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard found != expected else { return }
        let differences = found.differences(from: expected, limit: 8)
        Issue.record(
            "\(context): the tables differ:\n\(differences.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }
}

/// Seeded random histories, as the log would hold them: random events over a small world offered
/// to the decider, the accepted ones kept with their positions and fixed effects.
enum SQLiteRandomHistory {
    static let tenants: [Name] = ["acme", "globex", "initech"]
    /// Two spellings of one text (precomposed and combining accent) and a NUL character: the
    /// tables must keep them apart and give every byte back.
    static let workers: [Name] = ["w-1", "w-2", "w-3", "w-\u{E9}", "w-e\u{301}", "w-\u{0}z"]
    static let startMicroseconds: Int64 = 1_767_225_600_000_000  // 2026-01-01T00:00:00Z
    static let microsecondsPerHour: Int64 = 3_600_000_000

    static func make(seed: UInt64, offeredCount: Int) -> [RecordedEvent] {
        var random = SQLiteSeededGenerator(state: seed)
        var state = DomainState()
        var recorded: [RecordedEvent] = []
        for index in 0..<offeredCount {
            let event = randomEvent(&random, index: index)
            guard case .success(let effect) = state.decide(event) else { continue }
            state.apply(event, effect: effect)
            recorded.append(RecordedEvent(position: UInt64(recorded.count + 1), event: event, effect: effect))
        }
        return recorded
    }

    /// A random event; business time drifts forward two hours per event, sometimes back.
    static func randomEvent(_ random: inout SQLiteSeededGenerator, index: Int) -> Event {
        let tenant = tenants[Int.random(in: 0..<tenants.count, using: &random)]
        let worker = workers[Int.random(in: 0..<workers.count, using: &random)]
        let order = Name("o-\(Int.random(in: 1...8, using: &random))")
        let invitation = Name("inv-\(Int.random(in: 1...6, using: &random))")
        let user = Name("u-\(Int.random(in: 1...6, using: &random))")
        let cents = Int64.random(in: 0...3, using: &random) * 2500
        let positive = Int64.random(in: 1...40, using: &random) * 500
        let hours = Int64(index) * 2 - Int64.random(in: 0...200, using: &random)
        let fraction = [0, 0, 500_000, 10, 123_456][Int.random(in: 0..<5, using: &random)]
        let at = Timestamp(microseconds: startMicroseconds + hours * microsecondsPerHour + Int64(fraction))
        let data: EventData
        switch Int.random(in: 0..<21, using: &random) {
        case 0:
            let days = Int64.random(in: -2...10, using: &random)
            data = .invitationCreated(
                invitation: invitation, email: "x@example.com", role: Role.allCases.randomElement(using: &random)!,
                expiresAt: Timestamp(microseconds: at.microseconds + days * 24 * microsecondsPerHour))
        case 1: data = .invitationAccepted(invitation: invitation, user: user)
        case 2: data = .invitationRevoked(invitation: invitation)
        case 3: data = .workerRateSet(worker: worker, fixedMonthlyCents: cents * 10)
        case 4: data = .orderPlaced(order: order, client: "c", title: Bool.random(using: &random) ? "" : "Title \u{1F600}", priceCents: positive)
        case 5: data = .orderAccepted(order: order, manager: "m")
        case 6, 7: data = .jobAssigned(order: order, writer: worker, feeCents: cents)
        case 8, 9: data = .orderSubmitted(order: order, submissions: Int64.random(in: 1...4, using: &random))
        case 10, 11: data = .orderApproved(order: order)
        case 12: data = .orderRejected(order: order, reason: "r")
        case 13: data = .orderCompleted(order: order)
        case 14: data = .orderCancelled(order: order, reason: "r")
        case 15: data = .bonusAdded(worker: worker, amountCents: positive, reason: "b")
        case 16: data = .fineIssued(worker: worker, amountCents: positive, reason: "f")
        case 17: data = .payoutPaid(worker: worker, amountCents: positive, reference: "p")
        case 18: data = .invoiceIssued(worker: worker, period: Period(year: 2026, month: Int32.random(in: 1...5, using: &random)))
        case 19:
            data = .subscriptionChanged(change: SubscriptionChange.allCases.randomElement(using: &random)!, plan: "p", mrrCents: cents)
        default:
            data = .auditRecorded(
                action: "a", targetType: "user", targetID: user, risk: Risk.allCases.randomElement(using: &random)!, metadata: nil)
        }
        return Event(tenant: tenant, id: Name("e-\(index)"), at: at, actor: Name("u-\(index % 3)"), data: data)
    }
}

/// The sample fixture's appended events, in log order: the lines the expected outcomes call
/// `appended`, parsed by `EventLineParser` and each decided again to get its fixed effect.
enum SQLiteSampleHistory {
    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }

    /// The bytes of a fixture file of `Tests/LedgerSQLiteTests/Fixtures`.
    static func fixture(_ name: String, _ fileExtension: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: fileExtension, subdirectory: "Fixtures")
        else { throw FixtureError(description: "fixture \(name).\(fileExtension) not found") }
        return try Data(contentsOf: url)
    }

    static func recorded() throws -> [RecordedEvent] {
        let document = try JSONSerialization.jsonObject(with: fixture("sample.expected", "json"))
        guard let root = document as? [String: Any], let outcomes = root["outcomes"] as? [[String: Any]] else {
            throw FixtureError(description: "sample.expected.json has no outcomes")
        }
        var appendedPositionByLine: [Int: Int] = [:]
        for outcome in outcomes where outcome["outcome"] as? String == "appended" {
            appendedPositionByLine[outcome["line"] as? Int ?? -1] = outcome["position"] as? Int
        }
        let lines = try fixture("sample", "jsonl").split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var state = DomainState()
        var recorded: [RecordedEvent] = []
        for (index, line) in lines.enumerated() {
            guard let position = appendedPositionByLine[index + 1] else { continue }
            let event: Event
            switch EventLineParser.parse(Array(line)) {
            case .success(let parsed): event = parsed
            case .failure(let refusal): throw FixtureError(description: "line \(index + 1) does not parse: \(refusal)")
            }
            guard case .success(let effect) = state.decide(event) else {
                throw FixtureError(description: "line \(index + 1) is refused, the fixture appends it")
            }
            state.apply(event, effect: effect)
            recorded.append(RecordedEvent(position: UInt64(position), event: event, effect: effect))
        }
        guard recorded.map(\.position) == Array(1...UInt64(recorded.count)) else {
            throw FixtureError(description: "the appended positions are not 1, 2, 3...")
        }
        return recorded
    }

    /// The `tenants` object of `sample.expected.json`.
    static func expectedTenants() throws -> [String: [String: Any]] {
        let document = try JSONSerialization.jsonObject(with: fixture("sample.expected", "json"))
        guard let root = document as? [String: Any], let tenants = root["tenants"] as? [String: [String: Any]] else {
            throw FixtureError(description: "sample.expected.json has no tenants")
        }
        return tenants
    }
}
