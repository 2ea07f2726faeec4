import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// The sections the EVENTS.md domain pack writes into snapshot files (the container is the
/// engine's `SnapshotFile`, docs/FORMAT.md part 3), and the versions of the code that made them.
extension SnapshotSectionKind {
    /// Every worker balance (`ReadModels.balanceSnapshotBytes()`), read alone by balance queries.
    static let balances = SnapshotSectionKind(rawValue: 16, name: "balances")
    /// Every other read model but the history lists (`ReadModels.stateSnapshotBytes()`).
    static let readModels = SnapshotSectionKind(rawValue: 17, name: "read models")
}

enum SnapshotVersions {
    /// The rules and state layout of the decider: a change to what `DomainState` holds or
    /// means bumps it, so that old snapshots are skipped instead of misread.
    static let decider: UInt32 = 1
    /// The projectors' logic and state layout (balances and the other read models).
    static var readModels: UInt32 { ReadModels.snapshotStateVersion }
    static var timeIndex: UInt32 { TimeIndex.version }

    static func current(_ kind: SnapshotSectionKind) -> UInt32? {
        switch kind {
        case .decider: decider
        case .balances, .readModels: readModels
        case .timeIndex: timeIndex
        default: nil
        }
    }
}

extension LedgerLayout {
    /// `DIR/snapshots`: snapshot files (derived data, safe to delete).
    var snapshotsDirectory: String { directory + "/snapshots" }
}

/// The snapshot files of a ledger and what each is worth against the log.
struct SnapshotCatalog {
    /// One file named like a snapshot.
    struct Entry {
        var path: String
        /// The position its name states.
        var position: UInt64
        /// Its checked header, or why it is unusable as a whole.
        var header: Result<SnapshotHeader, SnapshotFileProblem>
    }

    let reader: LogReader
    let durableHead: LogHead
    /// Newest first.
    let entries: [Entry]
    private var chainHashes: [UInt64: [UInt8]?] = [:]

    /// Lists and reads the headers of the snapshot files of `layout`. Without `durableHead`
    /// (a reader beside a writer), the log's head is read after the listing, so that a
    /// snapshot the writer just took is not beyond it.
    init(layout: LedgerLayout, reader: LogReader, durableHead: LogHead?) throws {
        self.reader = reader
        let directory = layout.snapshotsDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        entries = names.compactMap { name -> Entry? in
            guard let position = SnapshotFile.position(ofName: name) else { return nil }
            let path = directory + "/" + name
            return Entry(path: path, position: position, header: SnapshotFile.readHeader(path: path))
        }.sorted { $0.position > $1.position }
        self.durableHead = try durableHead ?? reader.head()
    }

    /// The header of `entry` when it checks out against the log: framing, the name's position,
    /// at or before the durable head, and the chain hash the log stores at that position.
    mutating func checked(_ entry: Entry) -> Result<SnapshotHeader, SnapshotFileProblem> {
        let header: SnapshotHeader
        switch entry.header {
        case .success(let read): header = read
        case .failure(let problem): return .failure(problem)
        }
        guard header.head.position == entry.position else {
            return .failure(.init(offset: 8, reason: "the header says position \(header.head.position), the name \(entry.position)"))
        }
        guard entry.position <= durableHead.position else {
            return .failure(.init(offset: 8, reason: "position \(entry.position) is beyond the log's head \(durableHead.position)"))
        }
        let logHash: [UInt8]?
        do {
            logHash = try chainHash(at: entry.position)
        } catch {
            return .failure(.init(offset: 16, reason: "the log's chain hash at \(entry.position) cannot be read: \(error)"))
        }
        guard let logHash else {
            return .failure(.init(offset: 8, reason: "position \(entry.position) is not the end of a batch in the log"))
        }
        guard logHash == header.head.chainHash else {
            return .failure(.init(offset: 16, reason: "its chain hash differs from the log's at position \(entry.position)"))
        }
        return .success(header)
    }

    /// Whether `header` has `kinds`, each made by this build's version: nil when it has,
    /// else the reason (a section of another version means its projector changed and is
    /// rebuilt from the log).
    static func missing(_ kinds: [SnapshotSectionKind], in header: SnapshotHeader) -> String? {
        for kind in kinds {
            guard let section = header.section(kind) else {
                return "it has no \(kind) section (format \(header.formatVersion))"
            }
            let current = SnapshotVersions.current(kind)!
            guard section.version == current else {
                return "its \(kind) section was made by version \(section.version), this build's is \(current)"
            }
        }
        return nil
    }

