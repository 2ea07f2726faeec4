import LedgerDomain

extension SQLiteContents {
    /// The rows the tables hold for the events `models` folded, computed from the in-memory read
    /// models alone (their public views), independently of how the projection keeps its tables.
    init(expectedFrom models: ReadModels) {
        self.init()
        for tenantName in models.tenants {
            guard let tenant = models.tenant(tenantName) else { continue }
            append(tenant)
        }
        // The read models list each tenant's rows; the tables order them over all tenants.
        tenants.sort { $0.tenant < $1.tenant }
        writerBalances.sort { ($0.tenant, $0.worker) < ($1.tenant, $1.worker) }
        writerRates.sort { ($0.tenant, $0.worker) < ($1.tenant, $1.worker) }
        invoices.sort { ($0.tenant, $0.worker, $0.period) < ($1.tenant, $1.worker, $1.period) }
        orders.sort { ($0.tenant, $0.order) < ($1.tenant, $1.order) }
        orderHistory.sort { $0.position < $1.position }
        invitations.sort { ($0.tenant, $0.invitation) < ($1.tenant, $1.invitation) }
        users.sort { ($0.tenant, $0.user) < ($1.tenant, $1.user) }
        subscriptions.sort { $0.tenant < $1.tenant }
        subscriptionChanges.sort { $0.position < $1.position }
        auditLog.sort { $0.position < $1.position }
        journalAccounts.sort { ($0.tenant, $0.account) < ($1.tenant, $1.account) }
        journalTransfers.sort { $0.position < $1.position }
    }

    private mutating func append(_ tenant: TenantReadModels) {
        let name = tenant.tenant
        tenants.append(
            TenantRow(
                tenant: name, eventCount: Int64(tenant.auditCount), latestAt: Self.text(tenant.latestAt),
                latestAtMicroseconds: tenant.latestAt.microseconds))
        for balance in tenant.balances() {
            writerBalances.append(
                WriterBalanceRow(
                    tenant: name, worker: balance.worker, availableCents: balance.availableCents,
                    pendingCents: balance.pendingCents, totalEarnedCents: balance.totalEarnedCents))
        }
        // The read models answer a worker's rate by name; the workers with a rate are the
        // targets of the tenant's `worker.rate_set` events.
        var ratedWorkers = Set<Name>()
        for entry in tenant.auditTrail(AuditFilter(type: .workerRateSet)) {
            let worker = Name(entry.target)
            guard ratedWorkers.insert(worker).inserted, let cents = tenant.fixedMonthlyCents(of: worker) else { continue }
            writerRates.append(WriterRateRow(tenant: name, worker: worker, fixedMonthlyCents: cents))
        }
        for invoice in tenant.invoices() {
            invoices.append(
                InvoiceRow(
                    tenant: name, worker: invoice.worker, period: Name(invoice.period.text),
                    submissionCount: invoice.submissionCount, workPayCents: invoice.workPayCents,
                    bonusCents: invoice.bonusCents, fineCents: invoice.fineCents, fixedPayCents: invoice.fixedPayCents,
                    totalCents: invoice.totalCents, status: Name(invoice.status.name)))
        }
        for order in tenant.orders() {
            orders.append(
                OrderRow(
                    tenant: name, order: order.order, state: Name(order.status.name), client: order.client,
                    manager: order.manager, writer: order.writer, feeCents: order.feeCents, priceCents: order.priceCents,
                    submissions: order.submissions, title: order.title.map { Name($0) }))
            for entry in order.history {
                orderHistory.append(
                    OrderHistoryRow(
                        position: Int64(entry.position), tenant: name, order: order.order, at: Self.text(entry.at),
                        atMicroseconds: entry.at.microseconds, actor: entry.actor, type: Name(entry.type.name),
                        details: Name(entry.details)))
            }
        }
        for invitation in tenant.invitations() {
            invitations.append(
                InvitationRow(
                    tenant: name, invitation: invitation.invitation, status: Name(invitation.status.name),
                    email: invitation.email, role: invitation.role.map { Name($0.name) },
                    expiresAt: invitation.expiresAt.map(Self.text), expiresAtMicroseconds: invitation.expiresAt?.microseconds,
                    user: invitation.user))
        }
        for user in tenant.users() {
            users.append(UserRow(tenant: name, user: user.user, role: Name(user.role.name)))
        }
        if let subscription = tenant.subscription {
            subscriptions.append(
                SubscriptionRow(
                    tenant: name, plan: subscription.plan, mrrCents: subscription.mrrCents,
                    status: Name(subscription.status.name)))
            for change in subscription.history {
                subscriptionChanges.append(
                    SubscriptionChangeRow(
                        position: Int64(change.position), tenant: name, at: Self.text(change.at),
                        atMicroseconds: change.at.microseconds, actor: change.actor, change: Name(change.change.name),
                        plan: change.plan, mrrCents: change.mrrCents))
            }
        }
        for entry in tenant.auditTrail() {
            auditLog.append(
                AuditLogRow(
                    position: Int64(entry.position), tenant: name, at: Self.text(entry.at), atMicroseconds: entry.at.microseconds,
                    actor: entry.actor, type: Name(entry.type.name), target: Name(entry.target),
                    risk: entry.risk.map { Name($0.name) }))
        }
        for account in tenant.journalAccounts() {
            journalAccounts.append(
                JournalAccountRow(
                    tenant: name, account: Name(account.account.name), worker: journalAccountWorker(account.account),
                    balanceCents: account.balanceCents))
        }
        for transfer in tenant.journalTransfers {
            journalTransfers.append(
                JournalTransferRow(
                    position: Int64(transfer.position), tenant: name, at: Self.text(transfer.at),
                    atMicroseconds: transfer.at.microseconds, debit: Name(transfer.debit.name),
                    credit: Name(transfer.credit.name), amountCents: transfer.amountCents))
        }
    }

    private static func text(_ timestamp: Timestamp) -> Name {
        Name(timestamp.canonical)
    }
}
