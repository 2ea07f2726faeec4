import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog
import LedgerTestSupport

/// Queries as of a position or a time start from the newest snapshot before their target and
/// give exactly what a fold from the log's start gives; bad snapshots are skipped with a
/// warning, projectors of another version are rebuilt from the log.
@Suite struct AsOfSnapshotTests {
    /// Every non-history read model, rendered (the dump shape; the history lists are empty
    /// on both sides when folded without histories).
    static func render(_ models: ReadModels) -> String {
        ExpectedDump.render(outcomes: [], models: models)
    }

    static func balancesText(_ fold: BalanceFold) -> String {
        fold.tenants.flatMap { tenant in
            fold.balances(tenant: tenant).map { "\(tenant)/\($0.worker) \($0.availableCents) \($0.pendingCents) \($0.totalEarnedCents)" }
        }.joined(separator: "\n")
    }

    /// A ledger of a generated history with automatic snapshots every `every` events.
    static func ledger(in parent: String, events: Int, seed: UInt64, every: UInt64) throws -> (path: String, head: UInt64) {
        var options = TestSupport.fastOptions
        options.snapshotEveryEvents = every
        options.snapshotRetention = SnapshotRetention(newestKept: 100)
        // Small batches and time-index chunks, so that snapshots fall at many positions and
        // time queries can skip parts of even a small log.
        options.log.batchRecordsMax = 64
        options.snapshotTimeIndexChunkEvents = 64
        let (path, writer) = try TestSupport.newLedger(in: parent, options: options)
        defer { writer.close() }
        let lines = SnapshotTests.lines(events: events, seed: seed)
        for part in stride(from: 0, to: lines.count, by: 97) {
            try SnapshotTests.importLines(lines[part..<min(part + 97, lines.count)], into: writer)
        }
        return (path, writer.head.position)
    }

