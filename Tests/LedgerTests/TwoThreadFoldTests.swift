import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog

/// The fold of all read models on two threads gives exactly the one-thread fold, for every
/// as-of target and start, and stops cleanly on a damaged log.
@Suite struct TwoThreadFoldTests {
    /// Everything a fold of all read models holds, histories included, as one comparable text.
    static func everything(_ models: ReadModels) -> String {
        var text = ExpectedDump.render(outcomes: [], models: models)
        text += "last position \(models.lastPosition)\n"
        for name in models.tenants {
            let tenant = models.tenant(name)!
            text += "\(name): audit \(tenant.auditTrail()) transfers \(tenant.journalTransfers)\n"
            text += "orders \(tenant.orders().map(\.history))\n"
        }
        return text
    }

    static func ledger(events: Int, seed: UInt64, in parent: String, options: LedgerOptions = TestSupport.fastOptions) throws -> String {
        let (path, writer) = try TestSupport.newLedger(in: parent, options: options)
        let (bytes, _) = GeneratedHistoryTests.history(events: events, seed: seed, invalidRate: 0, tenants: 5)
        _ = try bytes.withUnsafeBytes { try writer.importLines($0, mode: .atomic) }
        writer.close()
        return path
    }

    static func reader(_ path: String, threads: Int, snapshots: Bool = false) throws -> LedgerReader {
        let reader = try LedgerReader(directory: path)
        reader.usesSnapshots = snapshots
        reader.twoThreadFoldMinimumEvents = threads == 2 ? 0 : .max
        return reader
    }