    /// The chain hash the log stores for the batch ending at `position`, nil when no batch ends there.
    private mutating func chainHash(at position: UInt64) throws -> [UInt8]? {
        if position == 0 { return LogHead.empty.chainHash }
        if let known = chainHashes[position] { return known }
        var found: [UInt8]? = nil
        try reader.forEach(from: position, through: position, batchEnd: { head in
            if head.position == position { found = head.chainHash }
        }, { _ in })
        chainHashes[position] = found
        return found
    }
}

/// The decider state an open starts from: a snapshot's, or the empty one.
struct SnapshotStart {
    var state = DomainState()
    /// The last position `state` includes (0: none).
    var position: UInt64 = 0
    var warnings: [String] = []

    /// The newest snapshot in `layout` that checks out against the log, read through
    /// `reader`, at or before `durableHead`; each one skipped adds a warning.
    static func load(layout: LedgerLayout, reader: LogReader, durableHead: LogHead) throws -> SnapshotStart {
        var start = SnapshotStart()
        var catalog = try SnapshotCatalog(layout: layout, reader: reader, durableHead: durableHead)
        for entry in catalog.entries {
            switch decider(of: entry, catalog: &catalog) {
            case .success(let state):
                start.state = state
                start.position = entry.position
                return start
            case .failure(let problem):
                start.warnings.append("snapshot \(entry.path) skipped: \(problem)")
            }
        }
        return start
    }

    static func decider(of entry: SnapshotCatalog.Entry, catalog: inout SnapshotCatalog) -> Result<DomainState, SnapshotFileProblem> {
        let header: SnapshotHeader
        switch catalog.checked(entry) {
        case .success(let checked): header = checked
        case .failure(let problem): return .failure(problem)
        }
        if let missing = SnapshotCatalog.missing([.decider], in: header) {
            return .failure(.init(offset: 0, reason: missing))
        }
        let offset = Int(header.section(.decider)!.offset)
        switch header.content(of: .decider) {
        case .success(let bytes):
            do {
                return .success(try bytes.withUnsafeBytes { try DomainState(snapshotBytes: $0) })
            } catch {
                return .failure(.init(offset: offset, reason: "decider section: \(error)"))
            }
        case .failure(let problem):
            return .failure(problem)
        }
    }
}

/// What a snapshot is folded from: the state at `position` of everything a snapshot holds.
struct SnapshotFold {
    var position: UInt64
    var models: ReadModels
    var index: TimeIndex
    /// Folded from the log only when the snapshot's decider does not come from the writer's memory.
    var decider: DomainState
}

/// A snapshot that ``LedgerWriter/snapshot()`` wrote.
public struct SnapshotTaken: Sendable, Equatable {
    /// The durable head the state was taken at.
    public var head: LogHead
    /// The snapshot file.
    public var path: String
    /// The file's size in bytes (header, section table, compressed sections).
    public var fileBytes: Int
    /// The decider's state, uncompressed, in bytes.
    public var stateBytes: Int
    /// The read models' state (balances and the other read models), uncompressed, in bytes.
    public var readModelBytes: Int
    /// Where the read models were folded from: the previous snapshot's position (0: the log's start).
    public var readModelsFrom: UInt64
    /// Why the read models were folded from the log's start although older snapshots exist
    /// (damaged, or made by another version of the projectors); nil otherwise.
    public var rebuildReason: String?
    /// The snapshot files the retention policy removed.
    public var removed: [String]
}

extension LedgerWriter {
    /// Writes a snapshot at the durable head: the decider's state, and the read models folded
    /// from the newest snapshot that has them (or from the log's start) through the same head,
    /// with the time index of the log. Waits for staged events to become durable so that the
    /// state and the head agree (the durable head is always a batch end). The file is written
    /// atomically (temporary file, fsync, rename, directory fsync); then the retention policy
    /// (``LedgerOptions/snapshotRetention``) removes older files. Appends go on meanwhile: the
    /// lock is held only to copy the decider's state.
    @discardableResult
    public func snapshot() throws -> SnapshotTaken {
        var carried: SnapshotFold? = nil
        return try snapshot(continuing: &carried)
    }

