import LedgerDomain
import LedgerEngine
import LedgerTestSupport
import Testing

/// The read models survive snapshot bytes: models decoded at a cut and folded on give what a
/// fold of the whole history gives; malformed bytes throw, never crash.
@Suite struct ReadModelSnapshotTests {
    /// The appended events of a generated history, with the effects the decider fixed.
    static func recorded(events: Int, seed: UInt64) -> [RecordedEvent] {
        var state = DomainState()
        var recorded: [RecordedEvent] = []
        for event in SnapshotCodecTests.generatedEvents(events: events, seed: seed) {
            guard case .success(let effect) = state.decide(event) else { continue }
            state.apply(event, effect: effect)
            recorded.append(RecordedEvent(position: UInt64(recorded.count + 1), event: event, effect: effect))
        }
        return recorded
    }

    static func fold(_ recorded: ArraySlice<RecordedEvent>, into models: inout ReadModels) {
        for event in recorded { models.fold(event) }
    }

    /// Every read model but the history lists, rendered.
    static func render(_ models: ReadModels) -> String {
        ExpectedDump.render(outcomes: [], models: models)
    }

    /// Decodes models at `cut` (from a fold without histories), folds the rest, and compares
    /// with folds of everything, with and without histories.
    static func checkCut(_ recorded: [RecordedEvent], cut: Int, asOf: AsOf = .end, _ context: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        var before = ReadModels(asOf: .end, keepsHistories: false)
        fold(recorded[..<cut], into: &before)
        let balanceBytes = before.balanceSnapshotBytes()
        let stateBytes = before.stateSnapshotBytes()
        var restored = try balanceBytes.withUnsafeBytes { balances in
            try stateBytes.withUnsafeBytes { state in
                try ReadModels(asOf: asOf, lastPosition: UInt64(cut), balanceSnapshot: balances, stateSnapshot: state)
            }
        }
        #expect(!restored.keepsHistories, sourceLocation: sourceLocation)
        if asOf == .end {
            let sameBytes = restored.balanceSnapshotBytes() == balanceBytes && restored.stateSnapshotBytes() == stateBytes
            #expect(sameBytes, "\(context), cut \(cut): bytes change after a round trip", sourceLocation: sourceLocation)
        }
        fold(recorded[cut...], into: &restored)
        var whole = ReadModels(asOf: asOf, keepsHistories: false)
        fold(recorded[...], into: &whole)
        #expect(render(restored) == render(whole), "\(context), cut \(cut), \(asOf): models differ", sourceLocation: sourceLocation)

        var balances = try balanceBytes.withUnsafeBytes { try BalanceFold(asOf: asOf, lastPosition: UInt64(cut), balanceSnapshot: $0) }
        var wholeBalances = BalanceFold(asOf: asOf)
        for event in recorded[cut...] { balances.fold(event) }
        for event in recorded { wholeBalances.fold(event) }
        let sameBalances = wholeBalances.tenants.allSatisfy { balances.balances(tenant: $0) == wholeBalances.balances(tenant: $0) }
            && balances.count == wholeBalances.count
        #expect(sameBalances, "\(context), cut \(cut): balances differ", sourceLocation: sourceLocation)
    }

    @Test func theSampleRoundTripsAtEveryPosition() throws {
        let recorded = try SampleHistory.run().recorded
        for cut in 0...recorded.count { try Self.checkCut(recorded, cut: cut, "sample") }
    }

    @Test(arguments: [UInt64(3), 4, 5])
    func generatedHistoriesRoundTripAtRandomCuts(seed: UInt64) throws {
        let recorded = Self.recorded(events: 3_000, seed: seed)
        var random = SeededGenerator(state: seed)
        for _ in 0..<20 { try Self.checkCut(recorded, cut: Int.random(in: 0...recorded.count, using: &random), "seed \(seed)") }
    }

