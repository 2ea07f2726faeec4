import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// What one snapshot file is worth against the log, for `ledger snapshots` and `ledger verify`.
public struct SnapshotStatus: Sendable {
    /// One section of the file.
    public struct Section: Sendable {
        public var name: String
        /// The version of the code that made it.
        public var version: UInt32
        /// This build's version of that code, nil for a kind this build does not know.
        public var currentVersion: UInt32?
        /// Bytes of its compressed frame.
        public var bytes: UInt64
        /// Whether this build uses it (same version).
        public var isCurrent: Bool { version == currentVersion }
    }

    public var path: String
    /// The position its name states.
    public var position: UInt64
    /// The header's fields, when it could be read.
    public var formatVersion: UInt32?
    public var latestAt: Timestamp?
    public var fileBytes: Int?
    public var sections: [Section] = []
    /// Why the file is unusable (damaged, not matching the log, or its contents differ from
    /// a replay of the log): nil when it checks out.
    public var problem: String?
    /// What this build does not use of a sound file (sections of other versions, missing ones).
    public var notes: [String] = []
    /// Whether a replay of the log through its position gave the same bytes for every
    /// section of this build's versions (only with `deep`; nil otherwise).
    public var matchesReplay: Bool?

    /// "ok", "ok, partly used: ..." or "bad: ...".
    public var summary: String {
        if let problem { return "bad: \(problem)" }
        return notes.isEmpty ? "ok" : "ok, partly used: " + notes.joined(separator: "; ")
    }
}

extension LedgerReader {
    /// Checks every snapshot file: header and section checksums, versions, the chain hash
    /// against the log at its position, and that each section of this build's version decodes.
    /// With `deep`, also replays the log from its start and compares, at each snapshot's
    /// position, the replay's state with every such section byte for byte: a snapshot is never
    /// trusted over the log. Newest first.
    public func snapshotStatuses(deep: Bool = false) throws -> [SnapshotStatus] {
        var catalog = try SnapshotCatalog(layout: LedgerLayout(directory: directory), reader: log, durableHead: nil)
        var statuses: [SnapshotStatus] = []
        var sound: [UInt64: (index: Int, sections: [SnapshotSectionKind: [UInt8]])] = [:]
        for entry in catalog.entries {
            var status = SnapshotStatus(path: entry.path, position: entry.position)
            if case .success(let header) = entry.header {
                status.formatVersion = header.formatVersion
                status.latestAt = header.latestAt.map(Timestamp.init(microseconds:))
                status.fileBytes = header.fileBytes
                status.sections = header.sections.map { section in
                    let known = Self.knownKinds.first { $0 == section.kind }
                    return SnapshotStatus.Section(
                        name: known?.name ?? section.kind.name, version: section.version,
                        currentVersion: known.flatMap(SnapshotVersions.current), bytes: section.length)
                }
            }
            switch catalog.checked(entry) {
            case .failure(let problem):
                status.problem = problem.description
            case .success(let header):
                var contents: [SnapshotSectionKind: [UInt8]] = [:]
                for kind in Self.knownKinds {
                    guard let section = header.section(kind) else {
                        status.notes.append("no \(kind) section")
                        continue
                    }
                    guard section.version == SnapshotVersions.current(kind) else {
                        status.notes.append("\(kind) version \(section.version), this build's is \(SnapshotVersions.current(kind)!): rebuilt from the log on use")
                        continue
                    }
                    switch header.content(of: kind).flatMap({ Self.checkDecodes(kind, $0, position: entry.position) }) {
                    case .success(let bytes): contents[kind] = bytes
                    case .failure(let problem): status.problem = status.problem ?? problem.description
                    }
                }
                if status.problem == nil { sound[entry.position] = (statuses.count, contents) }
            }
            statuses.append(status)
        }
        if deep && !sound.isEmpty {
            try compareWithReplay(&statuses, sound: sound)
        }
        return statuses
    }

    static let knownKinds: [SnapshotSectionKind] = [.decider, .balances, .readModels, .timeIndex]

    /// Decodes a section of this build's version, so that a file whose bytes are sound but
    /// whose contents are not (a bug, a crafted file) is reported.
    private static func checkDecodes(_ kind: SnapshotSectionKind, _ bytes: [UInt8], position: UInt64) -> Result<[UInt8], SnapshotFileProblem> {
        do {
            try bytes.withUnsafeBytes { content in
                switch kind {
                case .decider: _ = try DomainState(snapshotBytes: content)
                case .balances: _ = try BalanceFold(asOf: .end, lastPosition: position, balanceSnapshot: content)
                case .timeIndex:
                    let index = try TimeIndex(encoded: content)
                    guard index.lastPosition == position else {
                        throw SnapshotFileProblem(offset: 0, reason: "the time index ends at \(index.lastPosition), not at \(position)")
                    }
                default: break
                }
            }
            return .success(bytes)
        } catch {
            return .failure(.init(offset: 0, reason: "\(kind) section: \(error)"))
        }
    }

    /// Replays the log through the newest sound snapshot and compares the state at each sound
    /// snapshot's position with its sections.
    private func compareWithReplay(_ statuses: inout [SnapshotStatus], sound: [UInt64: (index: Int, sections: [SnapshotSectionKind: [UInt8]])]) throws {
        var state = DomainState()
        var models = ReadModels(asOf: .end, keepsHistories: false)
        // One replayed index per chunk size the snapshots' indexes use.
        var indexes: [UInt64: TimeIndex] = [:]
        for (_, sections) in sound.values {
            guard let bytes = sections[.timeIndex],
                  let index = try? bytes.withUnsafeBytes({ try TimeIndex(encoded: $0) }) else { continue }
            indexes[index.chunkEvents] = TimeIndex(chunkEvents: index.chunkEvents)
        }
        let last = sound.keys.max()!
        func compare(at position: UInt64) {
            guard let (statusIndex, sections) = sound[position] else { return }
            var differing: [String] = []
            var decider: [UInt8]? = nil
            var balances: [UInt8]? = nil
            var readModels: [UInt8]? = nil
            for (kind, bytes) in sections {
                let replayed: [UInt8]
                switch kind {
                case .decider:
                    decider = decider ?? state.snapshotBytes()
                    replayed = decider!
                case .balances:
                    balances = balances ?? models.balanceSnapshotBytes()
                    replayed = balances!
                case .readModels:
                    readModels = readModels ?? models.stateSnapshotBytes()
                    replayed = readModels!
                case .timeIndex:
                    let chunkEvents = (try? bytes.withUnsafeBytes { try TimeIndex(encoded: $0) })?.chunkEvents
                    replayed = chunkEvents.flatMap { indexes[$0]?.encoded() } ?? []
                default: continue
                }
                if replayed != bytes { differing.append(kind.name) }
            }
            statuses[statusIndex].matchesReplay = differing.isEmpty
            if !differing.isEmpty {
                statuses[statusIndex].problem = "its \(differing.sorted().joined(separator: ", ")) differ from a replay of the log through position \(position)"
            }
        }
        compare(at: 0)
        let names = NameCache()
        try log.forEach(from: 1, through: last, batchEnd: { head in compare(at: head.position) }) { view in
            let (event, effect) = try LedgerCodec.decode(view, names: names)
            LedgerCodec.apply(view, decoded: event, effect: effect, to: &state)
            models.fold(RecordedEvent(position: view.position, event: event, effect: effect))
            for chunkEvents in indexes.keys { indexes[chunkEvents]!.add(position: view.position, at: view.at) }
        }
    }
}
