import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// Where a fold of the read models started and what it read: the answer to "did this query
/// use a snapshot, and which".
public struct FoldReport: Sendable, Equatable {
    /// The position of the snapshot the fold started from (0: the log's start).
    public var snapshotPosition: UInt64 = 0
    /// The snapshot file it started from, nil for a fold from the log's start.
    public var snapshotPath: String? = nil
    /// Events read from the log after the snapshot (folded or skipped by the as-of filter).
    public var eventsRead: UInt64 = 0
    /// Snapshots that could have been used but were not, one line each (damaged, not matching
    /// the log, or made by another version of the projectors, which are then rebuilt from the
    /// log or an older snapshot).
    public var warnings: [String] = []

    public init() {}
}

/// The read models a fold starts from: a snapshot's, or none.
struct ProjectionStart {
    var position: UInt64 = 0
    var path: String? = nil
    /// The read models at `position` when `.readModels` was asked for.
    var models: ReadModels? = nil
    /// The balances at `position` when only `.balances` was asked for.
    var balances: BalanceFold? = nil
    /// The decider's state at `position` when `.decider` was asked for.
    var decider: DomainState? = nil
    /// For a time target, the time index of the newest usable snapshot (not necessarily the
    /// starting one); when `.timeIndex` is asked for, the starting snapshot's.
    var timeIndex: TimeIndex? = nil
    var warnings: [String] = []
    /// The log's head the catalog was checked against.
    var head: LogHead = .empty

    /// Why the read models were not started from the newest snapshot, nil when they were (or
    /// when there was none).
    var rebuildReason: String? { warnings.isEmpty ? nil : warnings.joined(separator: "; ") }

    /// Finds the newest snapshot usable for `target` with every section of `sections` made by
    /// this build: at or before the position of `.position(P)`; for `.time(T)`, one whose
    /// events all have `at` <= T. Each one that would have served but does not check out adds
    /// a warning; a snapshot after the target is simply not a candidate.
    /// The loaded models fold as of `foldingAsOf` (default: the target), e.g. `.end` for a
    /// snapshot being written at a position.
    static func find(layout: LedgerLayout, reader: LogReader, durableHead: LogHead?, target: AsOf,
                     foldingAsOf: AsOf? = nil, sections: [SnapshotSectionKind],
                     balanceScope: BalanceScope? = nil) throws -> ProjectionStart {
        var catalog = try SnapshotCatalog(layout: layout, reader: reader, durableHead: durableHead)
        var start = ProjectionStart(head: catalog.durableHead)
        var candidates = catalog.entries
        if case .time = target { start.timeIndex = newestTimeIndex(&catalog) }
        candidates.removeAll { entry in
            if case .position(let last) = target, entry.position > last { return true }
            if case .time(let time) = target, case .success(let header) = entry.header {
                guard let latestAt = header.latestAt, latestAt <= time.microseconds else { return true }
            }
            return false
        }
        for entry in candidates {
            switch load(entry, catalog: &catalog, target: foldingAsOf ?? target, sections: sections, balanceScope: balanceScope) {
            case .success(let loaded):
                loaded.models.map { start.models = $0 }
                loaded.balances.map { start.balances = $0 }
                loaded.decider.map { start.decider = $0 }
                start.position = entry.position
                start.path = entry.path
                // A fold that extends the index starts from the one that ends where the state does.
                if sections.contains(.timeIndex) { start.timeIndex = loaded.timeIndex }
                return start
            case .failure(let problem):
                start.warnings.append("snapshot \(entry.path) not used for the read models: \(problem); they are folded from an older snapshot or the log")
            }
        }
        return start
    }

