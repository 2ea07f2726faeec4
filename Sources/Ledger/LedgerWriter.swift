import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// The writing side of a ledger directory: holds the directory's writer lock, the
/// decider state, and appends events through the rules of EVENTS.md.
///
/// ```swift
/// let ledger = try LedgerWriter.open(directory: "books", create: true)
/// let outcome = try ledger.append(line: Array(#"{"id":"e-1","tenant":"acme",...}"#.utf8))
/// ```
///
/// Every offered event gets exactly one ``AppendOutcome``: checked `invalid` first,
/// then `duplicate` / `conflict` against the `tenant`+`id` index, then the business
/// rules. An appended event is durable (fdatasync) before `append` returns; concurrent
/// appenders share one sync. Nothing refused is ever written.
///
/// If writing to disk fails, the writer is poisoned: every later call throws and the
/// directory must be opened again (which recovers what was acknowledged).
public final class LedgerWriter: @unchecked Sendable {
    /// The directory holding the ledger.
    public let directory: String
    let log: LogWriter
    /// Guards `state` and the order of staging; never held while waiting for a sync.
    let lock = NSLock()
    var state: DomainState
    /// ``importStagingBytesMaxDefault``, lowered by tests to exercise many parts.
    var importStagingBytesMax = LedgerWriter.importStagingBytesMaxDefault
    /// Scratch buffer for payload encoding, reused under `lock` (which keeps accesses
    /// exclusive, so they skip Swift's dynamic checks, made on every event's encoding otherwise).
    @exclusivity(unchecked) var payloadScratch: [UInt8] = []
    /// Snapshots that `open` skipped (damaged, of another version, or not matching the
    /// log's chain hash), one line each; empty when the newest one was used or there was none.
    public let snapshotWarnings: [String]
    /// The position of the snapshot `open` started from (0: a full replay).
    public let snapshotPosition: UInt64
    /// ``LedgerOptions/snapshotEveryEvents`` of the open (0: no automatic snapshots).
    let snapshotEveryEvents: UInt64
    /// ``LedgerOptions/snapshotRetention`` of the open.
    let retention: SnapshotRetention
    /// ``LedgerOptions/snapshotTimeIndexChunkEvents`` of the open.
    let timeIndexChunkEvents: UInt64
    /// The position of the newest snapshot this writer started from or took; guarded by `lock`.
    var newestSnapshotPosition: UInt64
    /// True while an automatic snapshot is being written, so that concurrent appenders do not
    /// start a second one; guarded by `lock`.
    var automaticSnapshotRunning = false

    init(directory: String, log: LogWriter, state: DomainState, snapshotPosition: UInt64 = 0, snapshotWarnings: [String] = [],
         snapshotEveryEvents: UInt64 = 0, retention: SnapshotRetention = SnapshotRetention(),
         timeIndexChunkEvents: UInt64 = TimeIndex.chunkEventsDefault) {
        self.snapshotEveryEvents = snapshotEveryEvents
        self.retention = retention
        self.timeIndexChunkEvents = timeIndexChunkEvents
        self.newestSnapshotPosition = snapshotPosition
        self.directory = directory
        self.log = log
        self.state = state
        self.snapshotPosition = snapshotPosition
        self.snapshotWarnings = snapshotWarnings
    }

    /// Opens (or with `create`, creates) the ledger in `directory`, takes the writer
    /// lock, cuts a torn tail left by a crash, and rebuilds the decider's state: from the
    /// newest snapshot that checks out against the log (see ``snapshot()``) plus the log's
    /// tail after it, else from the whole log.
    public static func open(directory: String, create: Bool = false, options: LedgerOptions = .init()) throws -> LedgerWriter {
        let layout = LedgerLayout(directory: directory)
        if create {
            try layout.create()
        } else {
            try layout.checkExists()
        }
        let log = try LogWriter.open(directory: layout.logDirectory, options: options.log, create: create)
        let reader = try LogReader(directory: layout.logDirectory)
        let start = try SnapshotStart.load(layout: layout, reader: reader, durableHead: log.durableHead)
        var state = start.state
        let names = NameCache()
        // A long tail is read ahead: zstd on a second thread while this one decodes and applies.
        let tail = log.durableHead.position - min(start.position, log.durableHead.position)
        try reader.forEach(from: start.position + 1, through: log.durableHead.position,
                           readingAhead: tail >= LedgerReader.defaultTwoThreadFoldMinimumEvents) { view in
            let (event, effect) = try LedgerCodec.decode(view, names: names)
            LedgerCodec.apply(view, decoded: event, effect: effect, to: &state)
        }
        return LedgerWriter(directory: directory, log: log, state: state, snapshotPosition: start.position,
                            snapshotWarnings: start.warnings, snapshotEveryEvents: options.snapshotEveryEvents,
                            retention: options.snapshotRetention, timeIndexChunkEvents: options.snapshotTimeIndexChunkEvents)
    }

