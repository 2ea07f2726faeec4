import Foundation
import GRDB
import LedgerDomain

/// The read models of EVENTS.md section 4 materialised into ordinary SQLite tables
/// (`writer_balances`, `invoices`, `orders`, `order_history`, `invitations`, `users`,
/// `subscriptions`, `subscription_changes`, `audit_log`, `journal_accounts`,
/// `journal_transfers`, plus `tenants`, `writer_rates` and `projection_checkpoint`) that any
/// SQL tool can open: `sqlite3 DIR/read-models.sqlite`. docs/SQLITE.md describes the tables.
///
/// The tables are kept up to date batch by batch: `apply` writes a batch's rows and moves the
/// checkpoint (position and chain hash of the last event applied) in one transaction, so a
/// crash never applies an event twice or skips one: the caller reopens, reads `checkpoint()`
/// and continues with the event after it.
///
/// ```swift
/// let projection = try SQLiteProjection(path: directory + "/read-models.sqlite")
/// var next = try projection.checkpoint().position + 1
/// for batch in log.batches(from: next, eventsMax: SQLiteProjection.batchEventsRecommended) {
///     try projection.apply(batch.events, chainHash: batch.chainHashAfterLastEvent)
///     next = batch.events.last!.position + 1
/// }
/// ```
///
/// The projection keeps the current rows of the entity tables in memory, restored from the
/// tables themselves (never from the log) on the first `apply` after opening, and after any
/// write that failed. It is not thread-safe: use one instance from one thread at a time. Two
/// instances on one file stay correct (each `apply` rereads the checkpoint under SQLite's
/// write lock and reloads its rows if another instance moved it) but gain nothing.
public final class SQLiteProjection {
    /// A good batch size for `apply`: big enough that the per-transaction costs (commit, the
    /// entity rows rewritten once per batch) vanish, small enough to keep the write-ahead log
    /// and the memory of one batch modest.
    public static let batchEventsRecommended = 10_000
    /// The layout version of the tables, stored in `projection_checkpoint.format_version`.
    public static let formatVersion = SQLiteSchema.formatVersion
    /// The size of a chain hash: SHA-256, 32 bytes.
    public static let chainHashBytes = ChainHashText.chainHashBytes
    /// How long a write waits for another connection (a reader checkpointing the write-ahead
    /// log, another instance) before failing with `SQLITE_BUSY`.
    static let busyTimeoutSeconds: Double = 10
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size` takes a negative
    /// number as KiB): the B-tree pages of the indexes a batch touches stay in memory.
    static let pageCacheKibibytes = 64 * 1024
    /// The write-ahead log's size, in 4 KiB pages, past which a commit copies it into the
    /// database (`PRAGMA wal_autocheckpoint`; SQLite's default is 1000).
    static let walCheckpointPages = 16 * 1024

    /// The database file.
    public let path: String
    private let database: DatabaseQueue
    /// The entity rows at the checkpoint; nil until the first `apply`, and after a failed one.
    private var state: ProjectionState? = nil

    /// Opens or creates the database; creates the tables if missing.
    ///
    /// A database whose tables were made by another format version opens, but `checkpoint()`,
    /// `apply` and `contents()` then throw `SQLiteProjectionError.formatVersionMismatch` until
    /// `reset()` rebuilds the tables.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        // Write-ahead log: readers (`sqlite3`, the `ledger` queries) read beside the writer.
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(Self.busyTimeoutSeconds)
        configuration.label = "LedgerSQLite"
        configuration.prepareDatabase { database in
            // In WAL mode, NORMAL syncs at checkpoints only: a committed batch survives a crash
            // of the process; a power loss may lose the last batches but never tears one, and
            // the checkpoint in the same transaction says where to continue.
            try database.execute(sql: "PRAGMA synchronous = NORMAL")
            try database.execute(sql: "PRAGMA cache_size = -\(SQLiteProjection.pageCacheKibibytes)")
            try database.execute(sql: "PRAGMA temp_store = MEMORY")
            // Copy the write-ahead log into the database every 64 MiB rather than every 4 MiB:
            // pages that consecutive batches rewrite (index leaves, entity rows) are copied
            // once, not once per batch.
            try database.execute(sql: "PRAGMA wal_autocheckpoint = \(SQLiteProjection.walCheckpointPages)")
        }
        database = try DatabaseQueue(path: path, configuration: configuration)
        try database.writeWithoutTransaction { database in
            try database.inTransaction(.immediate) {
                if try !database.tableExists("projection_checkpoint") {
                    try Self.createTables(database)
                } else if let row = try? SQLiteCheckpointRow.read(database), row.formatVersion == SQLiteSchema.formatVersion {
                    // Restores the indexes a bulk load dropped, if it was cut short.
                    try Self.createIndexes(database)
                }
                return .commit
            }
        }
    }

    /// Runs `body` (which applies many events: a rebuild, a first projection of a large log)
    /// without the secondary indexes, then builds them: SQLite builds an index over existing
    /// rows by sorting them, many times faster than keeping it up to date row by row. The
    /// rows and checkpoints `body` commits are what they would be with the indexes; a reader
    /// meanwhile sees the tables without them (slower queries, the same answers). If `body`
    /// throws, or the process stops before the indexes are built, the next open builds them.
    public func withSecondaryIndexesDropped<Result>(_ body: () throws -> Result) throws -> Result {
        try database.writeWithoutTransaction { database in
            try database.inTransaction(.immediate) {
                for name in SQLiteSchema.indexNames { try database.execute(sql: "DROP INDEX IF EXISTS \(name)") }
                return .commit
            }
        }
        let result = try body()
        try database.writeWithoutTransaction { database in
            // "PRAGMA threads = N ... sets an upper bound on the number of auxiliary threads
            // that a prepared statement is allowed to launch to assist with a query": CREATE
            // INDEX sorts with them.
            try database.execute(sql: "PRAGMA threads = 2")
            try database.inTransaction(.immediate) {
                try Self.createIndexes(database)
                return .commit
            }
            try database.execute(sql: "PRAGMA threads = 0")
        }
        return result
    }

    /// The position and chain hash (32 bytes) of the last event applied (0 and nil when none).
    public func checkpoint() throws -> (position: UInt64, chainHash: [UInt8]?) {
        try database.read { database in
            let row = try Self.readCheckpoint(database)
            return (row.position, row.chainHash)
        }
    }

    /// Applies events (positions must continue from the checkpoint, gapless) and sets the
    /// checkpoint to (last position, `chainHash`) in the same transaction, so a crash never
    /// applies an event twice or skips one. `chainHash` is the log's chain hash after the last
    /// event of `events` (`chainHashBytes` bytes). An empty `events` changes nothing.
    ///
    /// Events whose positions do not continue the checkpoint, or that skip or repeat a
    /// position, throw `SQLiteProjectionError.positionGap` and nothing is written.
    public func apply(_ events: [RecordedEvent], chainHash: [UInt8]) throws {
        precondition(chainHash.count == Self.chainHashBytes, "a chain hash has \(Self.chainHashBytes) bytes, got \(chainHash.count)")
        guard let first = events.first, let last = events.last else { return }
        for (offset, recorded) in events.enumerated() where recorded.position != first.position + UInt64(offset) {
            throw SQLiteProjectionError.positionGap(expected: first.position + UInt64(offset), found: recorded.position)
        }
        // Owned here until the transaction commits (so that folding does not copy it): a write
        // that fails after folding began leaves `state` nil, and the next `apply` restores the
        // rows from the tables the transaction rolled back to.
        var working = state
        state = nil
        var folding = false
        do {
            try database.writeWithoutTransaction { database in
                try database.inTransaction(.immediate) {
                    let stored = try Self.readCheckpoint(database)
                    guard first.position == stored.position + 1 else {
                        throw SQLiteProjectionError.positionGap(expected: stored.position + 1, found: first.position)
                    }
                    if working == nil || working?.position != stored.position || working?.chainHash != stored.chainHash {
                        working = nil
                        working = try ProjectionState.restore(from: database)
                    }
                    var writer = try ProjectionWriter(database)
                    folding = true
                    for recorded in events {
                        try working!.fold(recorded, writer: &writer)
                    }
                    try writer.writeChangedRows(of: working!)
                    try writer.writeCheckpoint(position: last.position, chainHash: chainHash)
                    return .commit
                }
            }
        } catch {
            // Refused before any row changed in memory: the rows still match the tables.
            if !folding { state = working }
            throw error
        }
        working!.markWritten()
        working!.chainHash = chainHash
        state = working
    }

    /// Drops and recreates every table (for `rebuild`): the checkpoint goes back to 0.
    public func reset() throws {
        state = nil
        try database.writeWithoutTransaction { database in
            try database.inTransaction(.immediate) {
                try database.execute(sql: SQLiteSchema.dropping)
                try Self.createTables(database)
                return .commit
            }
        }
        state = ProjectionState()
    }

    /// Reads every table back into plain comparable rows (for tests and for `ledger` checks).
    public func contents() throws -> SQLiteContents {
        try database.read { database in
            _ = try Self.readCheckpoint(database)
            return try SQLiteContents.read(database)
        }
    }

    /// The same rows computed from in-memory read models, to compare with `contents()`.
    /// For the tables of a projection at position P, fold the log's events up to P into
    /// `ReadModels(asOf: .end)`.
    public static func expectedContents(_ models: ReadModels) -> SQLiteContents {
        SQLiteContents(expectedFrom: models)
    }

    private static func createTables(_ database: Database) throws {
        try database.execute(sql: SQLiteSchema.creation)
        try createIndexes(database)
        let insert = try SQLiteRowStatement(
            database, sql: "INSERT INTO projection_checkpoint (name, position, chain_hash, format_version) VALUES (?1, 0, NULL, ?2)")
        try insert.bind(SQLiteSchema.checkpointName, at: 1)
        try insert.bind(SQLiteSchema.formatVersion, at: 2)
        try insert.execute()
    }

    /// Creates the secondary indexes that are missing.
    private static func createIndexes(_ database: Database) throws {
        for statement in SQLiteSchema.indexes { try database.execute(sql: statement) }
    }

    /// The checkpoint row, once its format version is this module's.
    private static func readCheckpoint(_ database: Database) throws -> SQLiteCheckpointRow {
        let row = try SQLiteCheckpointRow.read(database)
        guard row.formatVersion == SQLiteSchema.formatVersion else {
            throw SQLiteProjectionError.formatVersionMismatch(found: row.formatVersion, expected: SQLiteSchema.formatVersion)
        }
        return row
    }
}
