import LedgerDomain
import LedgerEngine
import Testing

/// Builds events for rule tests: business time in canonical text, tenant `acme` by default.
enum RuleEvents {
    static func time(_ text: String) -> Timestamp {
        Timestamp(parsing: text.utf8)!
    }

    static func event(_ data: EventData, at: String = "2026-01-10T10:00:00Z", tenant: Name = "acme", actor: Name = "u-admin")
        -> Event
    {
        Event(tenant: tenant, id: "e-test", at: time(at), actor: actor, data: data)
    }

    // Histories shared by several cases.
    static let invitation = event(
        .invitationCreated(invitation: "inv-1", email: "w1@acme.example", role: .writer, expiresAt: time("2026-01-09T09:00:00Z")),
        at: "2026-01-02T09:00:00Z")
    static let placed = event(.orderPlaced(order: "o-1", client: "u-c1", title: "Essay", priceCents: 50000), at: "2026-01-06T08:00:00Z")
    static let accepted = event(.orderAccepted(order: "o-1", manager: "u-m1"), at: "2026-01-06T09:00:00Z")
    static let assigned = event(.jobAssigned(order: "o-1", writer: "w-1", feeCents: 20000), at: "2026-01-06T09:05:00Z")
    static let submitted = event(.orderSubmitted(order: "o-1", submissions: 3), at: "2026-01-08T17:00:00Z")
    static let approved = event(.orderApproved(order: "o-1"), at: "2026-01-09T10:00:00Z")
    static let rejected = event(.orderRejected(order: "o-1", reason: "Needs sources"), at: "2026-01-09T10:00:00Z")
    static let completed = event(.orderCompleted(order: "o-1"), at: "2026-01-10T10:00:00Z")
    static let cancelled = event(.orderCancelled(order: "o-1", reason: "Withdrawn"), at: "2026-01-10T10:00:00Z")
    static let issuedJanuary = event(
        .invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1)), at: "2026-02-01T08:00:00Z")
    static func subscription(_ change: SubscriptionChange) -> Event {
        event(.subscriptionChanged(change: change, plan: "team", mrrCents: 9900))
    }
}

/// What the decider must answer for a case's last event.
enum RuleExpectation: Sendable {
    /// Refused with code `rule` and a message containing this text.
    case refused(String)
    /// Accepted with this fixed effect.
    case accepted(Effect)
}

struct RuleCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// Applied first; every event of it must be accepted.
    var history: [Event]
    var event: Event
    var expectation: RuleExpectation
    var testDescription: String { name }
}

