import Benchmark
import Foundation
import GRDB
import LedgerDomain

/// The peer to beat: the same history in an `events` table of SQLite through GRDB, the way
/// an application would keep it (WAL, synchronous=FULL, the whole JSON line in a column).
func registerSQLiteBaselines() {
    Benchmark(
        "SQLite baseline: append 1M events, 1000-row transactions (WAL, synchronous=FULL)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, CustomMetrics.bytesPerEventHundredths],
            warmupIterations: 0, scalingFactor: .mega, maxDuration: .seconds(120), maxIterations: 2)
    ) { benchmark in
        let rows = SQLiteRows.shared
        let directory = BenchmarkDirectories.fresh("sqlite-append")
        defer { BenchmarkDirectories.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        benchmark.startMeasurement()
        try SQLiteEvents.write(rows, to: directory + "/events.sqlite")
        benchmark.stopMeasurement()
        benchmark.measurement(
            CustomMetrics.bytesPerEventHundredths,
            Int(Fixtures.bytesOnDisk(directory) * 100 / UInt64(rows.count)))
    } setup: {
        _ = SQLiteRows.shared
    }

    Benchmark(
        "SQLite baseline: balances by SQL aggregation (json_extract), 1M events",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let pool = try SQLiteEvents.openReadOnly(SQLiteEvents.fixture)
        benchmark.startMeasurement()
        let totals = try SQLiteEvents.aggregateBalances(pool)
        benchmark.stopMeasurement()
        let expected = try SQLiteEvents.ledgerTotals()
        precondition(totals == expected, "SQL aggregation disagrees with the ledger: \(totals) vs \(expected)")
    } setup: {
        _ = SQLiteEvents.fixture
    }

    Benchmark(
        "SQLite baseline: balances by a fold over the rows, 1M events",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let pool = try SQLiteEvents.openReadOnly(SQLiteEvents.fixture)
        benchmark.startMeasurement()
        let fold = try SQLiteEvents.foldBalances(pool)
        benchmark.stopMeasurement()
        let expected = try SQLiteEvents.ledgerTotals()
        precondition(BalanceTotals(fold) == expected, "fold over SQLite rows disagrees with the ledger")
    } setup: {
        _ = SQLiteEvents.fixture
    }
}

/// The rows of the SQLite baseline, prepared outside the measured part.
final class SQLiteRows: @unchecked Sendable {
    static let shared = SQLiteRows()
    let tenants: [String]
    let ids: [String]
    let types: [String]
    let ats: [Int64]
    let bodies: [String]
    var count: Int { bodies.count }

    private init() {
        let history = Fixtures.replayHistory
        let events = Fixtures.replayEvents
        tenants = events.map(\.tenant.string)
        ids = events.map(\.id.string)
        types = events.map(\.type.name)
        ats = events.map(\.at.microseconds)
        bodies = (0..<events.count).map { history.lineString($0) }
    }
}

/// Sums over every worker balance, to check a baseline against the ledger.
struct BalanceTotals: Equatable, CustomStringConvertible {
    var workers = 0
    var availableCents: Int64 = 0
    var pendingCents: Int64 = 0

    init() {}

    init(_ fold: BalanceFold) {
        for tenant in fold.tenants {
            for balance in fold.balances(tenant: tenant) where balance.availableCents != 0 || balance.pendingCents != 0 {
                workers += 1
                availableCents += balance.availableCents
                pendingCents += balance.pendingCents
            }
        }
    }

    var description: String { "\(workers) workers, available \(availableCents), pending \(pendingCents)" }
}

enum SQLiteEvents {
    static let transactionRows = 1_000

    static let schema = """
        CREATE TABLE events(
            position INTEGER PRIMARY KEY,
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            at INTEGER NOT NULL,
            body TEXT NOT NULL,
            UNIQUE(tenant, id)
        )
        """

    /// The database file of the aggregation baselines, written once (see `Fixtures.cachedFixture`).
    static let fixture: String = Fixtures.cachedFixture("sqlite-\(BenchmarkSizes.replayEvents)") { directory in
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try! write(SQLiteRows.shared, to: directory + "/events.sqlite")
    } + "/events.sqlite"

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Appends every row, `transactionRows` per transaction; a DatabasePool is in WAL mode.
    static func write(_ rows: SQLiteRows, to path: String) throws {
        let pool = try DatabasePool(path: path, configuration: configuration())
        try pool.write { db in try db.execute(sql: schema) }
        var start = 0
        while start < rows.count {
            let end = min(start + transactionRows, rows.count)
            try pool.write { db in
                let statement = try db.cachedStatement(sql: "INSERT INTO events(tenant, id, type, at, body) VALUES (?, ?, ?, ?, ?)")
                for row in start..<end {
                    try statement.execute(arguments: [rows.tenants[row], rows.ids[row], rows.types[row], rows.ats[row], rows.bodies[row]])
                }
            }
            start = end
        }
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try pool.close()
    }