    @Test(arguments: [UInt64(6), 7])
    func asOfATimeAfterEveryEventOfTheCutMatchesAFoldAsOfThatTime(seed: UInt64) throws {
        let recorded = Self.recorded(events: 2_000, seed: seed)
        var random = SeededGenerator(state: seed)
        for _ in 0..<10 {
            let cut = Int.random(in: 1...recorded.count, using: &random)
            let latest = recorded[..<cut].map(\.event.at.microseconds).max()!
            let time = Timestamp(microseconds: latest + Int64.random(in: 0...(5 * 86_400_000_000), using: &random))
            try Self.checkCut(recorded, cut: cut, asOf: .time(time), "seed \(seed)")
        }
    }

    @Test func withoutHistoriesTheListsStayEmptyAndEverythingElseIsTheSame() throws {
        let recorded = Self.recorded(events: 1_500, seed: 9)
        var with = ReadModels()
        var without = ReadModels(keepsHistories: false)
        Self.fold(recorded[...], into: &with)
        Self.fold(recorded[...], into: &without)
        var audited = 0
        for name in with.tenants {
            let full = with.tenant(name)!
            let light = without.tenant(name)!
            #expect(light.auditTrail().isEmpty && light.journalTransfers.isEmpty)
            #expect(light.orders().allSatisfy { $0.history.isEmpty })
            #expect(light.auditCount == full.auditTrail().count)
            audited += light.auditCount
            #expect(light.orders().map(\.order) == full.orders().map(\.order))
            #expect(light.balances() == full.balances() && light.invoices() == full.invoices())
            #expect(light.journalAccounts() == full.journalAccounts() && light.subscription == full.subscription)
        }
        #expect(audited == recorded.count)
        #expect(with.stateSnapshotBytes() == without.stateSnapshotBytes(), "histories are not part of a snapshot")
    }

    @Test func damagedBytesThrowAndNeverCrash() throws {
        let recorded = Array(try SampleHistory.run().recorded)
        var models = ReadModels(keepsHistories: false)
        Self.fold(recorded[...], into: &models)
        let balanceBytes = models.balanceSnapshotBytes()
        let stateBytes = models.stateSnapshotBytes()
        let position = UInt64(recorded.count)
        func decode(_ balances: [UInt8], _ state: [UInt8]) -> Bool {
            do {
                _ = try balances.withUnsafeBytes { balance in
                    try state.withUnsafeBytes { try ReadModels(asOf: .end, lastPosition: position, balanceSnapshot: balance, stateSnapshot: $0) }
                }
                _ = try balances.withUnsafeBytes { try BalanceFold(asOf: .end, lastPosition: position, balanceSnapshot: $0) }
                return true
            } catch let error as SnapshotError {
                #expect(error.offset >= 0 && !error.reason.isEmpty)
                return false
            } catch {
                Issue.record("not a SnapshotError: \(error)")
                return false
            }
        }
        #expect(decode(balanceBytes, stateBytes))
        var random = SeededGenerator(state: 2_026)
        var refused = 0
        for _ in 0..<2_000 {
            var balances = balanceBytes
            var state = stateBytes
            if Bool.random(using: &random) {
                balances[Int.random(in: 0..<balances.count, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random)
            } else {
                state[Int.random(in: 0..<state.count, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random)
            }
            if !decode(balances, state) { refused += 1 }
        }
        #expect(refused > 1_000, "most flips must be caught by the strict decoder (\(refused))")
        for length in 0..<stateBytes.count { #expect(!decode(balanceBytes, Array(stateBytes[..<length])), "state cut at \(length)") }
        for length in 0..<balanceBytes.count { #expect(!decode(Array(balanceBytes[..<length]), stateBytes), "balances cut at \(length)") }
        #expect(!decode(balanceBytes, stateBytes + [0]), "trailing bytes")
        // Audit counts must add up to the snapshot's position.
        let wrongPosition = stateBytes.withUnsafeBytes { state in
            balanceBytes.withUnsafeBytes { balance in
                (try? ReadModels(asOf: .end, lastPosition: position + 1, balanceSnapshot: balance, stateSnapshot: state)) == nil
            }
        }
        #expect(wrongPosition)
    }
}
