import LedgerDomain

/// The current rows of every entity table (tenants, balances, rates, invoices, orders,
/// invitations, users, subscriptions, journal accounts) at the projection's checkpoint.
///
/// Folding an event changes these rows in memory and hands the event's append-only rows
/// (audit log, order history, subscription changes, journal transfers) to the batch writer at
/// once; the batch then writes each changed entity row once. The fold follows the in-memory
/// read models of `LedgerDomain` rule for rule (`ReadModels.fold`), and the tests compare the
/// two on random histories. The state is restored from the tables, never from the log
/// (`ProjectionState+Restore.swift`), so a projection can be reopened and continued.
struct ProjectionState {
    /// The checkpoint these rows are at.
    var position: UInt64 = 0
    var chainHash: [UInt8]? = nil

    var tenants = EntityTable<Name, TenantRowState>()
    var balances = EntityTable<ScopedName, WorkerBalance>()
    var rates = EntityTable<ScopedName, Int64>()
    var invoices = EntityTable<ScopedInvoice, InvoiceTallyState>()
    var orders = EntityTable<ScopedName, OrderRowState>()
    var invitations = EntityTable<ScopedName, InvitationRowState>()
    var users = EntityTable<ScopedName, Role>()
    var subscriptions = EntityTable<Name, SubscriptionRowState>()
    var journalAccounts = EntityTable<ScopedAccount, Int64>()

    /// Folds the next event: entity rows change in memory, append-only rows go to `writer`.
    mutating func fold(_ recorded: RecordedEvent, writer: inout ProjectionWriter) throws {
        precondition(recorded.position == position + 1, "events are folded gapless, in log order")
        position = recorded.position
        let event = recorded.event
        let tenant = event.tenant
        tenants.update(tenant, initial: TenantRowState(eventCount: 0, latestAt: event.at)) { row in
            row.eventCount += 1
            if row.latestAt < event.at { row.latestAt = event.at }
        }
        try writer.insertAudit(recorded)
        if let (worker, movement) = BalanceMovement.of(event, effect: recorded.effect), movement.amountCents != 0 {
            // "A worker has a balance once a non-zero amount moved for them."
            balances.update(ScopedName(tenant, worker), initial: WorkerBalance(worker: worker)) { $0.apply(movement) }
        }
        try foldAccess(recorded, writer: &writer)
        try foldOrder(recorded, writer: &writer)
        foldInvoice(recorded)
        try foldJournal(recorded, writer: &writer)
    }

    private mutating func foldAccess(_ recorded: RecordedEvent, writer: inout ProjectionWriter) throws {
        let event = recorded.event
        switch event.data {
        case .invitationCreated(let invitation, let email, let role, let expiresAt):
            invitations.update(ScopedName(event.tenant, invitation), initial: InvitationRowState(status: .pending)) {
                $0 = InvitationRowState(status: .pending, email: email, role: role, expiresAt: expiresAt)
            }
        case .invitationAccepted(let invitation, let user):
            invitations.update(ScopedName(event.tenant, invitation), initial: InvitationRowState(status: .accepted)) {
                $0.status = .accepted
                $0.user = user
            }
            // The role granted is the acceptance's fixed effect.
            if case .acceptance(let role) = recorded.effect {
                users.update(ScopedName(event.tenant, user), initial: role) { $0 = role }
            }
        case .invitationRevoked(let invitation):
            invitations.update(ScopedName(event.tenant, invitation), initial: InvitationRowState(status: .revoked)) {
                $0.status = .revoked
            }
        case .subscriptionChanged(let change, let plan, let mrrCents):
            let status: SubscriptionStatus = change == .cancelled ? .cancelled : .active
            let row = SubscriptionRowState(plan: plan, mrrCents: mrrCents, status: status)
            subscriptions.update(event.tenant, initial: row) { $0 = row }
            try writer.insertSubscriptionChange(recorded, change: change, plan: plan, mrrCents: mrrCents)
        default:
            break
        }
    }

