import GRDB
import LedgerDomain

/// Writes one batch of the projection inside its transaction: the append-only rows of each
/// event as it is folded, then every entity row the batch changed, then the checkpoint.
///
/// Every statement is prepared once per connection (GRDB's statement cache) and bound through
/// the C API (`SQLiteRowStatement`), so a row costs no SQL parsing and no argument array;
/// texts made of parts (timestamps, `<worker>/<period>` targets, journal account names) are
/// composed in one reused buffer, so the append-only rows allocate nothing per event once the
/// buffer has grown (the free-form `details` of an order's history excepted).
struct ProjectionWriter {
    /// The bytes of the text being bound; SQLite copies them (`SQLITE_TRANSIENT`).
    private var scratch: [UInt8] = []
    private let audit: SQLiteRowStatement
    private let orderHistory: SQLiteRowStatement
    private let subscriptionChange: SQLiteRowStatement
    private let journalTransfer: SQLiteRowStatement
    private let tenant: SQLiteRowStatement
    private let balance: SQLiteRowStatement
    private let rate: SQLiteRowStatement
    private let draftFixedPay: SQLiteRowStatement
    private let invoice: SQLiteRowStatement
    private let order: SQLiteRowStatement
    private let invitation: SQLiteRowStatement
    private let invitationExpiry: SQLiteRowStatement
    private let user: SQLiteRowStatement
    private let subscription: SQLiteRowStatement
    private let journalAccount: SQLiteRowStatement
    private let checkpoint: SQLiteRowStatement

