import LedgerDomain
import LedgerEngine
import LedgerTestSupport
import Testing

/// The decider's state survives snapshot bytes: the decoded state gives the same bytes and
/// decides every later event exactly as the original does.
@Suite struct SnapshotCodecTests {
    /// Events offered to the decider, in order: parse failures and repeated tenant+id dropped
    /// (the log refuses or deduplicates those before the rules see them).
    static func generatedEvents(events: Int, seed: UInt64) -> [Event] {
        var generator = HistoryGenerator(options: GeneratorOptions(events: events, tenants: 3, seed: seed, days: 75, invalidRate: 0.1))
        var line: [UInt8] = []
        var seen: Set<SampleEventKey> = []
        var offered: [Event] = []
        while true {
            line.removeAll(keepingCapacity: true)
            guard generator.next(into: &line) else { break }
            while let last = line.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { line.removeLast() }
            guard case .success(let event) = EventLineParser.parse(line) else { continue }
            guard seen.insert(SampleEventKey(tenant: event.tenant, id: event.id)).inserted else { continue }
            offered.append(event)
        }
        return offered
    }

    /// Decides `events[..<cut]` into a state, round-trips it through snapshot bytes, then
    /// decides the rest with both states; every outcome and the final bytes must agree.
    static func checkRoundTrip(_ events: [Event], cut: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var original = DomainState()
        for event in events[..<cut] {
            if case .success(let effect) = original.decide(event) { original.apply(event, effect: effect) }
        }
        let bytes = original.snapshotBytes()
        var restored = try bytes.withUnsafeBytes { try DomainState(snapshotBytes: $0) }
        // Compared as one Bool: a failing #expect would print both byte arrays in full.
        let sameBytes = restored.snapshotBytes() == bytes
        #expect(sameBytes, "cut \(cut): bytes differ after a round trip", sourceLocation: sourceLocation)
        for (index, event) in events[cut...].enumerated() {
            let expected = original.decide(event)
            let actual = restored.decide(event)
            guard expected == actual else {
                Issue.record("cut \(cut), event \(cut + index) (\(event.type.name) \(event.id)): \(expected) vs \(actual)", sourceLocation: sourceLocation)
                return
            }
            if case .success(let effect) = expected {
                original.apply(event, effect: effect)
                restored.apply(event, effect: effect)
            }
        }
        let sameFinalBytes = original.snapshotBytes() == restored.snapshotBytes()
        #expect(sameFinalBytes, "cut \(cut): final states differ", sourceLocation: sourceLocation)
    }

    @Test func theSampleFixtureRoundTripsAtEveryPosition() throws {
        let history = try SampleHistory.run()
        let events = history.recorded.map(\.event)
        #expect(events.count > 10)
        for cut in 0...events.count { try Self.checkRoundTrip(events, cut: cut) }
    }

    @Test(arguments: [UInt64(5), 6, 7])
    func generatedHistoriesRoundTripAtSeveralCuts(seed: UInt64) throws {
        let events = Self.generatedEvents(events: 2_500, seed: seed)
        #expect(events.count > 1_000)
        var random = SeededGenerator(state: seed)
        let cuts = [0, events.count / 2, events.count] + (0..<4).map { _ in Int.random(in: 1..<events.count, using: &random) }
        for cut in cuts { try Self.checkRoundTrip(events, cut: cut) }
    }

    @Test func aFullStateHasEveryTableFilledAndItsBytesDoNotDependOnInsertionOrder() throws {
        let events = Self.generatedEvents(events: 2_500, seed: 9)
        var state = DomainState()
        for event in events {
            if case .success(let effect) = state.decide(event) { state.apply(event, effect: effect) }
        }
        let bytes = state.snapshotBytes()
        // Each table non-empty: the version byte plus five zero counts would be 6 bytes.
        #expect(bytes.count > 1_000)
        // Same state built again: hash-table iteration order is seeded per process run and per
        // table, so this also compares two differently ordered dictionaries.
        var again = DomainState()
        for event in events {
            if case .success(let effect) = again.decide(event) { again.apply(event, effect: effect) }
        }
        #expect(again.snapshotBytes() == bytes)
        #expect(DomainState().snapshotBytes() == [1, 0, 0, 0, 0, 0])
    }

