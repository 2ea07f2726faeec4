import GRDB
import LedgerDomain

extension SQLiteContents {
    /// Reads every table, in key order (SQLite's BINARY collation orders text by its UTF-8
    /// bytes, as `Name` does).
    static func read(_ database: Database) throws -> SQLiteContents {
        var contents = SQLiteContents()
        func rows(_ sql: String, _ body: (SQLiteRowReader) throws -> Void) throws {
            try SQLiteRowStatement(database, sql: sql).forEachRow(body)
        }
        try rows("SELECT tenant, event_count, latest_at, latest_at_microseconds FROM tenants ORDER BY tenant") { row in
            contents.tenants.append(
                TenantRow(
                    tenant: try row.name(0), eventCount: try row.integer(1), latestAt: try row.name(2),
                    latestAtMicroseconds: try row.integer(3)))
        }
        try rows(
            "SELECT tenant, worker, available_cents, pending_cents, total_earned_cents FROM writer_balances ORDER BY tenant, worker"
        ) { row in
            contents.writerBalances.append(
                WriterBalanceRow(
                    tenant: try row.name(0), worker: try row.name(1), availableCents: try row.integer(2),
                    pendingCents: try row.integer(3), totalEarnedCents: try row.integer(4)))
        }
        try rows("SELECT tenant, worker, fixed_monthly_cents FROM writer_rates ORDER BY tenant, worker") { row in
            contents.writerRates.append(
                WriterRateRow(tenant: try row.name(0), worker: try row.name(1), fixedMonthlyCents: try row.integer(2)))
        }
        try rows(
            """
            SELECT tenant, worker, period, submission_count, work_pay_cents, bonus_cents, fine_cents, fixed_pay_cents,
                total_cents, status FROM invoices ORDER BY tenant, worker, period
            """
        ) { row in
            contents.invoices.append(
                InvoiceRow(
                    tenant: try row.name(0), worker: try row.name(1), period: try row.name(2),
                    submissionCount: try row.integer(3), workPayCents: try row.integer(4), bonusCents: try row.integer(5),
                    fineCents: try row.integer(6), fixedPayCents: try row.integer(7), totalCents: try row.integer(8),
                    status: try row.name(9)))
        }
        try rows(
            """
            SELECT tenant, order_id, state, client, manager, writer, fee_cents, price_cents, submissions, title
            FROM orders ORDER BY tenant, order_id
            """
        ) { row in
            contents.orders.append(
                OrderRow(
                    tenant: try row.name(0), order: try row.name(1), state: try row.name(2), client: try row.optionalName(3),
                    manager: try row.optionalName(4), writer: try row.optionalName(5), feeCents: try row.optionalInteger(6),
                    priceCents: try row.optionalInteger(7), submissions: try row.optionalInteger(8),
                    title: try row.optionalName(9)))
        }
        try rows(
            "SELECT position, tenant, order_id, at, at_microseconds, actor, type, details FROM order_history ORDER BY position"
        ) { row in
            contents.orderHistory.append(
                OrderHistoryRow(
                    position: try row.integer(0), tenant: try row.name(1), order: try row.name(2), at: try row.name(3),
                    atMicroseconds: try row.integer(4), actor: try row.name(5), type: try row.name(6),
                    details: try row.name(7)))
        }
        try rows(
            """
            SELECT tenant, invitation, status, email, role, expires_at, expires_at_microseconds, user
            FROM invitations ORDER BY tenant, invitation
            """
        ) { row in
            contents.invitations.append(
                InvitationRow(
                    tenant: try row.name(0), invitation: try row.name(1), status: try row.name(2), email: try row.optionalName(3),
                    role: try row.optionalName(4), expiresAt: try row.optionalName(5),
                    expiresAtMicroseconds: try row.optionalInteger(6), user: try row.optionalName(7)))
        }
        try rows("SELECT tenant, user, role FROM users ORDER BY tenant, user") { row in
            contents.users.append(UserRow(tenant: try row.name(0), user: try row.name(1), role: try row.name(2)))
        }
        try rows("SELECT tenant, plan, mrr_cents, status FROM subscriptions ORDER BY tenant") { row in
            contents.subscriptions.append(
                SubscriptionRow(tenant: try row.name(0), plan: try row.name(1), mrrCents: try row.integer(2), status: try row.name(3)))
        }
        try rows(
            "SELECT position, tenant, at, at_microseconds, actor, change, plan, mrr_cents FROM subscription_changes ORDER BY position"
        ) { row in
            contents.subscriptionChanges.append(
                SubscriptionChangeRow(
                    position: try row.integer(0), tenant: try row.name(1), at: try row.name(2), atMicroseconds: try row.integer(3),
                    actor: try row.name(4), change: try row.name(5), plan: try row.name(6), mrrCents: try row.integer(7)))
        }
        try rows("SELECT position, tenant, at, at_microseconds, actor, type, target, risk FROM audit_log ORDER BY position") { row in
            contents.auditLog.append(
                AuditLogRow(
                    position: try row.integer(0), tenant: try row.name(1), at: try row.name(2), atMicroseconds: try row.integer(3),
                    actor: try row.name(4), type: try row.name(5), target: try row.name(6), risk: try row.optionalName(7)))
        }
        try rows("SELECT tenant, account, worker, balance_cents FROM journal_accounts ORDER BY tenant, account") { row in
            contents.journalAccounts.append(
                JournalAccountRow(
                    tenant: try row.name(0), account: try row.name(1), worker: try row.optionalName(2),
                    balanceCents: try row.integer(3)))
        }
        try rows(
            "SELECT position, tenant, at, at_microseconds, debit, credit, amount_cents FROM journal_transfers ORDER BY position"
        ) { row in
            contents.journalTransfers.append(
                JournalTransferRow(
                    position: try row.integer(0), tenant: try row.name(1), at: try row.name(2), atMicroseconds: try row.integer(3),
                    debit: try row.name(4), credit: try row.name(5), amountCents: try row.integer(6)))
        }
        return contents
    }
}