    private static func load(_ entry: SnapshotCatalog.Entry, catalog: inout SnapshotCatalog, target: AsOf,
                             sections: [SnapshotSectionKind], balanceScope: BalanceScope?) -> Result<(models: ReadModels?, balances: BalanceFold?, timeIndex: TimeIndex?, decider: DomainState?), SnapshotFileProblem> {
        let header: SnapshotHeader
        switch catalog.checked(entry) {
        case .success(let checked): header = checked
        case .failure(let problem): return .failure(problem)
        }
        if let missing = SnapshotCatalog.missing(sections, in: header) {
            return .failure(.init(offset: 0, reason: missing))
        }
        do {
            let balanceBytes = try header.content(of: .balances).get()
            var models: ReadModels? = nil
            var balances: BalanceFold? = nil
            var index: TimeIndex? = nil
            if sections.contains(.readModels) {
                let stateBytes = try header.content(of: .readModels).get()
                models = try decoding(header, .readModels) {
                    try balanceBytes.withUnsafeBytes { balance in
                        try stateBytes.withUnsafeBytes { state in
                            try ReadModels(asOf: target, lastPosition: entry.position, balanceSnapshot: balance, stateSnapshot: state)
                        }
                    }
                }
            } else {
                balances = try decoding(header, .balances) {
                    try balanceBytes.withUnsafeBytes { try BalanceFold(asOf: target, lastPosition: entry.position, balanceSnapshot: $0, scope: balanceScope) }
                }
            }
            if sections.contains(.timeIndex) {
                let indexBytes = try header.content(of: .timeIndex).get()
                index = try decoding(header, .timeIndex) { try indexBytes.withUnsafeBytes { try TimeIndex(encoded: $0) } }
                guard index!.lastPosition == entry.position else {
                    return .failure(.init(offset: Int(header.section(.timeIndex)!.offset), reason: "its time index ends at \(index!.lastPosition), not at its position"))
                }
            }
            var decider: DomainState? = nil
            if sections.contains(.decider) {
                let deciderBytes = try header.content(of: .decider).get()
                decider = try decoding(header, .decider) { try deciderBytes.withUnsafeBytes { try DomainState(snapshotBytes: $0) } }
            }
            return .success((models, balances, index, decider))
        } catch let problem as SnapshotFileProblem {
            return .failure(problem)
        } catch {
            return .failure(.init(offset: 0, reason: "\(error)"))
        }
    }

    /// Runs a section decoder, turning its error into a problem at the section's offset.
    private static func decoding<Value>(_ header: SnapshotHeader, _ kind: SnapshotSectionKind, _ body: () throws -> Value) throws(SnapshotFileProblem) -> Value {
        do {
            return try body()
        } catch {
            throw SnapshotFileProblem(offset: Int(header.section(kind)?.offset ?? 0), reason: "\(kind) section: \(error)")
        }
    }

    /// The time index of the newest snapshot that checks out and has one of this build's version.
    private static func newestTimeIndex(_ catalog: inout SnapshotCatalog) -> TimeIndex? {
        for entry in catalog.entries {
            guard case .success(let header) = catalog.checked(entry),
                  SnapshotCatalog.missing([.timeIndex], in: header) == nil,
                  case .success(let bytes) = header.content(of: .timeIndex),
                  let index = try? bytes.withUnsafeBytes({ try TimeIndex(encoded: $0) }),
                  index.lastPosition == entry.position
            else { continue }
            return index
        }
        return nil
    }

    /// The position ranges a fold from this start must read to reach `target`: everything
    /// after the start, except that for a time T the chunks of the time index whose events are
    /// all after T are left out. Positions after the index are always read.
    func ranges(for target: AsOf) -> [ClosedRange<UInt64>] {
        var through = head.position
        if case .position(let last) = target { through = min(through, last) }
        let from = position + 1
        guard from <= through else { return [] }
        guard case .time(let time) = target, let index = timeIndex, index.lastPosition >= from else {
            return [from...through]
        }
        var ranges = index.ranges(atOrBefore: time.microseconds, from: from, through: through)
        let tailFrom = max(from, index.lastPosition + 1)
        if tailFrom <= through {
            if let last = ranges.last, last.upperBound + 1 == tailFrom {
                ranges[ranges.count - 1] = last.lowerBound...through
            } else {
                ranges.append(tailFrom...through)
            }
        }
        return ranges
    }
}