    /// The worked example of docs/FORMAT.md, Part 3.
    @Test func theDocumentedExampleIsExact() throws {
        var state = DomainState()
        let created = Event(tenant: "acme", id: "e-1", at: Timestamp(microseconds: 0), actor: "u-1",
                            data: .subscriptionChanged(change: .created, plan: "basic", mrrCents: 100))
        let effect = try state.decide(created).get()
        state.apply(created, effect: effect)
        #expect(state.snapshotBytes() == [0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x04, 0x61, 0x63, 0x6d, 0x65, 0x01])
    }

    @Test func everyTruncationIsAThrownErrorNamingAnOffset() throws {
        let events = Self.generatedEvents(events: 400, seed: 3)
        var state = DomainState()
        for event in events {
            if case .success(let effect) = state.decide(event) { state.apply(event, effect: effect) }
        }
        let bytes = state.snapshotBytes()
        for length in 0..<bytes.count {
            do {
                _ = try bytes[..<length].withUnsafeBytes { try DomainState(snapshotBytes: $0) }
                Issue.record("a snapshot cut to \(length) of \(bytes.count) bytes was accepted")
            } catch let error as SnapshotError {
                #expect(error.offset >= 0 && error.offset <= length)
            }
        }
        var trailing = bytes
        trailing.append(0)
        #expect(throws: SnapshotError(offset: bytes.count, reason: "1 trailing bytes after the snapshot")) {
            try trailing.withUnsafeBytes { try DomainState(snapshotBytes: $0) }
        }
    }

    @Test func corruptedBytesNeverCrashAndWhatDecodesIsCanonical() throws {
        let events = Self.generatedEvents(events: 400, seed: 4)
        var state = DomainState()
        for event in events {
            if case .success(let effect) = state.decide(event) { state.apply(event, effect: effect) }
        }
        let bytes = state.snapshotBytes()
        var random = SeededGenerator(state: 44)
        var rejected = 0
        for _ in 0..<2_000 {
            var damaged = bytes
            let index = Int.random(in: 0..<damaged.count, using: &random)
            damaged[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            do {
                let decoded = try damaged.withUnsafeBytes { try DomainState(snapshotBytes: $0) }
                // A flip inside a number or a name can still be a valid state: then it must be canonical.
                #expect(decoded.snapshotBytes() == damaged)
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }

    @Test func malformedFieldsAreNamed() {
        func decode(_ bytes: [UInt8]) -> SnapshotError? {
            do {
                _ = try bytes.withUnsafeBytes { try DomainState(snapshotBytes: $0) }
                return nil
            } catch let error as SnapshotError {
                return error
            } catch {
                Issue.record("not a SnapshotError: \(error)")
                return nil
            }
        }
        #expect(decode([2, 0, 0, 0, 0, 0])?.reason.contains("version") == true)
        // Overlong varint for a zero count.
        #expect(decode([1, 0x80, 0x00, 0, 0, 0, 0])?.offset == 1)
        // Subscription tenant "a" with status 3 (unknown).
        #expect(decode([1, 0, 0, 0, 0, 1, 1, 0x61, 3])?.offset == 8)
        // Subscription tenants out of order: "b" then "a".
        #expect(decode([1, 0, 0, 0, 0, 2, 1, 0x62, 1, 1, 0x61, 1])?.offset == 9)
        // Invalid UTF-8 in a tenant.
        #expect(decode([1, 0, 0, 0, 0, 1, 1, 0xFF, 1])?.reason.contains("UTF-8") == true)
        // An order "t"/"o" assigned (3) without a writer.
        #expect(decode([1, 0, 0, 0, 1, 1, 0x74, 1, 0x6F, 3, 0, 0, 0, 0])?.reason.contains("no writer") == true)
        #expect(decode([1, 0, 0, 0, 1, 1, 0x74, 1, 0x6F, 1, 0, 0, 0, 0]) == nil)
    }
}