    init(_ database: Database) throws {
        func prepare(_ sql: String) throws -> SQLiteRowStatement { try SQLiteRowStatement(cached: database, sql: sql) }
        audit = try prepare(
            "INSERT INTO audit_log (position, tenant, at, at_microseconds, actor, type, target, risk) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        orderHistory = try prepare(
            "INSERT INTO order_history (position, tenant, at, at_microseconds, order_id, actor, type, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        subscriptionChange = try prepare(
            "INSERT INTO subscription_changes (position, tenant, at, at_microseconds, actor, change, plan, mrr_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        journalTransfer = try prepare(
            "INSERT INTO journal_transfers (position, tenant, at, at_microseconds, debit, credit, amount_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        tenant = try prepare(
            "INSERT OR REPLACE INTO tenants (tenant, event_count, latest_at, latest_at_microseconds) VALUES (?1, ?2, ?3, ?4)")
        balance = try prepare(
            "INSERT OR REPLACE INTO writer_balances (tenant, worker, available_cents, pending_cents, total_earned_cents) VALUES (?1, ?2, ?3, ?4, ?5)")
        rate = try prepare("INSERT OR REPLACE INTO writer_rates (tenant, worker, fixed_monthly_cents) VALUES (?1, ?2, ?3)")
        // "A draft invoice shows the worker's latest folded fixed_monthly_cents."
        draftFixedPay = try prepare(
            "UPDATE invoices SET fixed_pay_cents = ?3, total_cents = ?3 + work_pay_cents + bonus_cents - fine_cents WHERE tenant = ?1 AND worker = ?2 AND status = 'draft'")
        invoice = try prepare(
            "INSERT OR REPLACE INTO invoices (tenant, worker, period, submission_count, work_pay_cents, bonus_cents, fine_cents, fixed_pay_cents, total_cents, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        order = try prepare(
            "INSERT OR REPLACE INTO orders (tenant, order_id, state, client, manager, writer, fee_cents, price_cents, submissions, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        invitation = try prepare(
            "INSERT OR REPLACE INTO invitations (tenant, invitation, status, email, role, expires_at, expires_at_microseconds, user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        // A pending invitation is reported `expired` once its tenant's latest `at` reaches its
        // `expires_at`, even when no event of the batch named it.
        invitationExpiry = try prepare(
            "UPDATE invitations SET status = 'expired' WHERE tenant = ?1 AND status = 'pending' AND expires_at_microseconds <= ?2")
        user = try prepare("INSERT OR REPLACE INTO users (tenant, user, role) VALUES (?1, ?2, ?3)")
        subscription = try prepare(
            "INSERT OR REPLACE INTO subscriptions (tenant, plan, mrr_cents, status) VALUES (?1, ?2, ?3, ?4)")
        journalAccount = try prepare(
            "INSERT OR REPLACE INTO journal_accounts (tenant, account, worker, balance_cents) VALUES (?1, ?2, ?3, ?4)")
        checkpoint = try prepare("UPDATE projection_checkpoint SET position = ?2, chain_hash = ?3 WHERE name = ?1")
        scratch.reserveCapacity(Self.scratchBytesInitial)
    }

    /// Enough for the texts of ordinary ids: two ids of 64 code points and a few separators.
    static let scratchBytesInitial = 1024

    /// Binds the text `compose` writes into the scratch buffer.
    private mutating func bindComposed(
        at index: Int32, of statement: SQLiteRowStatement, _ compose: (inout [UInt8]) -> Void
    ) throws {
        scratch.removeAll(keepingCapacity: true)
        compose(&scratch)
        try scratch.withUnsafeBytes { try statement.bind($0, at: index) }
    }

    private mutating func bind(_ timestamp: Timestamp, at index: Int32, of statement: SQLiteRowStatement) throws {
        try bindComposed(at: index, of: statement) { timestamp.appendCanonical(to: &$0) }
    }

    private mutating func bind(_ account: JournalAccount, at index: Int32, of statement: SQLiteRowStatement) throws {
        try bindComposed(at: index, of: statement) { Self.appendName(of: account, to: &$0) }
    }

    /// `JournalAccount.name`'s bytes, e.g. `worker:w-17:available`.
    static func appendName(of account: JournalAccount, to bytes: inout [UInt8]) {
        switch account {
        case .expenseWork: bytes.append(contentsOf: "expense:work".utf8)
        case .expenseBonus: bytes.append(contentsOf: "expense:bonus".utf8)
        case .expenseFixed: bytes.append(contentsOf: "expense:fixed".utf8)
        case .incomeFines: bytes.append(contentsOf: "income:fines".utf8)
        case .assetCash: bytes.append(contentsOf: "asset:cash".utf8)
        case .workerPending(let worker):
            bytes.append(contentsOf: "worker:".utf8)
            bytes.append(contentsOf: worker.string.utf8)
            bytes.append(contentsOf: ":pending".utf8)
        case .workerAvailable(let worker):
            bytes.append(contentsOf: "worker:".utf8)
            bytes.append(contentsOf: worker.string.utf8)
            bytes.append(contentsOf: ":available".utf8)
        }
    }

    // MARK: Append-only rows, one per event

    /// Binds `(position, tenant, at, at_microseconds)`, the first four columns of every
    /// append-only table.
    private mutating func bindEventColumns(_ recorded: RecordedEvent, to statement: SQLiteRowStatement) throws {
        try statement.bind(Int64(recorded.position), at: 1)
        try statement.bind(recorded.event.tenant, at: 2)
        try bind(recorded.event.at, at: 3, of: statement)
        try statement.bind(recorded.event.at.microseconds, at: 4)
    }

    mutating func insertAudit(_ recorded: RecordedEvent) throws {
        let event = recorded.event
        try bindEventColumns(recorded, to: audit)
        try audit.bind(event.actor, at: 5)
        try audit.bind(event.type.name, at: 6)
        try audit.bindNull(at: 8)
        // The target of EVENTS.md section 3 "Audit".
        switch event.data {
        case .invitationCreated(let invitation, _, _, _), .invitationAccepted(let invitation, _),
            .invitationRevoked(let invitation):
            try audit.bind(invitation, at: 7)
        case .workerRateSet(let worker, _), .bonusAdded(let worker, _, _), .fineIssued(let worker, _, _),
            .payoutPaid(let worker, _, _):
            try audit.bind(worker, at: 7)
        case .orderPlaced(let order, _, _, _), .orderAccepted(let order, _), .jobAssigned(let order, _, _),
            .orderSubmitted(let order, _), .orderApproved(let order), .orderRejected(let order, _),
            .orderCompleted(let order), .orderCancelled(let order, _):
            try audit.bind(order, at: 7)
        case .invoiceIssued(let worker, let period):
            try bindComposed(at: 7, of: audit) { bytes in
                bytes.append(contentsOf: worker.string.utf8)
                bytes.append(UInt8(ascii: "/"))
                period.appendText(to: &bytes)
            }
        case .subscriptionChanged:
            try audit.bind(event.tenant, at: 7)
        case .auditRecorded(_, let targetType, let targetID, let risk, _):
            try bindComposed(at: 7, of: audit) { bytes in
                bytes.append(contentsOf: targetType.string.utf8)
                bytes.append(UInt8(ascii: "/"))
                bytes.append(contentsOf: targetID.string.utf8)
            }
            try audit.bind(risk.name, at: 8)
        }
        try audit.execute()
    }

    mutating func insertOrderHistory(_ recorded: RecordedEvent, order: Name) throws {
        let event = recorded.event
        // The read model's own free-form description, so that both say the same.
        let details = OrderHistoryEntry(
            position: recorded.position, at: event.at, actor: event.actor, data: event.data, effect: recorded.effect
        ).details
        try bindEventColumns(recorded, to: orderHistory)
        try orderHistory.bind(order, at: 5)
        try orderHistory.bind(event.actor, at: 6)
        try orderHistory.bind(event.type.name, at: 7)
        try orderHistory.bind(details, at: 8)
        try orderHistory.execute()
    }

    mutating func insertSubscriptionChange(_ recorded: RecordedEvent, change: SubscriptionChange, plan: Name, mrrCents: Int64) throws {
        try bindEventColumns(recorded, to: subscriptionChange)
        try subscriptionChange.bind(recorded.event.actor, at: 5)
        try subscriptionChange.bind(change.name, at: 6)
        try subscriptionChange.bind(plan, at: 7)
        try subscriptionChange.bind(mrrCents, at: 8)
        try subscriptionChange.execute()
    }

    mutating func insertJournalTransfer(_ recorded: RecordedEvent, transfer: JournalTransferParts) throws {
        try bindEventColumns(recorded, to: journalTransfer)
        try bind(transfer.debit, at: 5, of: journalTransfer)
        try bind(transfer.credit, at: 6, of: journalTransfer)
        try journalTransfer.bind(transfer.amountCents, at: 7)
        try journalTransfer.execute()
    }

    // MARK: Entity rows, once per batch

    /// Writes every entity row `state` changed since its last `markWritten()`.
    mutating func writeChangedRows(of state: ProjectionState) throws {
        for index in state.tenants.changedIndexes {
            let row = state.tenants.values[index]
            try tenant.bind(state.tenants.keys[index], at: 1)
            try tenant.bind(row.eventCount, at: 2)
            try bind(row.latestAt, at: 3, of: tenant)
            try tenant.bind(row.latestAt.microseconds, at: 4)
            try tenant.execute()
            try invitationExpiry.bind(state.tenants.keys[index], at: 1)
            try invitationExpiry.bind(row.latestAt.microseconds, at: 2)
            try invitationExpiry.execute()
        }
        for index in state.balances.changedIndexes {
            let key = state.balances.keys[index]
            let row = state.balances.values[index]
            try balance.bind(key.tenant, at: 1)
            try balance.bind(key.id, at: 2)
            try balance.bind(row.availableCents, at: 3)
            try balance.bind(row.pendingCents, at: 4)
            try balance.bind(row.totalEarnedCents, at: 5)
            try balance.execute()
        }
        for index in state.rates.changedIndexes {
            let key = state.rates.keys[index]
            let cents = state.rates.values[index]
            try rate.bind(key.tenant, at: 1)
            try rate.bind(key.id, at: 2)
            try rate.bind(cents, at: 3)
            try rate.execute()
            try draftFixedPay.bind(key.tenant, at: 1)
            try draftFixedPay.bind(key.id, at: 2)
            try draftFixedPay.bind(cents, at: 3)
            try draftFixedPay.execute()
        }
        for index in state.invoices.changedIndexes {
            let key = state.invoices.keys[index]
            let tally = state.invoices.values[index]
            let fixedPayCents = tally.frozenFixedPayCents ?? state.draftFixedPayCents(tenant: key.tenant, worker: key.worker)
            let status: InvoiceStatus = tally.frozenFixedPayCents == nil ? .draft : .issued
            try invoice.bind(key.tenant, at: 1)
            try invoice.bind(key.worker, at: 2)
            try bindComposed(at: 3, of: invoice) { key.period.appendText(to: &$0) }
            try invoice.bind(tally.submissionCount, at: 4)
            try invoice.bind(tally.workPayCents, at: 5)
            try invoice.bind(tally.bonusCents, at: 6)
            try invoice.bind(tally.fineCents, at: 7)
            try invoice.bind(fixedPayCents, at: 8)
            try invoice.bind(fixedPayCents + tally.workPayCents + tally.bonusCents - tally.fineCents, at: 9)
            try invoice.bind(status.name, at: 10)
            try invoice.execute()
        }
        for index in state.orders.changedIndexes {
            let key = state.orders.keys[index]
            let row = state.orders.values[index]
            try order.bind(key.tenant, at: 1)
            try order.bind(key.id, at: 2)
            try order.bind(row.status.name, at: 3)
            try order.bind(row.client, at: 4)
            try order.bind(row.manager, at: 5)
            try order.bind(row.writer, at: 6)
            try order.bind(row.feeCents, at: 7)
            try order.bind(row.priceCents, at: 8)
            try order.bind(row.submissions, at: 9)
            if let title = row.title { try order.bind(title, at: 10) } else { try order.bindNull(at: 10) }
            try order.execute()
        }
        for index in state.invitations.changedIndexes {
            let key = state.invitations.keys[index]
            let row = state.invitations.values[index]
            let statusTime = state.tenants[key.tenant]?.latestAt ?? Timestamp(microseconds: .min)
            try invitation.bind(key.tenant, at: 1)
            try invitation.bind(key.id, at: 2)
            try invitation.bind(row.reportedStatus(at: statusTime).name, at: 3)
            try invitation.bind(row.email, at: 4)
            if let role = row.role { try invitation.bind(role.name, at: 5) } else { try invitation.bindNull(at: 5) }
            if let expiresAt = row.expiresAt {
                try bind(expiresAt, at: 6, of: invitation)
                try invitation.bind(expiresAt.microseconds, at: 7)
            } else {
                try invitation.bindNull(at: 6)
                try invitation.bindNull(at: 7)
            }
            try invitation.bind(row.user, at: 8)
            try invitation.execute()
        }
        for index in state.users.changedIndexes {
            let key = state.users.keys[index]
            try user.bind(key.tenant, at: 1)
            try user.bind(key.id, at: 2)
            try user.bind(state.users.values[index].name, at: 3)
            try user.execute()
        }
        for index in state.subscriptions.changedIndexes {
            let row = state.subscriptions.values[index]
            try subscription.bind(state.subscriptions.keys[index], at: 1)
            try subscription.bind(row.plan, at: 2)
            try subscription.bind(row.mrrCents, at: 3)
            try subscription.bind(row.status.name, at: 4)
            try subscription.execute()
        }
        for index in state.journalAccounts.changedIndexes {
            let key = state.journalAccounts.keys[index]
            try journalAccount.bind(key.tenant, at: 1)
            try bind(key.account, at: 2, of: journalAccount)
            try journalAccount.bind(journalAccountWorker(key.account), at: 3)
            try journalAccount.bind(state.journalAccounts.values[index], at: 4)
            try journalAccount.execute()
        }
    }

    /// Moves the checkpoint to `position` and `chainHash`, in the batch's transaction.
    func writeCheckpoint(position: UInt64, chainHash: [UInt8]) throws {
        try checkpoint.bind(SQLiteSchema.checkpointName, at: 1)
        try checkpoint.bind(Int64(position), at: 2)
        try checkpoint.bind(ChainHashText.hex(chainHash), at: 3)
        try checkpoint.execute()
    }
}
