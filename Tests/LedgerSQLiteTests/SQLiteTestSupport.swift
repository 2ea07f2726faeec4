import Foundation
import LedgerDomain
import LedgerSQLite
import LedgerTestSupport
import Testing

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
        RandomHistory.chainHash(seed: 0, position: position)
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
        using random: inout SeededGenerator, afterEachBatch: (UInt64) throws -> Void = { _ in }
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

/// The random histories of these tests: three tenants, a handful of workers (two spellings of
/// one text, precomposed and combining accent, and a NUL character: the tables must keep them
/// apart and give every byte back), few orders so that they live long, fractions of every length.
enum SQLiteRandomHistory {
    static let world = RandomHistory(
        tenants: ["acme", "globex", "initech"],
        workers: ["w-1", "w-2", "w-3", "w-\u{E9}", "w-e\u{301}", "w-\u{0}z"],
        ordersPerTenant: 8, invitationsPerTenant: 6, usersPerTenant: 6,
        spanHours: 4000, hoursBackMax: 200, fractions: [0, 0, 500_000, 10, 123_456], invoiceMonths: 1...5)

    static func make(seed: UInt64, offeredCount: Int) -> [RecordedEvent] {
        world.make(seed: seed, offeredCount: offeredCount)
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
