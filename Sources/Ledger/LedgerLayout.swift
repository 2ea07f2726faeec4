import Foundation
import LedgerEngine
import LedgerLog

/// Settings of a ledger directory.
/// Which snapshot files are kept (``LedgerOptions/snapshotRetention``), named here so that an
/// embedder setting the options needs no other import.
public typealias SnapshotRetention = LedgerEngine.SnapshotRetention

public struct LedgerOptions: Sendable {
    /// Settings of the underlying log (segment and batch sizes, compression, sync).
    public var log: LogOptions
    /// The default of ``snapshotEveryEvents``: a snapshot per million events keeps an open's
    /// replay to at most about that many events, for a few seconds of snapshot writing.
    public static let snapshotEveryEventsDefault: UInt64 = 1_000_000
    /// After an append or import makes events durable, a snapshot is taken (at the durable
    /// head) when at least this many events were appended since the newest snapshot; 0: never.
    public var snapshotEveryEvents: UInt64
    /// Which snapshot files are kept after one is written: by default the four newest, and of
    /// the older ones the newest of each business month, so that as-of queries far in the
    /// past still start from a snapshot near their target.
    public var snapshotRetention: SnapshotRetention
    /// Positions per chunk of the time index a snapshot starts (`TimeIndex.chunkEventsDefault`,
    /// 4,096); an index continued from an older snapshot keeps that one's chunk size.
    public var snapshotTimeIndexChunkEvents: UInt64
    public init(log: LogOptions = .init(), snapshotEveryEvents: UInt64 = LedgerOptions.snapshotEveryEventsDefault,
                snapshotRetention: SnapshotRetention = SnapshotRetention(),
                snapshotTimeIndexChunkEvents: UInt64 = TimeIndex.chunkEventsDefault) {
        precondition(snapshotTimeIndexChunkEvents >= 1, "a time index chunk holds at least one position")
        self.log = log
        self.snapshotEveryEvents = snapshotEveryEvents
        self.snapshotRetention = snapshotRetention
        self.snapshotTimeIndexChunkEvents = snapshotTimeIndexChunkEvents
    }
}

/// Where a ledger keeps its files inside its directory:
///
/// ```
/// DIR/LEDGER        manifest: format and domain pack (text)
/// DIR/log/          the event log (segments, lock), see docs/FORMAT.md
/// DIR/read-models.sqlite   the read models as SQLite tables (derived; see docs/SQLITE.md)
/// DIR/snapshots/    the decider's and the read models' state at some positions (derived; docs/FORMAT.md part 3)
/// ```
struct LedgerLayout {
    static let manifestText = "ledger-directory/1\ndomain: events-md/1\n"

    let directory: String
    var manifestPath: String { directory + "/LEDGER" }
    var logDirectory: String { directory + "/log" }
    /// The read models as SQLite tables, rebuilt from the log whenever needed.
    var sqlitePath: String { directory + "/read-models.sqlite" }

    /// Creates the layout in an empty or missing directory; opening an existing ledger
    /// with `create` is fine (it is simply opened), anything else in the way is an error.
    func create() throws {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw LedgerError.notALedger(directory: directory, reason: "a file of that name exists")
            }
            if files.fileExists(atPath: manifestPath) {
                try checkExists()
                return
            }
            let contents = try files.contentsOfDirectory(atPath: directory)
            guard contents.isEmpty else {
                throw LedgerError.notALedger(directory: directory, reason: "the directory is not empty and has no LEDGER manifest")
            }
        } else {
            do {
                try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw LedgerError.file(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
            }
        }
        do {
            try files.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            try Data(Self.manifestText.utf8).write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
        } catch {
            throw LedgerError.file(path: directory, reason: "cannot initialise the ledger: \(error.localizedDescription)")
        }
    }

    func checkExists() throws {
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw LedgerError.notALedger(directory: directory, reason: "no LEDGER manifest; create one with `ledger init`")
        }
        guard let text = String(data: data, encoding: .utf8), text.hasPrefix("ledger-directory/1\n") else {
            throw LedgerError.notALedger(directory: directory, reason: "unknown LEDGER manifest format")
        }
    }
}
