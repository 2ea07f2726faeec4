import LedgerDomain
import LedgerEngine
import Testing

/// SplitMix64: a tiny deterministic generator, so a failing seed can be replayed.
struct RulesSeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Random histories offered to the decider (most events are refused), with the accepted ones
/// folded into every read model; the models must agree with each other and with the decider.
@Suite struct RulesRandomHistoryTests {
    static let seeds: [UInt64] = [1, 2, 3, 20_260_215]
    static let eventsPerHistory = 1500

    /// A random event over a small world (3 tenants, 4 workers, 6 orders, 4 invitations),
    /// business time drifting forward over about four months, sometimes back.
    static func randomEvent(_ random: inout RulesSeededGenerator, index: Int) -> Event {
        let tenant: Name = ["acme", "globex", "initech"][Int.random(in: 0..<3, using: &random)]
        let worker = Name("w-\(Int.random(in: 1...4, using: &random))")
        let order = Name("o-\(Int.random(in: 1...6, using: &random))")
        let invitation = Name("inv-\(Int.random(in: 1...4, using: &random))")
        let user = Name("u-\(Int.random(in: 1...5, using: &random))")
        let cents = Int64.random(in: 0...3, using: &random) * 2500
        let positive = Int64.random(in: 1...40, using: &random) * 500
        let hours = Int64(index) * 2 - Int64.random(in: 0...200, using: &random)
        let at = Timestamp(microseconds: RuleEvents.time("2026-01-01T00:00:00Z").microseconds + hours * 3_600_000_000)
        let month = Int32.random(in: 1...5, using: &random)
        let data: EventData
        switch Int.random(in: 0..<20, using: &random) {
        case 0:
            let expires = Timestamp(microseconds: at.microseconds + Int64.random(in: -2...10, using: &random) * 86_400_000_000)
            data = .invitationCreated(invitation: invitation, email: "x@example.com", role: Role.allCases.randomElement(using: &random)!, expiresAt: expires)
        case 1: data = .invitationAccepted(invitation: invitation, user: user)
        case 2: data = .invitationRevoked(invitation: invitation)
        case 3: data = .workerRateSet(worker: worker, fixedMonthlyCents: cents * 10)
        case 4: data = .orderPlaced(order: order, client: "c", title: "t", priceCents: positive)
        case 5: data = .orderAccepted(order: order, manager: "m")
        case 6, 7: data = .jobAssigned(order: order, writer: worker, feeCents: cents)
        case 8, 9: data = .orderSubmitted(order: order, submissions: Int64.random(in: 1...4, using: &random))
        case 10, 11: data = .orderApproved(order: order)
        case 12: data = .orderRejected(order: order, reason: "r")
        case 13: data = .orderCompleted(order: order)
        case 14: data = .orderCancelled(order: order, reason: "r")
        case 15: data = .bonusAdded(worker: worker, amountCents: positive, reason: "b")
        case 16: data = .fineIssued(worker: worker, amountCents: positive, reason: "f")
        case 17: data = .payoutPaid(worker: worker, amountCents: positive, reference: "p")
        case 18: data = .invoiceIssued(worker: worker, period: Period(year: 2026, month: month))
        default:
            data = .subscriptionChanged(change: SubscriptionChange.allCases.randomElement(using: &random)!, plan: "p", mrrCents: cents)
        }
        return Event(tenant: tenant, id: Name("e-\(index)"), at: at, actor: "u-admin", data: data)
    }

    @Test(arguments: seeds)
    func readModelsAgreeWithTheDeciderAndEachOther(seed: UInt64) throws {
        var random = RulesSeededGenerator(state: seed)
        var state = DomainState()
        var models = ReadModels()
        var balances = BalanceFold()
        var recorded: [RecordedEvent] = []
        var refusedCount = 0
        for index in 0..<Self.eventsPerHistory {
            let event = Self.randomEvent(&random, index: index)
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