    /// What opening cut from a torn tail, if anything.
    public var recovery: RecoveryReport? { log.recovery }

    /// The position of the last durable event (0 for an empty ledger).
    public var head: LogHead { log.durableHead }

    /// Group commit so far: flushes made durable (one fdatasync each), the wall-clock
    /// nanoseconds spent in them, and the part of those spent in fdatasync, since open.
    public var commitStatistics: (syncs: UInt64, flushingNanoseconds: UInt64, syncingNanoseconds: UInt64) {
        (log.syncCount, log.flushingNanoseconds, log.syncingNanoseconds)
    }

    /// Releases the writer lock. The writer must not be used afterwards.
    public func close() { log.close() }

    /// Appends one JSON line (EVENTS.md section 1). Returns once an appended event is durable.
    ///
    /// - Parameter expectedHead: when set, the append is made only if the last position
    ///   in the log is still this one; otherwise ``LedgerError/staleHead(expected:actual:)``
    ///   is thrown and nothing is written.
    public func append(line: [UInt8], expectedHead: UInt64? = nil) throws -> AppendOutcome {
        let outcome = try stage(line: line, expectedHead: expectedHead)
        if case .appended(let position) = outcome {
            try log.waitUntilDurable(through: position)
            try snapshotIfDue(durableThrough: position)
        }
        return outcome
    }

    /// Appends one typed event. Returns once an appended event is durable.
    public func append(_ event: Event, expectedHead: UInt64? = nil) throws -> AppendOutcome {
        let outcome = try event.withEncoded { try stage($0, expectedHead: expectedHead) }
        if case .appended(let position) = outcome {
            try log.waitUntilDurable(through: position)
            try snapshotIfDue(durableThrough: position)
        }
        return outcome
    }

    /// Appends one JSON line from async code: as ``append(line:expectedHead:)``, but the wait
    /// for durability suspends the task instead of blocking its thread (see
    /// ``append(_:expectedHead:)-async``).
    public func append(line: [UInt8], expectedHead: UInt64? = nil) async throws -> AppendOutcome {
        let outcome = try stage(line: line, expectedHead: expectedHead)
        if case .appended(let position) = outcome {
            try await log.waitUntilDurable(through: position)
            try snapshotIfDue(durableThrough: position)
        }
        return outcome
    }

    /// Appends one typed event from async code. The event is judged and staged at once
    /// (microseconds, under the writer's lock); the task then suspends until the event is
    /// durable, without holding a thread of the cooperative pool through the fdatasync:
    /// a thread of the writer's own makes the flushes, and concurrent tasks share them
    /// (group commit, as threads do). Same outcomes and errors as the blocking `append`.
    /// When an automatic snapshot is due, the task that finds it due writes it before
    /// returning (seconds, once per ``LedgerOptions/snapshotEveryEvents``).
    public func append(_ event: Event, expectedHead: UInt64? = nil) async throws -> AppendOutcome {
        let outcome = try event.withEncoded { try stage($0, expectedHead: expectedHead) }
        if case .appended(let position) = outcome {
            try await log.waitUntilDurable(through: position)
            try snapshotIfDue(durableThrough: position)
        }
        return outcome
    }

