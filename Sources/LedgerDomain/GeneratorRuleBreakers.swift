/// Rule breakers: well-formed events with a fresh id that EVENTS.md section 3 refuses
/// (`rule`) given the state the model knows. Each one reads the model and changes
/// nothing; its id is borrowed, so the next valid event of the tenant reuses it.
extension HistoryGenerator {
    mutating func writeRuleBreaker() {
        let tenant = pickTenant()
        guard tenants[tenant].subscription != .none else {
            writeSubscriptionOutOfOrder(tenant)
            return
        }
        switch random.below(7) {
        case 0: writePayoutAboveAvailable(tenant)
        case 1: writeApprovalOfUnsubmittedOrder(tenant)
        case 2: writeInvoiceIssuedTwice(tenant)
        case 3: writeInvoiceForOpenPeriod(tenant)
        case 4: writeAcceptanceOfRevokedInvitation(tenant)
        case 5: writeAdjustmentInIssuedPeriod(tenant)
        default: writeSubscriptionOutOfOrder(tenant)
        }
    }

    /// More than the worker's available balance (which may be zero or negative).
    private mutating func writePayoutAboveAvailable(_ tenant: Int) {
        lastLineKind = .payoutAboveAvailable
        let worker = max(pickWorker(tenant), 1)
        let available = worker <= tenants[tenant].workers.count ? tenants[tenant].workers[worker - 1].availableCents : 0
        let amount = max(available, 0) + Int64(random.inRange(1...50_000))
        writePayoutLine(tenant, worker: worker, amount: amount, usesID: false)
    }

    /// An open order in any state but `submitted`, else the last closed one, else an
    /// order that was never placed (`o-0`).
    private mutating func writeApprovalOfUnsubmittedOrder(_ tenant: Int) {
        lastLineKind = .approvalOfUnsubmittedOrder
        var order = GeneratorOrder(number: tenants[tenant].lastClosedOrderNumber, state: .placed, client: 1, priceCents: 0)
        let openCount = tenants[tenant].openOrders.count
        if openCount > 0 {
            let candidate = tenants[tenant].openOrders[random.below(openCount)]
            if candidate.state != .submitted { order = candidate }
        }
        writeOrderApprovedLine(tenant, order: order.number, manager: order.manager, client: order.client, usesID: false)
    }

    private mutating func writeInvoiceIssuedTwice(_ tenant: Int) {
        let (worker, month) = tenants[tenant].lastIssuedInvoice
        guard worker != 0 else {
            writeInvoiceForOpenPeriod(tenant)
            return
        }
        lastLineKind = .invoiceIssuedTwice
        writeInvoiceLine(tenant, worker: worker, periodOrdinal: firstMonthOrdinal + Int64(month), usesID: false)
    }

    /// The month of the line's own `at`, or the next one: neither has ended.
    private mutating func writeInvoiceForOpenPeriod(_ tenant: Int) {
        lastLineKind = .invoiceForOpenPeriod
        let worker = max(pickWorker(tenant), 1)
        let period = DomainCalendar.monthOrdinal(lineAt) + Int64(random.below(2))
        writeInvoiceLine(tenant, worker: worker, periodOrdinal: period, usesID: false)
    }

    /// The last revoked invitation, else the last accepted one, else one never created
    /// (`inv-0`): none of them is pending.
    private mutating func writeAcceptanceOfRevokedInvitation(_ tenant: Int) {
        lastLineKind = .acceptanceOfRevokedInvitation
        var invitation = tenants[tenant].lastRevokedInvitationNumber
        if invitation == 0 { invitation = tenants[tenant].lastAcceptedInvitationNumber }
        // A user id nobody has: the refusal must come from the invitation alone.
        let user = tenants[tenant].clientCount + 1
        writeAcceptance(tenant, invitation: invitation, userPrefix: "u-client-", userNumber: user, usesID: false)
    }

    /// A bonus or a fine dated in the month of the last issued invoice, for its worker.
    private mutating func writeAdjustmentInIssuedPeriod(_ tenant: Int) {
        let (worker, month) = tenants[tenant].lastIssuedInvoice
        guard worker != 0 else {
            writePayoutAboveAvailable(tenant)
            return
        }
        lastLineKind = .adjustmentInIssuedPeriod
        let monthStart = DomainCalendar.monthStart(ordinal: firstMonthOrdinal + Int64(month))
        let seconds = Int64(random.inRange(0...27 * 86_400))
        let at = monthStart + seconds * DomainCalendar.microsecondsPerSecond
        let isBonus = random.below(2) == 0
        writeAdjustmentLine(
            tenant, type: isBonus ? .bonusAdded : .fineIssued, at: at, worker: worker,
            amount: Int64(random.inRange(5...100)) * 100, usesID: false)
    }

    /// `created` twice, a change before `created`, `reactivated` while active, or an
    /// upgrade, downgrade or cancellation while cancelled.
    private mutating func writeSubscriptionOutOfOrder(_ tenant: Int) {
        lastLineKind = .subscriptionOutOfOrder
        let planIndex = random.below(GeneratorVocabulary.plans.count)
        let mrrCents = GeneratorVocabulary.plans[planIndex].mrrCents
        let change: StaticString
        switch tenants[tenant].subscription {
        case .none:
            change = random.below(2) == 0 ? "upgraded" : "cancelled"
        case .active:
            change = random.below(2) == 0 ? "created" : "reactivated"
        case .cancelled:
            let changes: [StaticString] = ["upgraded", "downgraded", "cancelled", "created"]
            change = changes[random.below(changes.count)]
        }
        writeSubscription(tenant, change: change, planIndex: planIndex, mrrCents: mrrCents, usesID: false)
    }
}