    @Test func aFoldOnTwoThreadsEqualsAFoldOnOneAtEveryTarget() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        // More events than the ring holds (8 chunks of 1,024), so the reader waits for the folder.
        let path = try Self.ledger(events: 30_000, seed: 41, in: parent)
        let one = try Self.reader(path, threads: 1)
        let two = try Self.reader(path, threads: 2)
        let all = try one.readModels()
        #expect(all.lastPosition > 20_000)
        var middle = Timestamp(microseconds: 0)
        try one.forEachEvent(from: all.lastPosition / 2, through: all.lastPosition / 2) { middle = $0.event.at }
        let targets: [AsOf] = [.end, .position(1), .position(1_023), .position(1_024), .position(1_025), .position(8 * 1_024 + 7), .position(all.lastPosition - 1), .time(middle)]
        for target in targets {
            for histories in [true, false] {
                let expected = Self.everything(try one.readModels(asOf: target, includeHistories: histories))
                let got = Self.everything(try two.readModels(asOf: target, includeHistories: histories))
                #expect(got == expected, "as of \(target), histories \(histories)")
                #expect(two.lastFold.eventsRead == one.lastFold.eventsRead)
            }
        }
    }

    /// Every balance of a fold, as one comparable text.
    static func everything(_ fold: BalanceFold) -> String {
        fold.tenants.map { tenant in "\(tenant): \(fold.balances(tenant: tenant))" }.joined(separator: "\n")
    }

    /// The balances fast path reading the log ahead on a second thread gives the one-thread
    /// fold, for every target, with and without a scope, from the log's start and from snapshots.
    @Test func balancesReadAheadEqualBalancesReadOnOneThread() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        var options = TestSupport.fastOptions
        options.snapshotEveryEvents = 9_000
        let path = try Self.ledger(events: 30_000, seed: 53, in: parent, options: options)
        for snapshots in [false, true] {
            let one = try Self.reader(path, threads: 1, snapshots: snapshots)
            let two = try Self.reader(path, threads: 2, snapshots: snapshots)
            let all = try one.balances()
            #expect(all.balances.count > 100)
            var middle = Timestamp(microseconds: 0)
            let last = try one.head().position
            try one.forEachEvent(from: last / 2, through: last / 2) { middle = $0.event.at }
            let tenant = all.balances.tenants[0]
            let worker = all.balances.balances(tenant: tenant)[0].worker
            for target in [AsOf.end, .position(1), .position(4_095), .position(4_097), .position(last - 1), .time(middle)] {
                for scope in [nil, BalanceScope(tenant: tenant), BalanceScope(tenant: tenant, worker: worker)] {
                    let expected = try one.balances(asOf: target, scope: scope)
                    let got = try two.balances(asOf: target, scope: scope)
                    #expect(Self.everything(got.balances) == Self.everything(expected.balances),
                            "as of \(target), scope \(String(describing: scope)), snapshots \(snapshots)")
                    #expect(got.events == expected.events)
                }
            }
        }
    }

    /// Opening a writer replays a long log reading ahead (past the two-thread minimum): the
    /// decider's state it rebuilds has every worker's available balance the reader folds.
    @Test func aWriterOpenedOverALongLogRebuildsTheWholeState() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let events = Int(LedgerReader.defaultTwoThreadFoldMinimumEvents) + 4_000
        let path = try Self.ledger(events: events, seed: 59, in: parent)
        let reader = try Self.reader(path, threads: 1)
        let (balances, read) = try reader.balances()
        #expect(read >= LedgerReader.defaultTwoThreadFoldMinimumEvents)
        let writer = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { writer.close() }
        var compared = 0
        for tenant in balances.tenants {
            for balance in balances.balances(tenant: tenant) {
                #expect(writer.state.availableCents(tenant: tenant, worker: balance.worker) == balance.availableCents,
                        "\(tenant) \(balance.worker)")
                compared += 1
            }
        }
        #expect(compared > 100)
    }

    @Test func aTwoThreadFoldFromASnapshotEqualsAOneThreadFold() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        var options = TestSupport.fastOptions
        options.snapshotEveryEvents = 7_000
        let path = try Self.ledger(events: 24_000, seed: 43, in: parent, options: options)
        let one = try Self.reader(path, threads: 1, snapshots: true)
        let two = try Self.reader(path, threads: 2, snapshots: true)
        for target in [AsOf.end, .position(15_000), .position(22_000)] {
            let expected = Self.everything(try one.readModels(asOf: target, includeHistories: false))
            let got = Self.everything(try two.readModels(asOf: target, includeHistories: false))
            #expect(two.lastFold.snapshotPosition > 0, "as of \(target): the fold starts from a snapshot")
            #expect(two.lastFold.snapshotPosition == one.lastFold.snapshotPosition)
            #expect(got == expected, "as of \(target)")
        }
    }

    @Test func aSplitFoldMergedEqualsAWholeFoldForEverySplit() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let path = try Self.ledger(events: 3_000, seed: 47, in: parent)
        var events: [RecordedEvent] = []
        try LedgerReader(directory: path).forEachEvent { events.append($0) }
        var whole = ReadModels()
        for recorded in events { whole.fold(recorded) }
        let expected = Self.everything(whole)
        for raw in UInt8(0)...ReadModelParts.all.rawValue {
            let second = ReadModelParts(rawValue: raw)
            var firstHalf = ReadModels()
            var secondHalf = ReadModels()
            for recorded in events {
                firstHalf.fold(recorded, parts: ReadModelParts.all.subtracting(second))
                secondHalf.fold(recorded, parts: second)
            }
            let merged = ReadModels(merging: firstHalf, secondHalf, takingFromSecond: second)
            #expect(Self.everything(merged) == expected, "second thread's parts \(raw)")
        }
    }

    @Test func aDamagedLogStopsBothThreadsWithTheOneThreadError() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let path = try Self.ledger(events: 20_000, seed: 53, in: parent)
        let logDirectory = LedgerLayout(directory: path).logDirectory
        let segment = try FileManager.default.contentsOfDirectory(atPath: logDirectory)
            .map { logDirectory + "/" + $0 }
            .max { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int ?? 0) ?? 0 < (try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int ?? 0) ?? 0 }!
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[bytes.count * 3 / 4] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        var oneError: String?
        do { _ = try Self.reader(path, threads: 1).readModels() } catch { oneError = "\(error)" }
        var twoError: String?
        do { _ = try Self.reader(path, threads: 2).readModels() } catch { twoError = "\(error)" }
        #expect(oneError != nil, "the damage must be found")
        #expect(twoError == oneError)
        // The reader is still usable (the second thread was stopped, not left waiting).
        let reader = try Self.reader(path, threads: 2)
        let models = try reader.readModels(asOf: .position(100))
        #expect(models.lastPosition == 100)
    }
}

extension TwoThreadFoldTests {
    /// A snapshot of more events than the two-thread minimum is folded on two threads; a deep
    /// check compares it byte for byte with a one-thread replay of the log.
    @Test func aSnapshotFoldedOnTwoThreadsMatchesAOneThreadReplay() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        var options = TestSupport.fastOptions
        options.snapshotEveryEvents = 0
        let events = Int(LedgerReader.defaultTwoThreadFoldMinimumEvents) + 4_000
        let path = try Self.ledger(events: events, seed: 59, in: parent, options: options)
        let writer = try LedgerWriter.open(directory: path, options: options)
        let taken = try writer.snapshot()
        writer.close()
        #expect(taken.head.position >= LedgerReader.defaultTwoThreadFoldMinimumEvents, "the fold is long enough for two threads")
        let statuses = try LedgerReader(directory: path).snapshotStatuses(deep: true)
        #expect(statuses.count == 1 && statuses[0].problem == nil && statuses[0].matchesReplay == true, "\(statuses.map(\.summary))")
    }
}