    /// Compares, for `asOf`, the snapshot-started fold with the fold from the log's start:
    /// all read models, and the balances fast path. Returns where the fold started.
    @discardableResult
    static func expectSame(_ path: String, _ asOf: AsOf, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> FoldReport {
        let fromSnapshot = try LedgerReader(directory: path)
        let fromStart = try LedgerReader(directory: path)
        fromStart.usesSnapshots = false
        let expected = render(try fromStart.readModels(asOf: asOf, includeHistories: false))
        let actual = render(try fromSnapshot.readModels(asOf: asOf, includeHistories: false))
        let report = fromSnapshot.lastFold
        #expect(actual == expected, "\(context) \(asOf): read models differ (started at \(report.snapshotPosition))", sourceLocation: sourceLocation)
        #expect(report.warnings.isEmpty, "\(context): \(report.warnings)", sourceLocation: sourceLocation)
        let expectedBalances = balancesText(try fromStart.balances(asOf: asOf).balances)
        let actualBalances = balancesText(try fromSnapshot.balances(asOf: asOf).balances)
        #expect(actualBalances == expectedBalances, "\(context) \(asOf): balances differ", sourceLocation: sourceLocation)
        #expect(fromSnapshot.lastFold.snapshotPosition == report.snapshotPosition, sourceLocation: sourceLocation)
        // One tenant's and one worker's balances (the scoped fast path) are the same rows.
        let full = try fromStart.balances(asOf: asOf).balances
        for tenant in full.tenants {
            let rows = full.balances(tenant: tenant)
            let tenantFold = try fromSnapshot.balances(asOf: asOf, scope: BalanceScope(tenant: tenant)).balances
            #expect(tenantFold.tenants == [tenant] && tenantFold.balances(tenant: tenant) == rows,
                    "\(context) \(asOf): balances of \(tenant) differ", sourceLocation: sourceLocation)
            for row in [rows.first, rows.last, rows.dropFirst(rows.count / 2).first].compactMap({ $0 }) {
                let one = try fromSnapshot.balances(asOf: asOf, scope: BalanceScope(tenant: tenant, worker: row.worker)).balances
                #expect(one.count == 1 && one.balance(tenant: tenant, worker: row.worker) == row,
                        "\(context) \(asOf): balance of \(tenant)/\(row.worker) differs", sourceLocation: sourceLocation)
                let fromLog = try fromStart.balances(asOf: asOf, scope: BalanceScope(tenant: tenant, worker: row.worker)).balances
                #expect(fromLog.balance(tenant: tenant, worker: row.worker) == row, sourceLocation: sourceLocation)
            }
        }
        let nobody = try fromSnapshot.balances(asOf: asOf, scope: BalanceScope(tenant: Name("no-such-tenant"))).balances
        #expect(nobody.count == 0, sourceLocation: sourceLocation)
        // With histories, the fold is from the start and equals the other for everything else.
        let withHistories = try fromSnapshot.readModels(asOf: asOf)
        #expect(withHistories.tenants == (try fromStart.readModels(asOf: asOf, includeHistories: false)).tenants, sourceLocation: sourceLocation)
        return report
    }

    @Test(arguments: [UInt64(11), 12])
    func asOfPositionFromASnapshotEqualsAFoldFromTheStart(seed: UInt64) throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, head) = try Self.ledger(in: parent, events: 3_000, seed: seed, every: 300)
        #expect(try SnapshotTests.snapshotPaths(path).count >= 5)
        var random = SeededGenerator(state: seed)
        var started = 0
        for _ in 0..<15 {
            let position = UInt64.random(in: 0...(head + 10), using: &random)
            let report = try Self.expectSame(path, .position(position), "seed \(seed)")
            #expect(report.snapshotPosition <= position)
            if report.snapshotPosition > 0 {
                started += 1
                #expect(report.eventsRead <= min(position, head) - report.snapshotPosition)
            }
        }
        let end = try Self.expectSame(path, .end, "seed \(seed)")
        #expect(end.snapshotPosition > 0 && head - end.snapshotPosition < 300 + 97)
        #expect(started > 0, "seed \(seed): no query started from a snapshot")
    }

    @Test(arguments: [UInt64(21), 22])
    func asOfTimeFromASnapshotEqualsAFoldFromTheStart(seed: UInt64) throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, head) = try Self.ledger(in: parent, events: 3_000, seed: seed, every: 300)
        var first = Int64.max
        var last = Int64.min
        try LedgerReader(directory: path).forEachEvent { recorded in
            first = min(first, recorded.event.at.microseconds)
            last = max(last, recorded.event.at.microseconds)
        }
        var random = SeededGenerator(state: seed)
        var started = 0
        var skippedSome = false
        for _ in 0..<15 {
            let time = Timestamp(microseconds: Int64.random(in: (first - 1_000_000)...(last + 1_000_000), using: &random))
            let report = try Self.expectSame(path, .time(time), "seed \(seed)")
            if report.snapshotPosition > 0 { started += 1 }
            if report.eventsRead < head - report.snapshotPosition { skippedSome = true }
        }
        #expect(started > 0, "seed \(seed): no time query started from a snapshot")
        #expect(skippedSome, "seed \(seed): the time index never let a query skip a part of the log")
    }

    /// Copies the newest snapshot file's bytes, with `change` applied, over it.
    static func damageNewest(_ path: String, _ change: (inout [UInt8]) throws -> Void) throws -> String {
        let newest = try SnapshotTests.snapshotPaths(path).last!
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: newest)))
        try change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: newest))
        return newest
    }

    /// After damaging the newest snapshot, queries warn about it, start from the one before,
    /// and still answer like a fold from the start.
    static func expectSkipped(_ path: String, reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let paths = try SnapshotTests.snapshotPaths(path)
        let older = SnapshotTests.position(ofFile: paths[paths.count - 2])
        let reader = try LedgerReader(directory: path)
        let fromStart = try LedgerReader(directory: path)
        fromStart.usesSnapshots = false
        for asOf in [AsOf.end, .position(UInt64.max)] {
            let models = try reader.readModels(asOf: asOf, includeHistories: false)
            #expect(reader.lastFold.snapshotPosition == older, "\(reader.lastFold)", sourceLocation: sourceLocation)
            #expect(reader.lastFold.warnings.count == 1, "\(reader.lastFold.warnings)", sourceLocation: sourceLocation)
            #expect(reader.lastFold.warnings.first?.contains(reason) == true, "\(reader.lastFold.warnings)", sourceLocation: sourceLocation)
            #expect(render(models) == render(try fromStart.readModels(asOf: asOf, includeHistories: false)), sourceLocation: sourceLocation)
            let balances = try reader.balances(asOf: asOf).balances
            #expect(reader.lastFold.snapshotPosition == older, sourceLocation: sourceLocation)
            #expect(balancesText(balances) == balancesText(try fromStart.balances(asOf: asOf).balances), sourceLocation: sourceLocation)
        }
    }

    @Test func aFlippedBitATruncationAndAForeignChainHashAreEachSkipped() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        for damage in ["bit", "truncated", "chain", "section bit"] {
            let (path, _) = try Self.ledger(in: parent + "/" + damage.replacingOccurrences(of: " ", with: "-"), events: 1_200, seed: 31, every: 400)
            switch damage {
            case "bit":
                _ = try Self.damageNewest(path) { $0[20] ^= 0x04 }  // in the chain hash: the header CRC fails
                try Self.expectSkipped(path, reason: "CRC-32C")
            case "section bit":
                // In the balances section's frame, which every query reads.
                let balances = try SnapshotTests.header(try SnapshotTests.snapshotPaths(path).last!).section(.balances)!
                _ = try Self.damageNewest(path) { $0[Int(balances.offset + balances.length / 2)] ^= 0x01 }
                try Self.expectSkipped(path, reason: "balances section CRC-32C")
            case "truncated":
                _ = try Self.damageNewest(path) { $0.removeLast($0.count / 3) }
                try Self.expectSkipped(path, reason: "truncated")
            default:
                // A sound file (checksums right) claiming another chain hash: from another ledger.
                _ = try Self.damageNewest(path) { bytes in
                    for offset in 16..<48 { bytes[offset] = 0xAB }
                    bytes = SnapshotTests.withHeaderChecksum(bytes)
                }
                try Self.expectSkipped(path, reason: "chain hash")
            }
            // Verify reports it and exits 3; the log itself is fine.
            let run = try CLITests.ledger(["verify", path])
            #expect(run.status == 3, "\(damage): \(run.standardOutput) \(run.standardError)")
            #expect(run.standardOutput.contains("OK:") && run.standardOutput.contains("snapshots are bad"), "\(damage): \(run.standardOutput)")
        }
    }

    @Test func readModelsOfAnotherProjectorVersionAreRebuiltFromTheLogAndSaySo() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, head) = try Self.ledger(in: parent, events: 1_000, seed: 41, every: 0)
        var options = TestSupport.fastOptions
        options.snapshotEveryEvents = 0
        let writer = try LedgerWriter.open(directory: path, options: options)
        let first = try writer.snapshot()
        #expect(first.readModelsFrom == 0 && first.rebuildReason == nil)
        // The same file, as if written by a build whose read-model projectors had version 99.
        let file = first.path
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        for kind in [SnapshotSectionKind.balances, .readModels] {
            bytes = SnapshotTests.patched(bytes, u32: 99, at: try SnapshotTests.versionOffset(of: kind, in: file))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let reader = try LedgerReader(directory: path)
        let models = try reader.readModels(includeHistories: false)
        #expect(reader.lastFold.snapshotPosition == 0)
        #expect(reader.lastFold.eventsRead == head)
        #expect(reader.lastFold.warnings.count == 1 && reader.lastFold.warnings[0].contains("version 99"), "\(reader.lastFold.warnings)")
        let fromStart = try LedgerReader(directory: path)
        fromStart.usesSnapshots = false
        #expect(Self.render(models) == Self.render(try fromStart.readModels(includeHistories: false)))
        // The decider's section is still of this build: the writer opens from it.
        writer.close()
        let reopened = try LedgerWriter.open(directory: path, options: options)
        defer { reopened.close() }
        #expect(reopened.snapshotPosition == head && reopened.snapshotWarnings.isEmpty)
        // The next snapshot rebuilds the read models from the log and says why.
        let second = try reopened.snapshot()
        #expect(second.readModelsFrom == 0)
        #expect(second.rebuildReason?.contains("version 99") == true, "\(second.rebuildReason ?? "nil")")
        let statuses = try LedgerReader(directory: path).snapshotStatuses(deep: true)
        #expect(statuses.count == 1 && statuses[0].problem == nil && statuses[0].matchesReplay == true, "\(statuses.map(\.summary))")
    }

    @Test func deepVerificationFindsASnapshotWhoseContentsDifferFromTheLog() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, _) = try Self.ledger(in: parent, events: 800, seed: 43, every: 300)
        #expect(try LedgerReader(directory: path).snapshotStatuses(deep: true).allSatisfy { $0.problem == nil && $0.matchesReplay == true })
        // A crafted file: checksums and chain hash right, balances of an empty ledger.
        let newest = try SnapshotTests.snapshotPaths(path).last!
        let header = try SnapshotTests.header(newest)
        let sections = try header.sections.map { entry in
            let content = try header.content(of: entry.kind).get()
            let forged = entry.kind == .balances ? ReadModels(asOf: .end, keepsHistories: false).balanceSnapshotBytes() : content
            return SnapshotSection(kind: entry.kind, version: entry.version, content: forged)
        }
        try Data(try SnapshotFile.encode(head: header.head, latestAt: header.latestAt ?? .min, sections: sections))
            .write(to: URL(fileURLWithPath: newest))
        let shallow = try LedgerReader(directory: path).snapshotStatuses()
        #expect(shallow.allSatisfy { $0.problem == nil }, "the framing is sound: only a replay can tell")
        let deep = try LedgerReader(directory: path).snapshotStatuses(deep: true)
        #expect(deep[0].problem?.contains("balances") == true && deep[0].matchesReplay == false, "\(deep.map(\.summary))")
        let run = try CLITests.ledger(["verify", path, "--deep"])
        #expect(run.status == 3, "\(run.standardOutput)")
        #expect(run.standardOutput.contains("differ from a replay"), "\(run.standardOutput)")
    }

    @Test func killingTheProcessWhileASnapshotIsWrittenNeverLeavesOneThatLoadsWrong() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, _) = try Self.ledger(in: parent, events: 6_000, seed: 47, every: 0)
        var random = SeededGenerator(state: 47)
        var killed = 0
        for round in 0..<12 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = ["snapshot", path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 1_000...120_000, using: &random))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            // Whatever is on disk under a snapshot's name loads right (or there is none).
            let statuses = try LedgerReader(directory: path).snapshotStatuses(deep: true)
            for status in statuses {
                #expect(status.problem == nil && status.matchesReplay == true, "round \(round): \(status.path): \(status.summary)")
            }
            let writer = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
            #expect(writer.snapshotWarnings.isEmpty, "round \(round): \(writer.snapshotWarnings)")
            writer.close()
            try Self.expectSame(path, .end, "round \(round)")
        }
        #expect(killed > 0, "no run was killed while writing: the test proved nothing")
        // Temporary files of killed writes are removed by the next snapshot.
        let writer = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        try writer.snapshot()
        writer.close()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: path + "/snapshots").filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func oneLargeImportLeavesASnapshotEveryInterval() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        var options = TestSupport.fastOptions
        options.snapshotEveryEvents = 250
        options.snapshotRetention = SnapshotRetention(newestKept: 100)
        options.log.batchRecordsMax = 64
        let (path, writer) = try TestSupport.newLedger(in: parent, options: options)
        try SnapshotTests.importLines(SnapshotTests.lines(events: 3_000, seed: 57)[...], into: writer)
        let head = writer.head.position
        writer.close()
        let positions = try SnapshotTests.snapshotPaths(path).map(SnapshotTests.position(ofFile:))
        #expect(positions.last == head)
        #expect(UInt64(positions.count) >= head / 250, "\(positions) for head \(head)")
        for (previous, next) in zip([0] + positions, positions) {
            #expect(next - previous >= 250 || next == head, "\(positions)")
            #expect(next - previous < 250 + 64, "\(positions): an interval without a snapshot")
        }
        // Each one, folded from the log and the one before, equals a replay.
        let statuses = try LedgerReader(directory: path).snapshotStatuses(deep: true)
        #expect(statuses.allSatisfy { $0.problem == nil && $0.matchesReplay == true }, "\(statuses.map(\.summary))")
    }

    @Test func retentionKeepsTheNewestAndOnePerBusinessMonth() {
        let retention = SnapshotRetention(newestKept: 2)
        let candidates = [
            SnapshotRetention.Candidate(name: "a", position: 100, month: 1),
            .init(name: "b", position: 200, month: 1),
            .init(name: "c", position: 300, month: 2),
            .init(name: "d", position: 400, month: 3),
            .init(name: "e", position: 500, month: 3),
            .init(name: "f", position: 600, month: 4),
            .init(name: "g", position: 50, month: nil),
        ]
        // Newest two: f, e (months 4, 3). Older: d (month 3 kept already), c (2), b (1), a (1 again), g (unknown).
        #expect(retention.removals(candidates).sorted() == ["a", "d", "g"])
        #expect(SnapshotRetention(newestKept: 3, monthlyKept: false).removals(candidates).sorted() == ["a", "b", "c", "g"])
    }

    @Test func theSnapshotsCommandListsEveryFileWithItsStatus() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, _) = try Self.ledger(in: parent, events: 900, seed: 53, every: 300)
        let list = try CLITests.ledger(["snapshots", path])
        #expect(list.status == 0, "\(list.standardError)")
        #expect(list.standardOutput.contains("decider v1") && list.standardOutput.contains("time index v1") && list.standardOutput.contains(" ok"), "\(list.standardOutput)")
        let json = try CLITests.ledger(["snapshots", path, "--json", "--deep"])
        #expect(json.status == 0)
        #expect(json.standardOutput.contains("\"matches_replay\":true"), "\(json.standardOutput)")
        let stats = try CLITests.ledger(["stats", path, "--json"])
        #expect(stats.standardOutput.contains("\"snapshots\":\(try SnapshotTests.snapshotPaths(path).count)"), "\(stats.standardOutput)")
        _ = try Self.damageNewest(path) { $0[30] ^= 1 }
        let damaged = try CLITests.ledger(["snapshots", path])
        #expect(damaged.status == 3 && damaged.standardOutput.contains("bad: "), "\(damaged.standardOutput)")
        let balance = try CLITests.ledger(["balance", path])
        #expect(balance.status == 0 && balance.standardError.contains("not used for the read models"), "\(balance.standardError)")
    }
}
