import LedgerDomain
import LedgerEngine
import LedgerTestSupport
import Testing

/// Random histories offered to the decider (most events are refused), with the accepted ones
/// folded into every read model; the models must agree with each other and with the decider.
@Suite struct RulesRandomHistoryTests {
    static let seeds: [UInt64] = [1, 2, 3, 20_260_215]
    static let eventsPerHistory = 1500

    /// A small world (3 tenants, 4 workers, 6 orders, 4 invitations), business time drifting
    /// forward two hours per event, sometimes back.
    static let world = RandomHistory(
        tenants: ["acme", "globex", "initech"], workers: ["w-1", "w-2", "w-3", "w-4"],
        ordersPerTenant: 6, invitationsPerTenant: 4, usersPerTenant: 5,
        spanHours: 2 * Int64(eventsPerHistory), hoursBackMax: 200, fractions: [0], invoiceMonths: 1...5)

    @Test(arguments: seeds)
    func readModelsAgreeWithTheDeciderAndEachOther(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        var state = DomainState()
        var models = ReadModels()
        var balances = BalanceFold()
        var recorded: [RecordedEvent] = []
        var refusedCount = 0
        for index in 0..<Self.eventsPerHistory {
            let event = Self.world.randomEvent(&random, index: index, offeredCount: Self.eventsPerHistory)
            guard case .success(let effect) = state.decide(event) else {
                refusedCount += 1
                continue
            }
            state.apply(event, effect: effect)
            let appended = RecordedEvent(position: UInt64(recorded.count + 1), event: event, effect: effect)
            recorded.append(appended)
            models.fold(appended)
            balances.fold(appended)
            let tenant = try #require(models.tenant(event.tenant))
            try Self.checkConsistency(tenant, state: state, balances: balances, seed: seed, position: appended.position)
        }
        // The history exercised both sides of the rules.
        #expect(refusedCount > Self.eventsPerHistory / 4, "seed \(seed)")
        #expect(recorded.count > Self.eventsPerHistory / 4, "seed \(seed)")
        #expect(recorded.contains { if case .approval = $0.effect { true } else { false } }, "seed \(seed)")
        #expect(recorded.contains { if case .invoice = $0.effect { true } else { false } }, "seed \(seed)")

        // As of a time after every event, or of the last position, the models are the full ones.
        let latest = recorded.map(\.event.at).max()!
        for asOf in [AsOf.time(latest), .position(UInt64(recorded.count))] {
            var bounded = ReadModels(asOf: asOf)
            for event in recorded { bounded.fold(event) }
            let outcomes: [ExpectedDump.LineOutcome] = []
            #expect(
                ExpectedDump.render(outcomes: outcomes, models: bounded) == ExpectedDump.render(outcomes: outcomes, models: models),
                "seed \(seed), \(asOf)")
        }
    }

    static func checkConsistency(
        _ tenant: TenantReadModels, state: DomainState, balances: BalanceFold, seed: UInt64, position: UInt64
    ) throws {
        let context = "seed \(seed), position \(position), tenant \(tenant.tenant)"
        #expect(balances.balances(tenant: tenant.tenant) == tenant.balances(), "\(context)")
        for balance in tenant.balances() {
            #expect(state.availableCents(tenant: tenant.tenant, worker: balance.worker) == balance.availableCents, "\(context)")
            #expect(tenant.journalBalance(of: .workerAvailable(balance.worker)) ?? 0 == balance.availableCents, "\(context)")
            #expect(tenant.journalBalance(of: .workerPending(balance.worker)) ?? 0 == balance.pendingCents, "\(context)")
            #expect(balance.pendingCents >= 0, "\(context)")
        }
        // The invoices and the journal count the same money.
        let invoices = tenant.invoices()
        let journal = { (account: JournalAccount) in tenant.journalBalance(of: account) ?? 0 }
        #expect(-journal(.expenseWork) == invoices.reduce(0) { $0 + $1.workPayCents }, "\(context)")
        #expect(-journal(.expenseBonus) == invoices.reduce(0) { $0 + $1.bonusCents }, "\(context)")
        #expect(journal(.incomeFines) == invoices.reduce(0) { $0 + $1.fineCents }, "\(context)")
        let frozen = invoices.filter { $0.status == .issued }.reduce(0) { $0 + $1.fixedPayCents }
        #expect(-journal(.expenseFixed) == frozen, "\(context)")
        #expect(tenant.journalAccounts().reduce(0) { $0 + $1.balanceCents } == 0, "\(context)")
        #expect(tenant.auditTrail().count == tenant.auditCount, "\(context)")
    }
}
