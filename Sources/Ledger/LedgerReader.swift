import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// The reading side of a ledger directory: queries, as-of folds, export, verify and
/// statistics. Takes no lock, so it can run beside a writer; it sees the batches
/// that were complete when it read them.
///
/// ```swift
/// let reader = try LedgerReader(directory: "books")
/// let models = try reader.readModels(asOf: .time(march31))
/// ```
public final class LedgerReader {
    public let directory: String
    let log: LogReader
    /// Whether queries start from snapshots (true by default); false folds every query from
    /// the log's start, as an auditor may want to compare.
    public var usesSnapshots = true
    /// Where the last ``readModels(asOf:includeHistories:)`` or ``balances(asOf:)`` started.
    public internal(set) var lastFold = FoldReport()
    /// Folds of the read models with at least this many events to read use a second thread
    /// (it folds half of the read models while this one reads, decodes and folds the other
    /// half), and balance folds of at least this many read the log ahead on a second thread
    /// (zstd there, decoding and folding here); smaller folds, and every fold when this is
    /// `.max`, use the calling thread only. The results are the same either way.
    public var twoThreadFoldMinimumEvents: UInt64 = LedgerReader.defaultTwoThreadFoldMinimumEvents
    /// The default of ``twoThreadFoldMinimumEvents``: below it, starting a thread and merging
    /// cost more than the second core saves.
    public static let defaultTwoThreadFoldMinimumEvents: UInt64 = 65_536
    /// ``materialize(rebuild:progress:)`` applies at least this many events at once without the
    /// SQLite tables' secondary indexes, building them afterwards; fewer keep them up to date
    /// row by row. The tables come out the same either way.
    public var bulkLoadEventsMin: UInt64 = LedgerReader.bulkLoadEventsMinDefault

    public init(directory: String) throws {
        let layout = LedgerLayout(directory: directory)
        try layout.checkExists()
        self.directory = directory
        self.log = try LogReader(directory: layout.logDirectory)
    }

    /// The last complete position and its chain hash.
    public func head() throws -> LogHead { try log.head() }

    /// Calls `body` with every appended event in log order, from `from` through `through`.
    public func forEachEvent(from: UInt64 = 1, through: UInt64 = .max, _ body: (RecordedEvent) throws -> Void) throws {
        let names = NameCache()
        try log.forEach(from: from, through: through) { view in
            let (event, effect) = try LedgerCodec.decode(view, names: names)
            try body(RecordedEvent(position: view.position, event: event, effect: effect))
        }
    }

    /// Writes the log as canonical JSON Lines (one event per line, in log order), the
    /// form `ledger import` reads back into an identical log content.
    public func export(tenant: Name? = nil, through: UInt64 = .max, to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.exportBufferBytesMax + 4096)
        let names = NameCache()
        try log.forEach(from: 1, through: through) { view in
            if let tenant {
                let matches = tenant.withUTF8Bytes { bytes in
                    bytes.count == view.tenant.count && memcmp(bytes.baseAddress!, view.tenant.baseAddress!, bytes.count) == 0
                }
                guard matches else { return }
            }
            let (event, _) = try LedgerCodec.decode(view, names: names)
            EventLineWriter.write(event, into: &buffer)
            if buffer.count >= Self.exportBufferBytesMax {
                try buffer.withUnsafeBytes(write)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try buffer.withUnsafeBytes(write) }
    }

    static let exportBufferBytesMax = 1 << 20

    /// Checks every checksum and the whole hash chain.
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) -> VerifyReport {
        log.verify(progress: progress)
    }

    /// Figures of the log (events, segments, bytes).
    public func statistics() throws -> LogStatistics { try log.statistics() }
}