    /// ``snapshot()``, continuing from `carried` (the fold of a snapshot just written) instead
    /// of reading the newest snapshot back.
    private func snapshot(continuing carried: inout SnapshotFold?) throws -> SnapshotTaken {
        var taken: (state: DomainState, head: LogHead)? = nil
        while taken == nil {
            let staged = lock.withLock { log.lastStagedPosition }
            try log.waitUntilDurable(through: staged)
            taken = lock.withLock {
                let head = log.durableHead
                // Appends that came in meanwhile are staged but not durable: try again.
                return head.position == log.lastStagedPosition ? (self.state, head) : nil
            }
        }
        let (state, head) = taken!
        return try writeSnapshot(through: head, decider: state, continuing: &carried)
    }

    /// Writes a snapshot at the end of the batch holding position `target` (at most the
    /// durable head), every section folded from the log: from the newest usable snapshot
    /// before it, or from the log's start. This is how an import that appended many intervals'
    /// worth of events at once still leaves a snapshot every ``LedgerOptions/snapshotEveryEvents``.
    @discardableResult
    func snapshotFromLog(atBatchEndOf target: UInt64, continuing carried: inout SnapshotFold?) throws -> SnapshotTaken {
        let reader = try LogReader(directory: LedgerLayout(directory: directory).logDirectory)
        var end: LogHead? = nil
        try reader.forEach(from: target, through: target, batchEnd: { end = $0 }, { _ in })
        guard let end, end.position <= log.durableHead.position else {
            preconditionFailure("a snapshot from the log is taken at a durable position, not \(target)")
        }
        return try writeSnapshot(through: end, decider: nil, continuing: &carried)
    }

    /// Folds the read models, the time index and (without `decider`) the decider's state from
    /// `carried` or else the newest usable snapshot at or before `head`, through `head`, and
    /// writes the file; `carried` becomes the fold at `head`.
    private func writeSnapshot(through head: LogHead, decider: DomainState?, continuing carried: inout SnapshotFold?) throws -> SnapshotTaken {
        let layout = LedgerLayout(directory: directory)
        let reader = try LogReader(directory: layout.logDirectory)
        var fold: SnapshotFold
        var rebuildReason: String? = nil
        if let previous = carried, previous.position <= head.position {
            fold = previous
        } else {
            let sections: [SnapshotSectionKind] = [.balances, .readModels, .timeIndex] + (decider == nil ? [.decider] : [])
            let projection = try ProjectionStart.find(
                layout: layout, reader: reader, durableHead: log.durableHead, target: .position(head.position),
                foldingAsOf: .end, sections: sections)
            fold = SnapshotFold(
                position: projection.position,
                models: projection.models ?? ReadModels(asOf: .end, keepsHistories: false),
                index: projection.timeIndex ?? TimeIndex(chunkEvents: timeIndexChunkEvents),
                decider: projection.decider ?? DomainState())
            rebuildReason = projection.rebuildReason
        }
        carried = nil
        let foldedFrom = fold.position
        var models = fold.models
        var index = fold.index
        var state = fold.decider
        let names = NameCache()
        // Half of the read models fold on the second core when the fold is long (`TwoThreadFold`).
        var second = TwoThreadFold(startingFrom: models,
                                   secondThread: head.position - fold.position >= LedgerReader.defaultTwoThreadFoldMinimumEvents)
        try reader.forEach(from: fold.position + 1, through: head.position) { view in
            let (event, effect) = try LedgerCodec.decode(view, names: names)
            if decider == nil { LedgerCodec.apply(view, decoded: event, effect: effect, to: &state) }
            let recorded = RecordedEvent(position: view.position, event: event, effect: effect)
            models.fold(recorded, parts: second.callerParts)
            second.hand(recorded)
            index.add(position: view.position, at: view.at)
        }
        models = second.merged(with: models)
        precondition(index.lastPosition == head.position, "the time index covers the log through the snapshot's head")
        if let decider { state = decider }
        // The read models' bytes (the largest part) here, the decider's and the balances' on
        // the second core meanwhile: the models are values, read by both and written by none.
        let (readModelBytes, (stateBytes, balanceBytes)) = inParallel(
            { models.stateSnapshotBytes() }, { [state, models] in (state.snapshotBytes(), models.balanceSnapshotBytes()) })
        let bytes = try SnapshotFile.encode(
            head: head, latestAt: index.latestAt ?? .min,
            sections: [
                SnapshotSection(kind: .decider, version: SnapshotVersions.decider, content: stateBytes),
                SnapshotSection(kind: .balances, version: SnapshotVersions.readModels, content: balanceBytes),
                SnapshotSection(kind: .readModels, version: SnapshotVersions.readModels, content: readModelBytes),
                SnapshotSection(kind: .timeIndex, version: SnapshotVersions.timeIndex, content: index.encoded()),
            ])
        let name = SnapshotFile.name(position: head.position)
        do {
            try SnapshotFileWriter.writeAtomically(bytes, directory: layout.snapshotsDirectory, name: name)
        } catch let error as SnapshotWriteError {
            throw LedgerError.file(path: error.path, reason: error.reason)
        }
        let removed = Self.applyRetention(retention, in: layout.snapshotsDirectory)
        lock.withLock { newestSnapshotPosition = max(newestSnapshotPosition, head.position) }
        carried = SnapshotFold(position: head.position, models: models, index: index, decider: state)
        return SnapshotTaken(
            head: head, path: layout.snapshotsDirectory + "/" + name, fileBytes: bytes.count,
            stateBytes: stateBytes.count, readModelBytes: balanceBytes.count + readModelBytes.count,
            readModelsFrom: foldedFrom, rebuildReason: rebuildReason, removed: removed)
    }