    private mutating func foldOrder(_ recorded: RecordedEvent, writer: inout ProjectionWriter) throws {
        let event = recorded.event
        let order: Name
        let status: OrderStatus
        switch event.data {
        case .orderPlaced(let placed, _, _, _): (order, status) = (placed, .placed)
        case .orderAccepted(let accepted, _): (order, status) = (accepted, .accepted)
        case .jobAssigned(let assigned, _, _): (order, status) = (assigned, .assigned)
        case .orderSubmitted(let submitted, _): (order, status) = (submitted, .submitted)
        case .orderApproved(let approved): (order, status) = (approved, .approved)
        case .orderRejected(let rejected, _): (order, status) = (rejected, .rejected)
        case .orderCompleted(let completed): (order, status) = (completed, .completed)
        case .orderCancelled(let cancelled, _): (order, status) = (cancelled, .cancelled)
        default: return
        }
        orders.update(ScopedName(event.tenant, order), initial: OrderRowState(status: status)) { row in
            row.status = status
            row.setFields(from: event.data)
        }
        try writer.insertOrderHistory(recorded, order: order)
    }

    private mutating func foldInvoice(_ recorded: RecordedEvent) {
        let event = recorded.event
        switch event.data {
        case .workerRateSet(let worker, let fixedMonthlyCents):
            // Every draft invoice of the worker shows the new rate: the batch rewrites their
            // fixed pay when it writes the changed rate.
            rates.update(ScopedName(event.tenant, worker), initial: fixedMonthlyCents) { $0 = fixedMonthlyCents }
        case .orderApproved:
            guard case .approval(let writer, let feeCents, let submissions) = recorded.effect else { return }
            let key = ScopedInvoice(tenant: event.tenant, worker: writer, period: event.at.period)
            invoices.update(key, initial: InvoiceTallyState()) {
                $0.submissionCount += submissions
                $0.workPayCents += feeCents
            }
        case .bonusAdded(let worker, let amountCents, _):
            let key = ScopedInvoice(tenant: event.tenant, worker: worker, period: event.at.period)
            invoices.update(key, initial: InvoiceTallyState()) { $0.bonusCents += amountCents }
        case .fineIssued(let worker, let amountCents, _):
            let key = ScopedInvoice(tenant: event.tenant, worker: worker, period: event.at.period)
            invoices.update(key, initial: InvoiceTallyState()) { $0.fineCents += amountCents }
        case .invoiceIssued(let worker, let period):
            guard case .invoice(let fixedPayCents) = recorded.effect else { return }
            let key = ScopedInvoice(tenant: event.tenant, worker: worker, period: period)
            invoices.update(key, initial: InvoiceTallyState()) { $0.frozenFixedPayCents = fixedPayCents }
        default:
            break
        }
    }

    private mutating func foldJournal(_ recorded: RecordedEvent, writer: inout ProjectionWriter) throws {
        guard let transfer = JournalTransferParts.of(recorded), transfer.amountCents != 0 else {
            // "A zero amount writes no transfer", so the account is not listed for it either.
            return
        }
        let tenant = recorded.event.tenant
        journalAccounts.update(ScopedAccount(tenant: tenant, account: transfer.debit), initial: 0) { $0 -= transfer.amountCents }
        journalAccounts.update(ScopedAccount(tenant: tenant, account: transfer.credit), initial: 0) { $0 += transfer.amountCents }
        try writer.insertJournalTransfer(recorded, transfer: transfer)
    }

    /// The fixed pay a draft invoice of `worker` shows: the latest rate, 0 if never set.
    func draftFixedPayCents(tenant: Name, worker: Name) -> Int64 {
        rates[ScopedName(tenant, worker)] ?? 0
    }

    /// Forgets which rows changed, once the batch has written them.
    mutating func markWritten() {
        tenants.markWritten()
        balances.markWritten()
        rates.markWritten()
        invoices.markWritten()
        orders.markWritten()
        invitations.markWritten()
        users.markWritten()
        subscriptions.markWritten()
        journalAccounts.markWritten()
    }
}