@Suite struct RulesTests {
    static let refusals: [RuleCase] = [
        // Access
        RuleCase(
            name: "invitation.created refused when the invitation id exists", history: [RuleEvents.invitation],
            event: RuleEvents.event(.invitationCreated(invitation: "inv-1", email: "x@acme.example", role: .client, expiresAt: RuleEvents.time("2026-03-01T00:00:00Z"))),
            expectation: .refused("invitation inv-1 already exists")),
        RuleCase(
            name: "invitation.accepted refused for an unknown invitation", history: [],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-99", user: "w-9")), expectation: .refused("inv-99 is unknown")),
        RuleCase(
            name: "invitation.accepted refused when already accepted",
            history: [RuleEvents.invitation, RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-01-03T10:00:00Z")],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-9"), at: "2026-01-04T10:00:00Z"),
            expectation: .refused("inv-1 is accepted, not pending")),
        RuleCase(
            name: "invitation.accepted refused when revoked",
            history: [RuleEvents.invitation, RuleEvents.event(.invitationRevoked(invitation: "inv-1"), at: "2026-01-03T10:00:00Z")],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-01-04T10:00:00Z"),
            expectation: .refused("inv-1 is revoked, not pending")),
        RuleCase(
            name: "invitation.accepted refused when at equals expires_at", history: [RuleEvents.invitation],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-01-09T09:00:00Z"),
            expectation: .refused("expired at 2026-01-09T09:00:00Z")),
        RuleCase(
            name: "invitation.accepted refused when at is after expires_at", history: [RuleEvents.invitation],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-02-09T09:00:00Z"),
            expectation: .refused("expired")),
        RuleCase(
            name: "invitation.accepted refused when the user is already registered",
            history: [
                RuleEvents.invitation,
                RuleEvents.event(.invitationCreated(invitation: "inv-2", email: "w2@acme.example", role: .manager, expiresAt: RuleEvents.time("2026-01-20T00:00:00Z"))),
                RuleEvents.event(.invitationAccepted(invitation: "inv-2", user: "w-1"), at: "2026-01-03T10:00:00Z"),
            ],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-01-04T10:00:00Z"),
            expectation: .refused("user w-1 is already registered")),
        RuleCase(
            name: "invitation.revoked refused for an unknown invitation", history: [],
            event: RuleEvents.event(.invitationRevoked(invitation: "inv-98")), expectation: .refused("inv-98 is unknown")),
        RuleCase(
            name: "invitation.revoked refused when accepted",
            history: [RuleEvents.invitation, RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-01-03T10:00:00Z")],
            event: RuleEvents.event(.invitationRevoked(invitation: "inv-1")), expectation: .refused("inv-1 is accepted, not pending")),
        RuleCase(
            name: "invitation.revoked refused when already revoked",
            history: [RuleEvents.invitation, RuleEvents.event(.invitationRevoked(invitation: "inv-1"))],
            event: RuleEvents.event(.invitationRevoked(invitation: "inv-1")), expectation: .refused("inv-1 is revoked, not pending")),

        // Orders
        RuleCase(
            name: "order.placed refused when the order exists", history: [RuleEvents.placed],
            event: RuleEvents.event(.orderPlaced(order: "o-1", client: "u-c1", title: "Again", priceCents: 100)),
            expectation: .refused("order o-1 already exists")),
        RuleCase(
            name: "order.accepted refused for an unknown order", history: [],
            event: RuleEvents.event(.orderAccepted(order: "o-404", manager: "u-m1")), expectation: .refused("order o-404 is unknown")),
        RuleCase(
            name: "order.accepted refused when not placed", history: [RuleEvents.placed, RuleEvents.accepted],
            event: RuleEvents.event(.orderAccepted(order: "o-1", manager: "u-m2")), expectation: .refused("order o-1 is accepted")),
        RuleCase(
            name: "job.assigned refused for an unknown order", history: [],
            event: RuleEvents.event(.jobAssigned(order: "o-404", writer: "w-1", feeCents: 100)), expectation: .refused("order o-404 is unknown")),
        RuleCase(
            name: "job.assigned refused when submitted", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted],
            event: RuleEvents.event(.jobAssigned(order: "o-1", writer: "w-2", feeCents: 100)), expectation: .refused("order o-1 is submitted")),
        RuleCase(
            name: "job.assigned refused when approved", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved],
            event: RuleEvents.event(.jobAssigned(order: "o-1", writer: "w-2", feeCents: 100)), expectation: .refused("order o-1 is approved")),
        RuleCase(
            name: "job.assigned refused when completed",
            history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved, RuleEvents.completed],
            event: RuleEvents.event(.jobAssigned(order: "o-1", writer: "w-2", feeCents: 100)), expectation: .refused("order o-1 is completed")),
        RuleCase(
            name: "job.assigned refused when cancelled", history: [RuleEvents.placed, RuleEvents.cancelled],
            event: RuleEvents.event(.jobAssigned(order: "o-1", writer: "w-2", feeCents: 100)), expectation: .refused("order o-1 is cancelled")),
        RuleCase(
            name: "order.submitted refused for an unknown order", history: [],
            event: RuleEvents.event(.orderSubmitted(order: "o-404", submissions: 1)), expectation: .refused("order o-404 is unknown")),
        RuleCase(
            name: "order.submitted refused when placed", history: [RuleEvents.placed],
            event: RuleEvents.event(.orderSubmitted(order: "o-1", submissions: 1)), expectation: .refused("order o-1 is placed")),
        RuleCase(
            name: "order.submitted refused when accepted", history: [RuleEvents.placed, RuleEvents.accepted],
            event: RuleEvents.event(.orderSubmitted(order: "o-1", submissions: 1)), expectation: .refused("order o-1 is accepted")),
        RuleCase(
            name: "order.submitted refused when already submitted", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted],
            event: RuleEvents.event(.orderSubmitted(order: "o-1", submissions: 2)), expectation: .refused("order o-1 is submitted")),
        RuleCase(
            name: "order.approved refused for an unknown order", history: [],
            event: RuleEvents.event(.orderApproved(order: "o-404")), expectation: .refused("order o-404 is unknown")),
        RuleCase(
            name: "order.approved refused when not submitted", history: [RuleEvents.placed, RuleEvents.assigned],
            event: RuleEvents.event(.orderApproved(order: "o-1")), expectation: .refused("order o-1 is assigned")),
        RuleCase(
            name: "order.approved refused when already approved", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved],
            event: RuleEvents.event(.orderApproved(order: "o-1")), expectation: .refused("order o-1 is approved")),
        RuleCase(
            name: "order.approved refused when the writer's invoice for its period is issued",
            history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.issuedJanuary],
            event: RuleEvents.event(.orderApproved(order: "o-1"), at: "2026-01-31T23:00:00Z"),
            expectation: .refused("invoice of worker w-1 for 2026-01 is already issued")),
        RuleCase(
            name: "order.rejected refused for an unknown order", history: [],
            event: RuleEvents.event(.orderRejected(order: "o-404", reason: "x")), expectation: .refused("order o-404 is unknown")),
        RuleCase(
            name: "order.rejected refused when not submitted", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved],
            event: RuleEvents.event(.orderRejected(order: "o-1", reason: "x")), expectation: .refused("order o-1 is approved")),
        RuleCase(
            name: "order.completed refused for an unknown order", history: [],
            event: RuleEvents.event(.orderCompleted(order: "o-404")), expectation: .refused("order o-404 is unknown")),
        RuleCase(
            name: "order.completed refused when not approved", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted],
            event: RuleEvents.event(.orderCompleted(order: "o-1")), expectation: .refused("order o-1 is submitted")),
        RuleCase(
            name: "order.cancelled refused for an unknown order", history: [],
            event: RuleEvents.event(.orderCancelled(order: "o-404", reason: "x")), expectation: .refused("order o-404 is unknown")),
        RuleCase(
            name: "order.cancelled refused when approved", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved],
            event: RuleEvents.event(.orderCancelled(order: "o-1", reason: "x")), expectation: .refused("order o-1 is approved")),
        RuleCase(
            name: "order.cancelled refused when completed",
            history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved, RuleEvents.completed],
            event: RuleEvents.event(.orderCancelled(order: "o-1", reason: "x")), expectation: .refused("order o-1 is completed")),
        RuleCase(
            name: "order.cancelled refused when already cancelled", history: [RuleEvents.placed, RuleEvents.cancelled],
            event: RuleEvents.event(.orderCancelled(order: "o-1", reason: "x")), expectation: .refused("order o-1 is cancelled")),

        // Money adjustments
        RuleCase(
            name: "bonus.added refused when the worker's invoice for its period is issued", history: [RuleEvents.issuedJanuary],
            event: RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 2000, reason: "Late praise"), at: "2026-01-31T12:00:00Z"),
            expectation: .refused("invoice of worker w-1 for 2026-01 is already issued")),
        RuleCase(
            name: "fine.issued refused when the worker's invoice for its period is issued", history: [RuleEvents.issuedJanuary],
            event: RuleEvents.event(.fineIssued(worker: "w-1", amountCents: 1000, reason: "Late"), at: "2026-01-20T12:00:00Z"),
            expectation: .refused("invoice of worker w-1 for 2026-01 is already issued")),
        RuleCase(
            name: "payout.paid refused for a worker with no money", history: [],
            event: RuleEvents.event(.payoutPaid(worker: "w-7", amountCents: 1, reference: "PO-1")),
            expectation: .refused("payout of 1 cents exceeds available 0 for worker w-7")),
        RuleCase(
            name: "payout.paid refused above available",
            history: [RuleEvents.event(.bonusAdded(worker: "w-17", amountCents: 9000, reason: "x"))],
            event: RuleEvents.event(.payoutPaid(worker: "w-17", amountCents: 12000, reference: "PO-1")),
            expectation: .refused("payout of 12000 cents exceeds available 9000 for worker w-17")),
        RuleCase(
            name: "payout.paid refused when fines drove the balance negative",
            history: [
                RuleEvents.event(.bonusAdded(worker: "w-2", amountCents: 5000, reason: "x")),
                RuleEvents.event(.fineIssued(worker: "w-2", amountCents: 13000, reason: "x")),
            ],
            event: RuleEvents.event(.payoutPaid(worker: "w-2", amountCents: 1000, reference: "PO-2")),
            expectation: .refused("exceeds available -8000 for worker w-2")),
        RuleCase(
            name: "payout.paid refused for pending money (approved, not completed)",
            history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved],
            event: RuleEvents.event(.payoutPaid(worker: "w-1", amountCents: 1, reference: "PO-3")),
            expectation: .refused("exceeds available 0 for worker w-1")),

        // Invoices
        RuleCase(
            name: "invoice.issued refused when already issued", history: [RuleEvents.issuedJanuary],
            event: RuleEvents.event(.invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1)), at: "2026-02-01T08:05:00Z"),
            expectation: .refused("invoice of worker w-1 for 2026-01 is already issued")),
        RuleCase(
            name: "invoice.issued refused in its own period", history: [],
            event: RuleEvents.event(.invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 2)), at: "2026-02-28T18:00:00Z"),
            expectation: .refused("period 2026-02 has not ended")),
        RuleCase(
            name: "invoice.issued refused one microsecond before its period ends", history: [],
            event: RuleEvents.event(.invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1)), at: "2026-01-31T23:59:59.999999Z"),
            expectation: .refused("period 2026-01 has not ended: invoice.issued at 2026-01-31T23:59:59.999999Z is in 2026-01")),
        RuleCase(
            name: "invoice.issued refused for a later period", history: [],
            event: RuleEvents.event(.invoiceIssued(worker: "w-2", period: Period(year: 2026, month: 3)), at: "2026-02-01T08:06:00Z"),
            expectation: .refused("period 2026-03 has not ended")),
        RuleCase(
            name: "invoice.issued refused before the end of a leap February", history: [],
            event: RuleEvents.event(.invoiceIssued(worker: "w-1", period: Period(year: 2024, month: 2)), at: "2024-02-29T23:59:59.5Z"),
            expectation: .refused("period 2024-02 has not ended")),

        // Subscription
        RuleCase(
            name: "subscription created refused when one exists", history: [RuleEvents.subscription(.created)],
            event: RuleEvents.subscription(.created), expectation: .refused("already created")),
        RuleCase(
            name: "subscription created refused when cancelled", history: [RuleEvents.subscription(.created), RuleEvents.subscription(.cancelled)],
            event: RuleEvents.subscription(.created), expectation: .refused("already created")),
        RuleCase(
            name: "subscription upgraded refused before created", history: [],
            event: RuleEvents.subscription(.upgraded), expectation: .refused("upgraded before the subscription is created")),
        RuleCase(
            name: "subscription downgraded refused before created", history: [],
            event: RuleEvents.subscription(.downgraded), expectation: .refused("downgraded before the subscription is created")),
        RuleCase(
            name: "subscription cancelled refused before created", history: [],
            event: RuleEvents.subscription(.cancelled), expectation: .refused("cancelled before the subscription is created")),
        RuleCase(
            name: "subscription reactivated refused before created", history: [],
            event: RuleEvents.subscription(.reactivated), expectation: .refused("reactivated before the subscription is created")),
        RuleCase(
            name: "subscription cancelled refused when cancelled", history: [RuleEvents.subscription(.created), RuleEvents.subscription(.cancelled)],
            event: RuleEvents.subscription(.cancelled), expectation: .refused("already cancelled")),
        RuleCase(
            name: "subscription upgraded refused when cancelled", history: [RuleEvents.subscription(.created), RuleEvents.subscription(.cancelled)],
            event: RuleEvents.subscription(.upgraded), expectation: .refused("cancelled: it cannot be upgraded")),
        RuleCase(
            name: "subscription downgraded refused when cancelled", history: [RuleEvents.subscription(.created), RuleEvents.subscription(.cancelled)],
            event: RuleEvents.subscription(.downgraded), expectation: .refused("cancelled: it cannot be downgraded")),
        RuleCase(
            name: "subscription reactivated refused when active", history: [RuleEvents.subscription(.created)],
            event: RuleEvents.subscription(.reactivated), expectation: .refused("subscription is active")),
    ]

    static let acceptances: [RuleCase] = [
        RuleCase(
            name: "acceptance one microsecond before expiry grants the invitation's role", history: [RuleEvents.invitation],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-01-09T08:59:59.999999Z"),
            expectation: .accepted(.acceptance(role: .writer))),
        RuleCase(
            name: "acceptance dated before the invitation's creation is judged in log order", history: [RuleEvents.invitation],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-2"), at: "2025-12-31T00:00:00Z"),
            expectation: .accepted(.acceptance(role: .writer))),
        RuleCase(
            name: "a worker known from money events can register",
            history: [RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 100, reason: "x")), RuleEvents.invitation],
            event: RuleEvents.event(.invitationAccepted(invitation: "inv-1", user: "w-1"), at: "2026-01-03T00:00:00Z"),
            expectation: .accepted(.acceptance(role: .writer))),
        RuleCase(
            name: "an expired pending invitation can still be revoked", history: [RuleEvents.invitation],
            event: RuleEvents.event(.invitationRevoked(invitation: "inv-1"), at: "2026-03-10T13:00:00Z"), expectation: .accepted(.none)),
        RuleCase(
            name: "the same invitation id in another tenant is another invitation", history: [RuleEvents.invitation],
            event: RuleEvents.event(
                .invitationCreated(invitation: "inv-1", email: "w1@globex.example", role: .client, expiresAt: RuleEvents.time("2026-03-01T00:00:00Z")),
                tenant: "globex"),
            expectation: .accepted(.none)),
        RuleCase(
            name: "order ids are compared without Unicode normalisation",
            history: [RuleEvents.event(.orderPlaced(order: "\u{E9}", client: "u-c1", title: "", priceCents: 0))],
            event: RuleEvents.event(.orderPlaced(order: "e\u{301}", client: "u-c1", title: "", priceCents: 0)), expectation: .accepted(.none)),
        RuleCase(
            name: "an approval fixes the latest assignment's writer and fee and the submissions",
            history: [
                RuleEvents.placed, RuleEvents.event(.jobAssigned(order: "o-1", writer: "w-2", feeCents: 15000)), RuleEvents.assigned, RuleEvents.submitted,
                RuleEvents.rejected, RuleEvents.event(.orderSubmitted(order: "o-1", submissions: 4)),
            ],
            event: RuleEvents.approved, expectation: .accepted(.approval(writer: "w-1", feeCents: 20000, submissions: 4))),
        RuleCase(
            name: "an approval in a period whose invoice is not issued is accepted",
            history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.issuedJanuary],
            event: RuleEvents.event(.orderApproved(order: "o-1"), at: "2026-02-06T09:00:00Z"),
            expectation: .accepted(.approval(writer: "w-1", feeCents: 20000, submissions: 3))),
        RuleCase(
            name: "a completion moves the approved writer's fee",
            history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved],
            event: RuleEvents.completed, expectation: .accepted(.completion(writer: "w-1", feeCents: 20000))),
        RuleCase(
            name: "a rejected order can be reassigned", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.rejected],
            event: RuleEvents.event(.jobAssigned(order: "o-1", writer: "w-6", feeCents: 6500)), expectation: .accepted(.none)),
        RuleCase(
            name: "a rejected order can be cancelled", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.rejected],
            event: RuleEvents.cancelled, expectation: .accepted(.none)),
        RuleCase(
            name: "a submitted order can be cancelled", history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted],
            event: RuleEvents.cancelled, expectation: .accepted(.none)),
        RuleCase(
            name: "a payout of exactly the available balance is accepted",
            history: [RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved, RuleEvents.completed],
            event: RuleEvents.event(.payoutPaid(worker: "w-1", amountCents: 20000, reference: "PO-1")), expectation: .accepted(.none)),
        RuleCase(
            name: "an invoice at the first instant of the next month freezes the rate in effect",
            history: [
                RuleEvents.event(.workerRateSet(worker: "w-1", fixedMonthlyCents: 100000)),
                RuleEvents.event(.workerRateSet(worker: "w-1", fixedMonthlyCents: 150000), at: "2026-01-20T00:00:00Z"),
            ],
            event: RuleEvents.event(.invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1)), at: "2026-02-01T00:00:00Z"),
            expectation: .accepted(.invoice(fixedPayCents: 150000))),
        RuleCase(
            name: "an invoice for a worker without a rate freezes 0", history: [],
            event: RuleEvents.event(.invoiceIssued(worker: "w-5", period: Period(year: 2025, month: 12)), at: "2026-01-01T00:00:00Z"),
            expectation: .accepted(.invoice(fixedPayCents: 0))),
        RuleCase(
            name: "a bonus in another period than the issued invoice is accepted", history: [RuleEvents.issuedJanuary],
            event: RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 3000, reason: "x"), at: "2026-02-01T00:00:00Z"),
            expectation: .accepted(.none)),
        RuleCase(
            name: "a cancelled subscription can be reactivated", history: [RuleEvents.subscription(.created), RuleEvents.subscription(.cancelled)],
            event: RuleEvents.subscription(.reactivated), expectation: .accepted(.none)),
        RuleCase(
            name: "an active subscription can be cancelled", history: [RuleEvents.subscription(.created), RuleEvents.subscription(.upgraded)],
            event: RuleEvents.subscription(.cancelled), expectation: .accepted(.none)),
    ]

    @Test(arguments: refusals + acceptances)
    func decide(_ ruleCase: RuleCase) throws {
        var state = DomainState()
        for event in ruleCase.history {
            let effect = try state.decide(event).get()
            state.apply(event, effect: effect)
        }
        let decision = state.decide(ruleCase.event)
        switch (ruleCase.expectation, decision) {
        case (.refused(let fragment), .failure(let refusal)):
            #expect(refusal.code == .rule)
            #expect(refusal.message.contains(fragment), "message: \(refusal.message)")
        case (.accepted(let expected), .success(let effect)):
            #expect(effect == expected)
        case (_, .success(let effect)):
            Issue.record("accepted with \(effect), expected a refusal")
        case (_, .failure(let refusal)):
            Issue.record("refused: \(refusal), expected acceptance")
        }
    }

    @Test func refusedEventsLeaveTheStateUnchanged() throws {
        // A refused payout is not applied: the same payout is judged again against the same balance.
        var state = DomainState()
        let bonus = RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 9000, reason: "x"))
        state.apply(bonus, effect: try state.decide(bonus).get())
        let payout = RuleEvents.event(.payoutPaid(worker: "w-1", amountCents: 9001, reference: "PO"))
        #expect(throws: Refusal.self) { try state.decide(payout).get() }
        #expect(state.availableCents(tenant: "acme", worker: "w-1") == 9000)
        #expect(state.availableCents(tenant: "globex", worker: "w-1") == 0)
    }

    @Test func availableBalanceFollowsEveryMovement() throws {
        var state = DomainState()
        let events = [
            RuleEvents.event(.workerRateSet(worker: "w-1", fixedMonthlyCents: 100000)),
            RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved,
            RuleEvents.event(.fineIssued(worker: "w-1", amountCents: 1000, reason: "x")),
            RuleEvents.completed,
            RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 500, reason: "x")),
            RuleEvents.issuedJanuary,
            RuleEvents.event(.payoutPaid(worker: "w-1", amountCents: 19500, reference: "PO"), at: "2026-02-02T00:00:00Z"),
        ]
        for event in events {
            state.apply(event, effect: try state.decide(event).get())
        }
        // 20000 fee - 1000 fine + 500 bonus + 100000 fixed pay - 19500 payout
        #expect(state.availableCents(tenant: "acme", worker: "w-1") == 100000)
        #expect(state.availableCents(tenant: "globex", worker: "w-1") == 0)
    }
}
