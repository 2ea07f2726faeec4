import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog

@Suite struct FacadeTests {
    static func bonus(id: String, tenant: String = "acme", worker: String = "w-1", cents: Int64 = 500, at: String = "2026-03-04T10:15:00Z") -> Event {
        Event(tenant: Name(tenant), id: Name(id), at: Timestamp(parsing: Array(at.utf8))!, actor: "u-admin",
              data: .bonusAdded(worker: Name(worker), amountCents: cents, reason: "good"))
    }

    @Test func aConditionalAppendWithAStaleHeadWritesNothing() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        #expect(try writer.append(Self.bonus(id: "e-1"), expectedHead: 0) == .appended(position: 1))
        #expect(throws: LedgerError.staleHead(expected: 0, actual: 1)) {
            try writer.append(Self.bonus(id: "e-2"), expectedHead: 0)
        }
        #expect(writer.head.position == 1)
        #expect(try writer.append(Self.bonus(id: "e-2"), expectedHead: 1) == .appended(position: 2))
    }

    @Test func idempotencyHoldsAcrossARestart() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        #expect(try writer.append(Self.bonus(id: "e-1")) == .appended(position: 1))
        #expect(try writer.append(Self.bonus(id: "e-1", tenant: "globex")) == .appended(position: 2))
        writer.close()
        let reopened = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { reopened.close() }
        #expect(try reopened.append(Self.bonus(id: "e-1")) == .duplicate(position: 1))
        #expect(try reopened.append(Self.bonus(id: "e-1", tenant: "globex")) == .duplicate(position: 2))
        let conflict = try reopened.append(Self.bonus(id: "e-1", cents: 501))
        guard case .refused(let refusal) = conflict else {
            Issue.record("expected a conflict, got \(conflict)")
            return
        }
        #expect(refusal.code == .conflict)
        #expect(reopened.head.position == 2)
    }

    @Test func freeTextThatDiffersOnlyInUnicodeCompositionIsAConflictNotADuplicate() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        var composed = Self.bonus(id: "e-1")
        composed.data = .bonusAdded(worker: "w-1", amountCents: 500, reason: "caf\u{E9}")
        var decomposed = composed
        decomposed.data = .bonusAdded(worker: "w-1", amountCents: 500, reason: "cafe\u{301}")
        #expect(try writer.append(composed) == .appended(position: 1))
        guard case .refused(let refusal) = try writer.append(decomposed) else {
            Issue.record("a reason spelled with other code points is different content")
            return
        }
        #expect(refusal.code == .conflict)
        #expect(try writer.append(composed) == .duplicate(position: 1))
    }

    @Test func aSecondWriterIsRefusedAtOnce() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        #expect(throws: (any Error).self) {
            _ = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        }
    }

    @Test func rulesAreCheckedAgainstTheStateRebuiltOnOpen() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        #expect(try writer.append(Self.bonus(id: "e-1", cents: 900)) == .appended(position: 1))
        writer.close()
        let reopened = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { reopened.close() }
        let payout = Event(tenant: "acme", id: "e-2", at: Timestamp(parsing: Array("2026-03-05T10:00:00Z".utf8))!,
                           actor: "u-admin", data: .payoutPaid(worker: "w-1", amountCents: 1000, reference: "p"))
        guard case .refused(let refusal) = try reopened.append(payout) else {
            Issue.record("a payout above the available balance rebuilt on open must be refused")
            return
        }
        #expect(refusal.code == .rule)
        var smaller = payout
        smaller.data = .payoutPaid(worker: "w-1", amountCents: 900, reference: "p")
        #expect(try reopened.append(smaller) == .appended(position: 2))
    }

    @Test func exportThenImportGivesTheSameRecordsAndHeadHash() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let data = try TestSupport.fixture("sample.jsonl")
        _ = try data.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused) }
        let head = writer.head
        writer.close()
        var exported: [UInt8] = []
        try LedgerReader(directory: path).export { exported.append(contentsOf: $0) }
        let (copyPath, copy) = try TestSupport.newLedger(in: parent, name: "copy")
        let summary = try exported.withUnsafeBytes { try copy.importLines($0, mode: .atomic) }
        #expect(summary.refusedCount == 0)
        #expect(copy.head == head)
        copy.close()
        var original: [RecordedEvent] = []
        var copied: [RecordedEvent] = []
        try LedgerReader(directory: path).forEachEvent { original.append($0) }
        try LedgerReader(directory: copyPath).forEachEvent { copied.append($0) }
        #expect(original == copied)
    }
}
