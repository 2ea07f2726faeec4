import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog

/// `LedgerWriter.append(contentsOf:)`: a batch gives each event the outcome it would get
/// appended alone, and an error in the batch appends none of it.
@Suite struct BatchAppendTests {
    /// The events of a generated history with refusals, duplicates and conflicts (the lines
    /// that do not parse are left out: a batch takes typed events).
    static func events(count: Int, seed: UInt64) -> [Event] {
        let (bytes, _) = GeneratedHistoryTests.history(events: count, seed: seed, invalidRate: 0.1)
        var events: [Event] = []
        bytes.withUnsafeBytes { bytes in
            var lines = LineSplitter(bytes)
            while let (_, line) = lines.next() {
                if case .success(let event) = EventLineParser.parse(line) { events.append(event) }
            }
        }
        return events
    }

    @Test func aBatchGivesTheOutcomesOfAppendsOneByOne() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let events = Self.events(count: 2_500, seed: 67)
        let (_, batched) = try TestSupport.newLedger(in: parent, name: "batched")
        defer { batched.close() }
        let (_, single) = try TestSupport.newLedger(in: parent, name: "single")
        defer { single.close() }
        var inBatches: [AppendOutcome] = []
        var start = 0
        while start < events.count {
            let end = min(start + 300, events.count)
            inBatches += try batched.append(contentsOf: Array(events[start..<end]))
            start = end
        }
        let oneByOne = try events.map { try single.append($0) }
        #expect(inBatches == oneByOne)
        #expect(oneByOne.contains { if case .duplicate = $0 { true } else { false } })
        #expect(oneByOne.contains { if case .refused(let refusal) = $0 { refusal.code == .conflict } else { false } })
        #expect(oneByOne.contains { if case .refused(let refusal) = $0 { refusal.code == .rule } else { false } })
        // The same records at the same positions (the batches, so the chain, differ: one
        // flush per event against one per batch).
        #expect(batched.head.position == single.head.position)
        func logged(_ writer: LedgerWriter) throws -> [Event] {
            var events: [Event] = []
            try LedgerReader(directory: writer.directory).forEachEvent(from: 1, through: .max) { events.append($0.event) }
            return events
        }
        #expect(try logged(batched) == logged(single))
    }

    @Test func anEventTheLogCannotHoldAppendsNoneOfItsBatch() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let events = Array(Self.events(count: 40, seed: 71).prefix(20))
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        _ = try writer.append(contentsOf: Array(events.prefix(5)))
        let head = writer.head
        var tooLong = events[6]
        tooLong.id = Name(String(repeating: "x", count: LogLimits.keyBytesMax + 1))
        let batch = [events[5], tooLong, events[7]]
        #expect(throws: LogError.self) { try writer.append(contentsOf: batch) }
        #expect(writer.head == head)
        // Nothing of the batch is staged, indexed or applied: its events append as new.
        let again = try writer.append(contentsOf: [events[5], events[7]])
        let fresh = try TestSupport.newLedger(in: parent, name: "fresh").1
        defer { fresh.close() }
        _ = try fresh.append(contentsOf: Array(events.prefix(5)))
        #expect(again == (try fresh.append(contentsOf: [events[5], events[7]])))
        #expect(writer.head.position == fresh.head.position)
    }
}