/// An entity id scoped by its tenant: `w-1` of `acme` and `w-1` of `globex` are different workers.
struct ScopedName: Hashable {
    var tenant: Name
    var id: Name

    init(_ tenant: Name, _ id: Name) {
        self.tenant = tenant
        self.id = id
    }
}

struct ScopedInvoice: Hashable {
    var tenant: Name
    var worker: Name
    var period: Period
}

struct ScopedAccount: Hashable {
    var tenant: Name
    var account: JournalAccount
}

struct TenantRowState {
    var eventCount: Int64
    var latestAt: Timestamp
}

/// What the events put into one invoice; the fixed pay of a draft is the worker's latest rate.
struct InvoiceTallyState {
    var submissionCount: Int64 = 0
    var workPayCents: Int64 = 0
    var bonusCents: Int64 = 0
    var fineCents: Int64 = 0
    /// The fixed pay frozen by `invoice.issued`; nil while the invoice is a draft.
    var frozenFixedPayCents: Int64? = nil
}

struct OrderRowState: OrderFields {
    var status: OrderStatus
    var client: Name? = nil
    var manager: Name? = nil
    var writer: Name? = nil
    var feeCents: Int64? = nil
    var priceCents: Int64? = nil
    var submissions: Int64? = nil
    var title: String? = nil
}

/// An invitation as folded: `pending`, `accepted` or `revoked`. The table shows `expired` for
/// a pending invitation whose `expires_at` is at or before its tenant's latest `at`.
struct InvitationRowState {
    var status: InvitationStatus
    var email: Name? = nil
    var role: Role? = nil
    var expiresAt: Timestamp? = nil
    var user: Name? = nil

    /// The status the table shows when the tenant's latest business time is `statusTime`.
    func reportedStatus(at statusTime: Timestamp) -> InvitationStatus {
        if status == .pending, let expiresAt, expiresAt <= statusTime { return .expired }
        return status
    }
}

struct SubscriptionRowState {
    var plan: Name
    var mrrCents: Int64
    var status: SubscriptionStatus
}

/// The journal transfer of an event (EVENTS.md section 4), before the zero-amount check.
struct JournalTransferParts {
    var debit: JournalAccount
    var credit: JournalAccount
    var amountCents: Int64

    static func of(_ recorded: RecordedEvent) -> JournalTransferParts? {
        switch (recorded.event.data, recorded.effect) {
        case (.orderApproved, .approval(let writer, let feeCents, _)):
            JournalTransferParts(debit: .expenseWork, credit: .workerPending(writer), amountCents: feeCents)
        case (.orderCompleted, .completion(let writer, let feeCents)):
            JournalTransferParts(debit: .workerPending(writer), credit: .workerAvailable(writer), amountCents: feeCents)
        case (.bonusAdded(let worker, let amountCents, _), _):
            JournalTransferParts(debit: .expenseBonus, credit: .workerAvailable(worker), amountCents: amountCents)
        case (.fineIssued(let worker, let amountCents, _), _):
            JournalTransferParts(debit: .workerAvailable(worker), credit: .incomeFines, amountCents: amountCents)
        case (.invoiceIssued(let worker, _), .invoice(let fixedPayCents)):
            JournalTransferParts(debit: .expenseFixed, credit: .workerAvailable(worker), amountCents: fixedPayCents)
        case (.payoutPaid(let worker, let amountCents, _), _):
            JournalTransferParts(debit: .workerAvailable(worker), credit: .assetCash, amountCents: amountCents)
        default:
            nil
        }
    }
}

/// The worker of a `worker:<w>:...` journal account, nil for the tenant's own accounts.
func journalAccountWorker(_ account: JournalAccount) -> Name? {
    switch account {
    case .workerPending(let worker), .workerAvailable(let worker): worker
    case .expenseWork, .expenseBonus, .expenseFixed, .incomeFines, .assetCash: nil
    }
}
