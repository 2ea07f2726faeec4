import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog

/// Opening from a snapshot plus the log's tail gives the decider exactly the state a full
/// replay gives; damaged or foreign snapshots are skipped with a warning, never trusted.
@Suite struct SnapshotTests {
    /// A generated history as lines (each with its `\n`), valid and invalid mixed.
    static func lines(events: Int, seed: UInt64) -> [[UInt8]] {
        let (bytes, _) = GeneratedHistoryTests.history(events: events, seed: seed, invalidRate: 0.1, tenants: 3)
        return bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).filter { !$0.isEmpty }
            .map { Array($0) + [UInt8(ascii: "\n")] }
    }

    static func importLines(_ lines: ArraySlice<[UInt8]>, into writer: LedgerWriter) throws {
        let bytes = lines.flatMap { $0 }
        _ = try bytes.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused) }
    }

    /// The decider's state of a full replay of the ledger at `path` (snapshots not involved).
    static func fullReplayState(_ path: String) throws -> DomainState {
        var state = DomainState()
        try LedgerReader(directory: path).forEachEvent { recorded in state.apply(recorded.event, effect: recorded.effect) }
        return state
    }

    /// Same bytes, and the same decision for every event of `later`, applied to both as decided.
    static func expectSameDecider(_ actual: DomainState, _ expected: DomainState, later: [[UInt8]], _ context: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        // Compared as one Bool: a failing #expect would print both byte arrays in full.
        let sameBytes = actual.snapshotBytes() == expected.snapshotBytes()
        #expect(sameBytes, "\(context): states differ", sourceLocation: sourceLocation)
        var actual = actual
        var expected = expected
        var decided = 0
        for line in later {
            guard case .success(let event) = EventLineParser.parse(Array(line.dropLast())) else { continue }
            let expectedOutcome = expected.decide(event)
            let actualOutcome = actual.decide(event)
            guard expectedOutcome == actualOutcome else {
                Issue.record("\(context): \(event.type.name) \(event.id): \(actualOutcome), full replay \(expectedOutcome)",
                             sourceLocation: sourceLocation)
                return
            }
            if case .success(let effect) = expectedOutcome {
                expected.apply(event, effect: effect)
                actual.apply(event, effect: effect)
            }
            decided += 1
        }
        #expect(decided > 0, "\(context): nothing decided after the snapshot", sourceLocation: sourceLocation)
    }

    static func snapshotPaths(_ path: String) throws -> [String] {
        let directory = LedgerLayout(directory: path).snapshotsDirectory
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".bin") }.sorted()
            .map { directory + "/" + $0 }
    }

    @Test(arguments: [UInt64(41), 42])
    func snapshotPlusTailEqualsAFullReplayAtRandomPositions(seed: UInt64) throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let lines = Self.lines(events: 3_000, seed: seed)
        let later = Array(lines[2_500...])
        var random = SystemRandomNumberGenerator()
        // Random cuts: a snapshot after the first part of each round, then a tail, then a reopen.
        let cuts = ([0, 2_500] + (0..<7).map { _ in Int.random(in: 1..<2_500, using: &random) }).sorted()
        let (path, firstWriter) = try TestSupport.newLedger(in: parent)
        var writer = firstWriter
        var rounds = 0
        for round in stride(from: 0, to: cuts.count - 2, by: 2) {
            try Self.importLines(lines[cuts[round]..<cuts[round + 1]], into: writer)
            let taken = try writer.snapshot().head
            #expect(taken == writer.head)
            try Self.importLines(lines[cuts[round + 1]..<cuts[round + 2]], into: writer)
            let headBefore = writer.head
            let stateBefore = writer.state
            writer.close()
            writer = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
            let context = "seed \(seed), snapshot at \(taken.position), head \(headBefore.position)"
            #expect(writer.snapshotWarnings.isEmpty, "\(context): \(writer.snapshotWarnings)")
            #expect(writer.snapshotPosition == taken.position, "\(context)")
            #expect(writer.head == headBefore)
            let full = try Self.fullReplayState(path)
            Self.expectSameDecider(writer.state, full, later: later, context)
            Self.expectSameDecider(stateBefore, full, later: later, context + " (before closing)")
            rounds += 1
        }
        writer.close()
        #expect(rounds == 4)
    }

    /// A ledger with snapshots at two positions and a tail after the newest; returns the
    /// path, the two snapshot files (older, newer) and lines for later decisions.
    static func ledgerWithTwoSnapshots(in parent: String) throws -> (path: String, older: String, newer: String, later: [[UInt8]]) {
        let lines = Self.lines(events: 1_500, seed: 51)
        let (path, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        try Self.importLines(lines[..<400], into: writer)
        let older = try writer.snapshot().head
        try Self.importLines(lines[400..<800], into: writer)
        let newer = try writer.snapshot().head
        try Self.importLines(lines[800..<1_200], into: writer)
        #expect(older.position > 0 && newer.position > older.position && writer.head.position > newer.position)
        let paths = try snapshotPaths(path)
        #expect(paths.count == 2)
        return (path, paths[0], paths[1], Array(lines[1_200...]))
    }

    /// Opens `path` and checks it used `expectedPosition` with `warningCount` warnings
    /// each containing `reason`, and decides like a full replay.
    static func expectOpens(_ path: String, from expectedPosition: UInt64, warningCount: Int, reason: String,
                            later: [[UInt8]], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let writer = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { writer.close() }
        #expect(writer.snapshotPosition == expectedPosition, sourceLocation: sourceLocation)
        #expect(writer.snapshotWarnings.count == warningCount, "\(writer.snapshotWarnings)", sourceLocation: sourceLocation)
        for warning in writer.snapshotWarnings {
            #expect(warning.contains(reason), "\(warning)", sourceLocation: sourceLocation)
        }
        expectSameDecider(writer.state, try fullReplayState(path), later: later, "reason \(reason)", sourceLocation: sourceLocation)
    }

    /// A well-formed snapshot file holding only a decider section (what an open reads).
    static func file(head: LogHead, state: DomainState, deciderVersion: UInt32 = SnapshotVersions.decider) throws -> [UInt8] {
        try SnapshotFile.encode(head: head, latestAt: .min, sections: [
            SnapshotSection(kind: .decider, version: deciderVersion, content: state.snapshotBytes()),
        ])
    }

    static func header(_ path: String) throws -> SnapshotHeader {
        try SnapshotFile.readHeader(path: path).get()
    }

    static func position(ofFile path: String) -> UInt64 {
        SnapshotFile.position(ofName: URL(fileURLWithPath: path).lastPathComponent)!
    }

    @Test func aSnapshotWithAFlippedBitIsSkipped() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, older, newer, later) = try Self.ledgerWithTwoSnapshots(in: parent)
        try Self.expectOpens(path, from: Self.position(ofFile: newer), warningCount: 0, reason: "", later: later)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: newer)))
        bytes[SnapshotFile.headerBytes + 7] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: newer))
        try Self.expectOpens(path, from: Self.position(ofFile: older), warningCount: 1, reason: "CRC-32C", later: later)
    }

    @Test func aTruncatedSnapshotIsSkipped() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, older, newer, later) = try Self.ledgerWithTwoSnapshots(in: parent)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: newer))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: newer))
        try Self.expectOpens(path, from: Self.position(ofFile: older), warningCount: 1, reason: "skipped", later: later)
        // Both damaged (the older one cut inside its header): a full replay.
        try bytes.prefix(10).write(to: URL(fileURLWithPath: older))
        try Self.expectOpens(path, from: 0, warningCount: 2, reason: "skipped", later: later)
    }

    @Test func aSnapshotWhoseChainHashDiffersFromTheLogIsSkipped() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, older, newer, later) = try Self.ledgerWithTwoSnapshots(in: parent)
        // A well-formed snapshot (good CRC, versions) of a different state claiming the newer
        // position with another chain hash: as if copied from another ledger.
        let position = Self.position(ofFile: newer)
        let foreign = try Self.file(head: LogHead(position: position, chainHash: Array(repeating: 0xAB, count: 32)),
                                    state: DomainState())
        try Data(foreign).write(to: URL(fileURLWithPath: newer))
        try Self.expectOpens(path, from: Self.position(ofFile: older), warningCount: 1, reason: "chain hash", later: later)
    }

    @Test func aSnapshotNotAtABatchEndOrBeyondTheHeadIsSkipped() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, older, newer, later) = try Self.ledgerWithTwoSnapshots(in: parent)
        let snapshotsDirectory = LedgerLayout(directory: path).snapshotsDirectory
        let head = try LedgerReader(directory: path).head()
        let beyond = try Self.file(head: LogHead(position: head.position + 5, chainHash: head.chainHash), state: DomainState())
        try Data(beyond).write(to: URL(fileURLWithPath: snapshotsDirectory + "/" + SnapshotFile.name(position: head.position + 5)))
        // The newer snapshot renamed to claim one position later: header and name disagree.
        let newerPosition = Self.position(ofFile: newer)
        let newerHead = try Self.header(newer).head
        try FileManager.default.moveItem(atPath: newer, toPath: snapshotsDirectory + "/" + SnapshotFile.name(position: newerPosition + 1))
        // A well-formed snapshot two positions later with the newer one's chain hash: no batch
        // of the log ends there with that hash.
        let between = try Self.file(head: LogHead(position: newerPosition + 2, chainHash: newerHead.chainHash),
                                    state: DomainState())
        try Data(between).write(to: URL(fileURLWithPath: snapshotsDirectory + "/" + SnapshotFile.name(position: newerPosition + 2)))
        try Self.expectOpens(path, from: Self.position(ofFile: older), warningCount: 3, reason: "skipped", later: later)
    }

    @Test func onlyTheNewestSnapshotsAreKeptAndAnEmptyLedgerCanTakeOne() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let lines = Self.lines(events: 600, seed: 61)
        var options = TestSupport.fastOptions
        options.snapshotRetention = SnapshotRetention(newestKept: 3, monthlyKept: false)
        let (path, writer) = try TestSupport.newLedger(in: parent, options: options)
        #expect(try writer.snapshot().head.position == 0)
        var positions: [UInt64] = []
        for part in 0..<5 {
            try Self.importLines(lines[(part * 100)..<(part * 100 + 100)], into: writer)
            positions.append(try writer.snapshot().head.position)
        }
        writer.close()
        let kept = try Self.snapshotPaths(path).map(Self.position(ofFile:))
        #expect(kept == Array(positions.suffix(3)))
        try Self.expectOpens(path, from: positions.last!, warningCount: 0, reason: "", later: Array(lines[500...]))
    }

    @Test func snapshotsTakenWhileAppendingAreAtBatchEndsAndOpenCleanly() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let lines = Self.lines(events: 1_200, seed: 71)
        let (path, writer) = try TestSupport.newLedger(in: parent)
        try Self.importLines(lines[..<300], into: writer)
        let appending = Thread {
            for line in lines[300..<900] { _ = try? writer.append(line: Array(line.dropLast())) }
        }
        appending.start()
        var taken: [SnapshotTaken] = []
        for _ in 0..<6 { taken.append(try writer.snapshot()) }
        while !appending.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let reader = try LedgerReader(directory: path)
        // Older files are removed as newer ones come: the last few taken are still there.
        for snapshot in taken.suffix(SnapshotRetention.newestKeptDefault) {
            // The head it names is the head a full replay reaches there, chain hash included.
            var replayed = DomainState()
            try reader.forEachEvent(through: snapshot.head.position) { replayed.apply($0.event, effect: $0.effect) }
            let header = try Self.header(snapshot.path)
            #expect(header.head == snapshot.head)
            let sameState = try header.content(of: .decider).get() == replayed.snapshotBytes()
            #expect(sameState, "snapshot at \(snapshot.head.position)")
        }
        writer.close()
        let newest = taken.map(\.head.position).max()!
        try Self.expectOpens(path, from: newest, warningCount: 0, reason: "", later: Array(lines[900...]))
    }

    @Test func theSnapshotCommandWritesOneThatTheNextOpenUses() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let lines = Self.lines(events: 500, seed: 81)
        let (path, writer) = try TestSupport.newLedger(in: parent)
        try Self.importLines(lines[..<400], into: writer)
        let head = writer.head
        writer.close()
        let run = try CLITests.ledger(["snapshot", path, "--json"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("\"position\":\(head.position)") || run.standardOutput.contains("\"position\": \(head.position)"),
                "\(run.standardOutput)")
        try Self.expectOpens(path, from: head.position, warningCount: 0, reason: "", later: Array(lines[400...]))
        // A damaged snapshot: the command warns on stderr, still succeeds, and writes a good one.
        let file = try Self.snapshotPaths(path)[0]
        try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: file))
        let again = try CLITests.ledger(["snapshot", path])
        #expect(again.status == 0)
        #expect(again.standardError.contains("warning") && again.standardError.contains("skipped"), "\(again.standardError)")
        try Self.expectOpens(path, from: head.position, warningCount: 0, reason: "", later: Array(lines[400...]))
    }

    /// `bytes` (a format 2 file) with a u32 written at `offset` in the header or section table
    /// and the header's CRC-32C recomputed, so only that field is wrong.
    static func patched(_ bytes: [UInt8], u32 value: UInt32, at offset: Int) -> [UInt8] {
        var patched = bytes
        withUnsafeBytes(of: value.littleEndian) { patched.replaceSubrange(offset..<(offset + 4), with: $0) }
        return withHeaderChecksum(patched)
    }

    /// `bytes` (a format 2 file) with its header's CRC-32C recomputed.
    static func withHeaderChecksum(_ bytes: [UInt8]) -> [UInt8] {
        var patched = bytes
        let count = Int(patched[56]) | Int(patched[57]) << 8
        let checksumOffset = SnapshotFile.headerBytes + SnapshotFile.sectionEntryBytes * count
        let checksum = patched[..<checksumOffset].withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: checksum.littleEndian) { patched.replaceSubrange(checksumOffset..<(checksumOffset + 4), with: $0) }
        return patched
    }

    /// The offset of the version field of the section of `kind` in a format 2 file's table.
    static func versionOffset(of kind: SnapshotSectionKind, in path: String) throws -> Int {
        let index = try header(path).sections.firstIndex { $0.kind == kind }!
        return SnapshotFile.headerBytes + SnapshotFile.sectionEntryBytes * index + 4
    }

    @Test func snapshotsOfAnotherFormatOrDeciderVersionAreSkippedAndTemporaryFilesIgnored() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, older, newer, later) = try Self.ledgerWithTwoSnapshots(in: parent)
        let newerBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: newer)))
        let olderBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: older)))
        // Left by a writer that crashed mid-write: not a snapshot name, so not even a warning.
        let snapshotsDirectory = LedgerLayout(directory: path).snapshotsDirectory
        try Data("half written".utf8).write(to: URL(fileURLWithPath: snapshotsDirectory + "/.snapshot-00000000000000099999.bin.1.2.tmp"))
        try Self.expectOpens(path, from: Self.position(ofFile: newer), warningCount: 0, reason: "", later: later)
        let deciderVersionOffset = try Self.versionOffset(of: .decider, in: newer)
        try Data(Self.patched(newerBytes, u32: SnapshotVersions.decider + 1, at: deciderVersionOffset)).write(to: URL(fileURLWithPath: newer))
        try Self.expectOpens(path, from: Self.position(ofFile: older), warningCount: 1, reason: "decider section was made by version", later: later)
        try Data(Self.patched(olderBytes, u32: SnapshotFile.formatVersion + 1, at: 4)).write(to: URL(fileURLWithPath: older))
        let writer = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { writer.close() }
        #expect(writer.snapshotPosition == 0)
        #expect(writer.snapshotWarnings.count == 2)
        #expect(writer.snapshotWarnings.last?.contains("format version") == true, "\(writer.snapshotWarnings)")
        Self.expectSameDecider(writer.state, try Self.fullReplayState(path), later: later, "full replay")
    }

    /// The newest snapshot file's position, 0 when there is none (or no snapshots folder yet).
    static func newestSnapshotPosition(_ path: String) -> UInt64 {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/snapshots")) ?? [])
            .compactMap(SnapshotFile.position(ofName:)).max() ?? 0
    }

    @Test(arguments: [UInt64(0), 150])
    func automaticSnapshotsFollowSnapshotEveryEvents(every: UInt64) throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        var options = TestSupport.fastOptions
        options.snapshotEveryEvents = every
        let lines = Self.lines(events: 600, seed: 67)
        let (path, writer) = try TestSupport.newLedger(in: parent, options: options)
        for part in 0..<6 {
            try Self.importLines(lines[(part * 100)..<(part * 100 + 100)], into: writer)
            let newest = Self.newestSnapshotPosition(path)
            if every == 0 {
                #expect(newest == 0, "no automatic snapshots when the setting is 0")
            } else {
                #expect(writer.head.position - newest < every, "a snapshot is due at \(writer.head.position), newest \(newest)")
                #expect(newest == 0 || newest <= writer.head.position)
            }
        }
        let head = writer.head.position
        writer.close()
        let newest = Self.newestSnapshotPosition(path)
        #expect(every == 0 || (head >= every && newest > 0))
        let reopened = try LedgerWriter.open(directory: path, options: options)
        defer { reopened.close() }
        #expect(reopened.snapshotPosition == newest)
        #expect(reopened.snapshotWarnings.isEmpty)
    }
}