    static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        var configuration = configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Balances as an application would compute them in SQL: an approval's and a
    /// completion's writer and fee are those of the order's latest `job.assigned` before
    /// it, an invoice's fixed pay the worker's latest `worker.rate_set` before it.
    static let aggregationSQL = """
        WITH
        order_events AS (
            SELECT position, tenant, type, json_extract(body, '$.data.order') AS ord
            FROM events WHERE type IN ('job.assigned', 'order.approved', 'order.completed')),
        order_tagged AS (
            SELECT position, tenant, type,
                   MAX(CASE WHEN type = 'job.assigned' THEN position END)
                       OVER (PARTITION BY tenant, ord ORDER BY position) AS assignment
            FROM order_events),
        rate_events AS (
            SELECT position, tenant, type, json_extract(body, '$.data.worker') AS worker
            FROM events WHERE type IN ('worker.rate_set', 'invoice.issued')),
        rate_tagged AS (
            SELECT position, tenant, type, worker,
                   MAX(CASE WHEN type = 'worker.rate_set' THEN position END)
                       OVER (PARTITION BY tenant, worker ORDER BY position) AS rate
            FROM rate_events),
        moves(tenant, worker, available, pending) AS (
            SELECT t.tenant, json_extract(a.body, '$.data.writer'),
                   CASE t.type WHEN 'order.approved' THEN 0 ELSE json_extract(a.body, '$.data.fee_cents') END,
                   CASE t.type WHEN 'order.approved' THEN json_extract(a.body, '$.data.fee_cents')
                               ELSE -json_extract(a.body, '$.data.fee_cents') END
            FROM order_tagged t JOIN events a ON a.position = t.assignment
            WHERE t.type IN ('order.approved', 'order.completed')
            UNION ALL
            SELECT tenant, json_extract(body, '$.data.worker'),
                   CASE type WHEN 'bonus.added' THEN 1 ELSE -1 END * json_extract(body, '$.data.amount_cents'), 0
            FROM events WHERE type IN ('bonus.added', 'fine.issued', 'payout.paid')
            UNION ALL
            SELECT r.tenant, r.worker, COALESCE(json_extract(s.body, '$.data.fixed_monthly_cents'), 0), 0
            FROM rate_tagged r LEFT JOIN events s ON s.position = r.rate
            WHERE r.type = 'invoice.issued')
        SELECT tenant, worker, SUM(available), SUM(pending) FROM moves GROUP BY tenant, worker
        """

    static func aggregateBalances(_ queue: DatabaseQueue) throws -> BalanceTotals {
        try queue.read { db in
            var totals = BalanceTotals()
            let cursor = try Row.fetchCursor(db, sql: aggregationSQL)
            while let row = try cursor.next() {
                let available: Int64 = row[2]
                let pending: Int64 = row[3]
                guard available != 0 || pending != 0 else { continue }
                totals.workers += 1
                totals.availableCents += available
                totals.pendingCents += pending
            }
            return totals
        }
    }

    /// The other way an application rebuilds balances from an events table: read every
    /// row in order, parse its JSON, run the rules to learn the effects, fold.
    static func foldBalances(_ queue: DatabaseQueue) throws -> BalanceFold {
        try queue.read { db in
            var state = DomainState()
            var fold = BalanceFold()
            var position: UInt64 = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT body FROM events ORDER BY position")
            while let row = try cursor.next() {
                position += 1
                let event: Event? = try row.withUnsafeData(atIndex: 0) { data in
                    guard let data else { return nil }
                    return data.withUnsafeBytes { bytes in
                        if case .success(let event) = EventLineParser.parse(bytes) { return event }
                        return nil
                    }
                }
                guard let event, case .success(let effect) = state.decide(event) else {
                    preconditionFailure("row \(position) of the SQLite baseline does not replay")
                }
                state.apply(event, effect: effect)
                fold.fold(RecordedEvent(position: position, event: event, effect: effect))
            }
            return fold
        }
    }

    /// The same sums from the ledger's own fast path, for the baselines' checks.
    static func ledgerTotals() throws -> BalanceTotals {
        BalanceTotals(try LedgerReaderCache.balances())
    }
}