    /// Removes what `retention` does not keep; returns the removed file names.
    static func applyRetention(_ retention: SnapshotRetention, in directory: String) -> [String] {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        retention.apply(in: directory) { path in
            guard case .success(let header) = SnapshotFile.readHeader(path: path) else { return nil }
            return .some(header.latestAt.map { Int64(Timestamp(microseconds: $0).period.ordinal) })
        }
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        return before.subtracting(after).filter { SnapshotFile.position(ofName: $0) != nil }.sorted()
    }

    /// Takes a snapshot when ``LedgerOptions/snapshotEveryEvents`` events were appended
    /// since the newest one; called after events became durable. When two intervals or more
    /// went by at once (a large import), the intervals before the last are snapshotted from
    /// the log, one every interval, so that as-of queries anywhere in them start near their
    /// target. One at a time: an appender that finds one running goes on (the next append
    /// checks again). `durablePosition` is a position the caller saw become durable (the
    /// durable head is at least there), so the common case takes no lock of the log.
    func snapshotIfDue(durableThrough durablePosition: UInt64) throws {
        guard snapshotEveryEvents > 0 else { return }
        let due: Bool = lock.withLock {
            guard !automaticSnapshotRunning,
                  durablePosition >= newestSnapshotPosition + snapshotEveryEvents else { return false }
            automaticSnapshotRunning = true
            return true
        }
        guard due else { return }
        defer { lock.withLock { automaticSnapshotRunning = false } }
        var carried: SnapshotFold? = nil
        while true {
            let (newest, head) = lock.withLock { (newestSnapshotPosition, log.durableHead.position) }
            guard head > newest + snapshotEveryEvents else { break }
            try snapshotFromLog(atBatchEndOf: newest + snapshotEveryEvents, continuing: &carried)
        }
        // One at the head too (the next open replays nothing), unless the last interval's
        // batch ended there.
        guard lock.withLock({ log.lastStagedPosition > newestSnapshotPosition }) else { return }
        try snapshot(continuing: &carried)
    }
}

/// Runs `first` on the calling thread and `second` on another one at the same time; returns
/// both results once both are done.
func inParallel<First, Second: Sendable>(_ first: () throws -> First, _ second: @escaping @Sendable () -> Second) rethrows -> (First, Second) {
    let box = ParallelResult<Second>()
    let done = DispatchGroup()
    done.enter()
    DispatchQueue.global().async {
        box.value = second()
        done.leave()
    }
    let firstValue: First
    do {
        firstValue = try first()
    } catch {
        done.wait()
        throw error
    }
    done.wait()
    return (firstValue, box.value!)
}

/// The result of `inParallel`'s second closure: written by its thread, read after waiting for it.
private final class ParallelResult<Value>: @unchecked Sendable {
    var value: Value?
}
