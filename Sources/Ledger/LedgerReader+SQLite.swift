import Foundation
import LedgerDomain
import LedgerLog
import LedgerSQLite

/// What bringing the SQLite read models up to date did.
public struct MaterializeReport: Sendable {
    /// The checkpoint before (0 when the tables were empty or rebuilt).
    public var fromPosition: UInt64 = 0
    /// The checkpoint after: the log's head.
    public var toPosition: UInt64 = 0
    public var eventsApplied = 0
    /// Why the tables were rebuilt from the log, if they were.
    public var rebuiltBecause: String?
    public var seconds: Double = 0
    /// The database file.
    public var path: String = ""
}

extension LedgerReader {
    /// The default of ``bulkLoadEventsMin``.
    public static let bulkLoadEventsMinDefault: UInt64 = 100_000

    /// `DIR/read-models.sqlite`: the read models as ordinary SQLite tables (docs/SQLITE.md).
    public var sqlitePath: String { LedgerLayout(directory: directory).sqlitePath }

    /// Brings the SQLite tables up to date with the log: applies the events after the
    /// tables' checkpoint, in transactions that each end at a log batch and record that
    /// batch's position and chain hash with the rows. A crash in the middle leaves the
    /// tables at the last committed checkpoint; the next call continues from there.
    ///
    /// The checkpoint is checked against the log first: if its chain hash is not the
    /// log's hash at that position (the database belongs to another log, or the log was
    /// replaced), or it lies beyond the log's head, the tables are rebuilt from the log
    /// and the report says why. `rebuild` forces that.
    public func materialize(rebuild: Bool = false, progress: ((UInt64, UInt64) -> Void)? = nil) throws -> MaterializeReport {
        let started = DispatchTime.now().uptimeNanoseconds
        var report = MaterializeReport(path: sqlitePath)
        let projection = try SQLiteProjection(path: sqlitePath)
        let head = try log.head()
        var checkpoint = try projection.checkpoint()
        if rebuild {
            report.rebuiltBecause = "asked for"
        } else if checkpoint.position > head.position {
            report.rebuiltBecause = "the tables' checkpoint \(checkpoint.position) is beyond the log's head \(head.position)"
        } else if checkpoint.position > 0 {
            var logHash: [UInt8]?
            try log.forEach(from: checkpoint.position, through: checkpoint.position, batchEnd: { batch in
                if batch.position == checkpoint.position { logHash = batch.chainHash }
            }) { _ in }
            if logHash == nil || logHash != checkpoint.chainHash {
                report.rebuiltBecause = "the tables' checkpoint (position \(checkpoint.position)) does not match the log's chain hash there"
            }
        }
        if report.rebuiltBecause != nil {
            try projection.reset()
            checkpoint = (0, nil)
        }
        report.fromPosition = checkpoint.position
        var pending: [RecordedEvent] = []
        pending.reserveCapacity(SQLiteProjection.batchEventsRecommended + 4096)
        let from = checkpoint.position
        let isBulk = head.position - from >= bulkLoadEventsMin
        // A bulk load commits larger transactions: each rewrites the entity rows its events
        // touched once, so fewer transactions rewrite them fewer times.
        let batchEvents = isBulk ? SQLiteProjection.batchEventsRecommended * 10 : SQLiteProjection.batchEventsRecommended
        func applyTail() throws {
            let names = NameCache()
            try log.forEach(from: from + 1, through: head.position, batchEnd: { batch in
                guard pending.count >= batchEvents || batch.position >= head.position else { return }
                precondition(pending.last?.position == batch.position, "a projection batch ends where a log batch ends")
                try projection.apply(pending, chainHash: batch.chainHash)
                report.eventsApplied += pending.count
                pending.removeAll(keepingCapacity: true)
                progress?(batch.position - from, head.position - from)
            }) { view in
                let (event, effect) = try LedgerCodec.decode(view, names: names)
                pending.append(RecordedEvent(position: view.position, event: event, effect: effect))
            }
        }
        if isBulk {
            // Many events at once: the secondary indexes are built after them, not row by row.
            try projection.withSecondaryIndexesDropped { try applyTail() }
        } else if from < head.position {
            try applyTail()
        }
        precondition(pending.isEmpty, "every read event was applied")
        report.toPosition = try projection.checkpoint().position
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return report
    }
}