extension LedgerReader {
    /// Every read model as of `asOf`.
    ///
    /// Without histories (`includeHistories: false`), the fold starts from the newest snapshot
    /// at or before the target that checks out against the log (for a time T: one whose events
    /// all have `at` <= T) and reads only the events after it (for a time, only the parts of the
    /// log that hold events of before T); the audit trail, the orders' histories and the
    /// journal's transfers are then empty. With histories (the default), those lists, which are
    /// filtered copies of the log, are folded from the log's start.
    /// ``lastFold`` tells where the fold started and what was skipped.
    public func readModels(asOf: AsOf = .end, includeHistories: Bool = true) throws -> ReadModels {
        var report = FoldReport()
        defer { lastFold = report }
        guard !includeHistories, usesSnapshots else {
            var through = try log.head().position
            if case .position(let position) = asOf { through = min(through, position) }
            return try fold(ranges: through >= 1 ? [1...through] : [],
                            into: ReadModels(asOf: asOf, keepsHistories: includeHistories), report: &report)
        }
        let start = try ProjectionStart.find(
            layout: LedgerLayout(directory: directory), reader: log, durableHead: nil, target: asOf,
            sections: [.balances, .readModels])
        report.snapshotPosition = start.position
        report.snapshotPath = start.path
        report.warnings = start.warnings
        return try fold(ranges: start.ranges(for: asOf), into: start.models ?? ReadModels(asOf: asOf, keepsHistories: false),
                        report: &report)
    }

    /// Folds the events of `ranges` into `models`: on two threads (``TwoThreadFold``) when
    /// there are at least ``twoThreadFoldMinimumEvents`` of them, else on this one. Both give
    /// the same read models.
    private func fold(ranges: [ClosedRange<UInt64>], into models: ReadModels, report: inout FoldReport) throws -> ReadModels {
        let events = ranges.reduce(UInt64(0)) { $0 + ($1.upperBound - $1.lowerBound + 1) }
        var models = models
        // The second thread, if any, folds its parts of the events handed to it; dropping
        // `second` on an error stops it.
        var second = TwoThreadFold(startingFrom: models, secondThread: events >= twoThreadFoldMinimumEvents)
        let names = NameCache()
        for range in ranges {
            try log.forEach(from: range.lowerBound, through: range.upperBound) { view in
                report.eventsRead += 1
                let (event, effect) = try LedgerCodec.decode(view, names: names)
                let recorded = RecordedEvent(position: view.position, event: event, effect: effect)
                models.fold(recorded, parts: second.callerParts)
                second.hand(recorded)
            }
        }
        return second.merged(with: models)
    }

    /// Worker balances only, the fast path: from the newest usable snapshot's balances (as
    /// ``readModels(asOf:includeHistories:)`` chooses it), then each later record's money
    /// fields are read straight from its payload bytes (no `Event` is built), and only money
    /// events touch the fold. Returns the fold and the number of events read from the log.
    /// With `scope` (one tenant, or one worker), only those balances are loaded and folded.
    /// A range of at least ``twoThreadFoldMinimumEvents`` events is read ahead on a second
    /// thread (reading and decompressing batches while this one decodes and folds them).
    public func balances(asOf: AsOf = .end, scope: BalanceScope? = nil) throws -> (balances: BalanceFold, events: UInt64) {
        var report = FoldReport()
        defer { lastFold = report }
        var fold = BalanceFold(asOf: asOf, scope: scope)
        var ranges: [ClosedRange<UInt64>]
        if usesSnapshots {
            let start = try ProjectionStart.find(
                layout: LedgerLayout(directory: directory), reader: log, durableHead: nil, target: asOf,
                sections: [.balances], balanceScope: scope)
            report.snapshotPosition = start.position
            report.snapshotPath = start.path
            report.warnings = start.warnings
            if let balances = start.balances { fold = balances }
            ranges = start.ranges(for: asOf)
        } else {
            var through = UInt64.max
            if case .position(let position) = asOf { through = position }
            ranges = [1...max(through, 1)]
        }
        let headPosition = try log.head().position
        var events: UInt64 = 0
        defer { report.eventsRead = events }
        for range in ranges {
            // Long ranges read ahead: zstd on a second thread while this one decodes and folds.
            let readingAhead = min(range.upperBound, headPosition) >= range.lowerBound
                && min(range.upperBound, headPosition) - range.lowerBound + 1 >= twoThreadFoldMinimumEvents
            // Batch by batch, the record loop inlined here: no call through a closure per record.
            try log.forEachBatch(from: range.lowerBound, through: range.upperBound, readingAhead: readingAhead) { batch in
                try batch.forEach(from: range.lowerBound, through: range.upperBound) { view in
                    events += 1
                    try fold.fold(type: view.type, payload: view.payload, tenant: view.tenant, position: view.position, at: view.at)
                }
            }
        }
        return (fold, events)
    }
}