    /// Parses one line, then judges its event and stages it if accepted (phase 1 of `append`).
    private func stage(line: [UInt8], expectedHead: UInt64?) throws -> AppendOutcome {
        let arena = ByteArena(capacity: line.count + 64)
        let parsed = line.withUnsafeBytes { EventLineParser.encode($0, workspace: EventLineWorkspace(), into: arena) }
        switch parsed {
        case .failure(let refusal):
            return .refused(refusal)
        case .success(let layout):
            return try arena.withUnsafeBytes { arena in try stage(layout.event(in: arena), expectedHead: expectedHead) }
        }
    }

    /// Judges one event and stages it if accepted (phase 1 of `append`).
    private func stage(_ event: EncodedEvent, expectedHead: UInt64?) throws -> AppendOutcome {
        let hash = log.identityHasher.hash(tenant: event.tenant, id: event.id)
        return try lock.withLock {
            if let expectedHead, expectedHead != log.lastStagedPosition {
                throw LedgerError.staleHead(expected: expectedHead, actual: log.lastStagedPosition)
            }
            return try stageLocked(event, hash: hash)
        }
    }

    /// Appends a batch of typed events in order, all with one durable sync at the end (one
    /// per 64 MiB of records for a larger batch). Returns each event's outcome; refused events
    /// are skipped, the others appended. The whole batch is judged and encoded before anything
    /// is staged, so an error (an id longer than the log's limit, say) appends none of it.
    public func append(contentsOf events: [Event]) throws -> [AppendOutcome] {
        let outcomes: [AppendOutcome] = try lock.withLock {
            var trial = state
            let pending = log.makePendingRecords()
            var ownIds = PendingIdentities(capacityFor: events.count)
            var outcomes: [AppendOutcome] = []
            outcomes.reserveCapacity(events.count)
            for event in events {
                try event.withEncoded { event in
                    let hash = log.identityHasher.hash(tenant: event.tenant, id: event.id)
                    outcomes.append(try judgePending(event, hash: hash, state: &trial, pending: pending, overlay: &ownIds))
                }
            }
            try stagePendingLocked(pending)
            state = trial
            return outcomes
        }
        let last = log.lastStagedPosition
        try log.waitUntilDurable(through: last)
        try snapshotIfDue(durableThrough: last)
        return outcomes
    }

    /// Judges and, if accepted, stages one event; `hash` is the identity hash of its
    /// tenant+id (the log's `identityHasher`). Caller holds `lock`.
    func stageLocked(_ event: EncodedEvent, hash: UInt64) throws -> AppendOutcome {
        if let existing = try log.position(tenant: event.tenant, id: event.id, hash: hash) {
            let (stored, _) = try LedgerCodec.decode(try log.record(at: existing))
            return LedgerCodec.sameIdOutcome(event.event(), stored: stored, position: existing)
        }
        // The payload is the effect, then the fields the parser encoded: two pieces, not joined.
        let judged = try state.decideAndApply(event, effect: &payloadScratch) { effect in
            try log.stage(tenant: event.tenant, id: event.id, hash: hash, type: UInt16(event.type.rawValue),
                          at: event.at.microseconds, actor: event.actor, payload: effect, payloadTail: event.fields)
        }
        switch judged {
        case .failure(let refusal): return .refused(refusal)
        case .success(let position): return .appended(position: position)
        }
    }

}

/// Errors of the ledger facade (I/O and format errors of the log are ``LogError``).
public enum LedgerError: Error, CustomStringConvertible, Equatable {
    /// A conditional append found the log's head elsewhere; nothing was written.
    case staleHead(expected: UInt64, actual: UInt64)
    /// The directory holds no ledger (or not one this version can read).
    case notALedger(directory: String, reason: String)
    /// A file that was asked for could not be read or written.
    case file(path: String, reason: String)
    /// A line of an import could not even be read (for example invalid UTF-8 is an
    /// `invalid` refusal instead; this is for I/O failures).
    case input(String)

    public var description: String {
        switch self {
        case .staleHead(let expected, let actual):
            "conditional append refused: expected head \(expected), but the log's head is \(actual); nothing written"
        case .notALedger(let directory, let reason):
            "\(directory): not a ledger directory (\(reason))"
        case .file(let path, let reason):
            "\(path): \(reason)"
        case .input(let message):
            message
        }
    }
}
