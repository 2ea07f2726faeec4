import LedgerDomain

/// Every row of the read-model tables, as plain values that compare exactly: text as `Name`
/// (byte by byte, never Unicode-normalised), money and counts as `Int64`, SQL NULL as nil.
///
/// Entity tables are ordered by tenant then key, append-only tables by log position, so that
/// two databases with the same rows give equal contents. `SQLiteProjection.contents()` reads
/// them from a database; `SQLiteProjection.expectedContents(_:)` computes them from in-memory
/// read models.
///
/// ```swift
/// let stored = try projection.contents()
/// let expected = SQLiteProjection.expectedContents(models)
/// for difference in stored.differences(from: expected) { print(difference) }
/// ```
public struct SQLiteContents: Hashable, Sendable {
    /// The rows of `tenants`, by tenant.
    public var tenants: [TenantRow] = []
    /// The rows of `writer_balances`, by tenant and worker.
    public var writerBalances: [WriterBalanceRow] = []
    /// The rows of `writer_rates`, by tenant and worker.
    public var writerRates: [WriterRateRow] = []
    /// The rows of `invoices`, by tenant, worker and period.
    public var invoices: [InvoiceRow] = []
    /// The rows of `orders`, by tenant and order.
    public var orders: [OrderRow] = []
    /// The rows of `order_history`, by position.
    public var orderHistory: [OrderHistoryRow] = []
    /// The rows of `invitations`, by tenant and invitation.
    public var invitations: [InvitationRow] = []
    /// The rows of `users`, by tenant and user.
    public var users: [UserRow] = []
    /// The rows of `subscriptions`, by tenant.
    public var subscriptions: [SubscriptionRow] = []
    /// The rows of `subscription_changes`, by position.
    public var subscriptionChanges: [SubscriptionChangeRow] = []
    /// The rows of `audit_log`, by position.
    public var auditLog: [AuditLogRow] = []
    /// The rows of `journal_accounts`, by tenant and account name.
    public var journalAccounts: [JournalAccountRow] = []
    /// The rows of `journal_transfers`, by position.
    public var journalTransfers: [JournalTransferRow] = []

    /// Empty contents: no row in any table.
    public init() {}

    /// The number of rows over every table.
    public var rowCount: Int {
        tenants.count + writerBalances.count + writerRates.count + invoices.count + orders.count + orderHistory.count
            + invitations.count + users.count + subscriptions.count + subscriptionChanges.count + auditLog.count
            + journalAccounts.count + journalTransfers.count
    }

    /// Human-readable differences with `expected`, table by table: row counts that differ and
    /// the first rows that differ (at most `limit` lines in all); empty when both are equal.
    public func differences(from expected: SQLiteContents, limit: Int = 20) -> [String] {
        var lines: [String] = []
        func compare<Row: Equatable>(_ table: String, _ found: [Row], _ wanted: [Row]) {
            if found.count != wanted.count {
                lines.append("\(table): \(found.count) rows, expected \(wanted.count)")
            }
            for index in 0..<max(found.count, wanted.count) where lines.count < limit {
                let foundRow = index < found.count ? found[index] : nil
                let wantedRow = index < wanted.count ? wanted[index] : nil
                if foundRow != wantedRow {
                    lines.append(
                        "\(table) row \(index): found \(foundRow.map { "\($0)" } ?? "none"), expected \(wantedRow.map { "\($0)" } ?? "none")")
                }
            }
        }
        compare("tenants", tenants, expected.tenants)
        compare("writer_balances", writerBalances, expected.writerBalances)
        compare("writer_rates", writerRates, expected.writerRates)
        compare("invoices", invoices, expected.invoices)
        compare("orders", orders, expected.orders)
        compare("order_history", orderHistory, expected.orderHistory)
        compare("invitations", invitations, expected.invitations)
        compare("users", users, expected.users)
        compare("subscriptions", subscriptions, expected.subscriptions)
        compare("subscription_changes", subscriptionChanges, expected.subscriptionChanges)
        compare("audit_log", auditLog, expected.auditLog)
        compare("journal_accounts", journalAccounts, expected.journalAccounts)
        compare("journal_transfers", journalTransfers, expected.journalTransfers)
        return Array(lines.prefix(limit))
    }
}

/// The rows of each table. Each property holds the column of the same name in snake case
/// (`availableCents` is `available_cents`; `order` is `order_id`); timestamps come as their
/// canonical text and as microseconds since 1970-01-01T00:00:00Z; nil is SQL NULL.
extension SQLiteContents {
    /// A row of `tenants`: every tenant with at least one event.
    public struct TenantRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// The number of the tenant's events (the length of its audit trail).
        public var eventCount: Int64
        /// The latest business time among the tenant's events, canonical text; invitations
        /// expire against it.
        public var latestAt: Name
        /// `latest_at_microseconds`.
        public var latestAtMicroseconds: Int64
    }

    /// A row of `writer_balances`.
    public struct WriterBalanceRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `worker`.
        public var worker: Name
        /// `available_cents`.
        public var availableCents: Int64
        /// `pending_cents`.
        public var pendingCents: Int64
        /// `total_earned_cents`.
        public var totalEarnedCents: Int64
    }

    /// A row of `writer_rates`: the latest `fixed_monthly_cents` of a worker (log order).
    public struct WriterRateRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `worker`.
        public var worker: Name
        /// `fixed_monthly_cents`.
        public var fixedMonthlyCents: Int64
    }

    /// A row of `invoices`.
    public struct InvoiceRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `worker`.
        public var worker: Name
        /// `YYYY-MM`.
        public var period: Name
        /// `submission_count`.
        public var submissionCount: Int64
        /// `work_pay_cents`.
        public var workPayCents: Int64
        /// `bonus_cents`.
        public var bonusCents: Int64
        /// `fine_cents`.
        public var fineCents: Int64
        /// `fixed_pay_cents`.
        public var fixedPayCents: Int64
        /// `total_cents`.
        public var totalCents: Int64
        /// `draft` or `issued`.
        public var status: Name
    }

    /// A row of `orders`.
    public struct OrderRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `order_id`.
        public var order: Name
        /// `state`.
        public var state: Name
        /// `client`.
        public var client: Name?
        /// `manager`.
        public var manager: Name?
        /// `writer`.
        public var writer: Name?
        /// `fee_cents`.
        public var feeCents: Int64?
        /// `price_cents`.
        public var priceCents: Int64?
        /// `submissions`.
        public var submissions: Int64?
        /// `title`.
        public var title: Name?
    }

    /// A row of `order_history`: one `order.*` or `job.assigned` event.
    public struct OrderHistoryRow: Hashable, Sendable {
        /// `position`.
        public var position: Int64
        /// `tenant`.
        public var tenant: Name
        /// `order_id`.
        public var order: Name
        /// `at`.
        public var at: Name
        /// `at_microseconds`.
        public var atMicroseconds: Int64
        /// `actor`.
        public var actor: Name
        /// `type`.
        public var type: Name
        /// `details`.
        public var details: Name
    }

    /// A row of `invitations`.
    public struct InvitationRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `invitation`.
        public var invitation: Name
        /// `pending`, `accepted`, `revoked`, or `expired` when pending and `expires_at` is at
        /// or before the tenant's latest `at`.
        public var status: Name
        /// `email`.
        public var email: Name?
        /// `role`.
        public var role: Name?
        /// `expires_at`.
        public var expiresAt: Name?
        /// `expires_at_microseconds`.
        public var expiresAtMicroseconds: Int64?
        /// `user`.
        public var user: Name?
    }

    /// A row of `users`.
    public struct UserRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `user`.
        public var user: Name
        /// `role`.
        public var role: Name
    }

    /// A row of `subscriptions`.
    public struct SubscriptionRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `plan`.
        public var plan: Name
        /// `mrr_cents`.
        public var mrrCents: Int64
        /// `active` or `cancelled`.
        public var status: Name
    }

    /// A row of `subscription_changes`.
    public struct SubscriptionChangeRow: Hashable, Sendable {
        /// `position`.
        public var position: Int64
        /// `tenant`.
        public var tenant: Name
        /// `at`.
        public var at: Name
        /// `at_microseconds`.
        public var atMicroseconds: Int64
        /// `actor`.
        public var actor: Name
        /// `change`.
        public var change: Name
        /// `plan`.
        public var plan: Name
        /// `mrr_cents`.
        public var mrrCents: Int64
    }

    /// A row of `audit_log`: one event of any type.
    public struct AuditLogRow: Hashable, Sendable {
        /// `position`.
        public var position: Int64
        /// `tenant`.
        public var tenant: Name
        /// `at`.
        public var at: Name
        /// `at_microseconds`.
        public var atMicroseconds: Int64
        /// `actor`.
        public var actor: Name
        /// `type`.
        public var type: Name
        /// `target`.
        public var target: Name
        /// The risk of an `audit.recorded` event, nil for other types.
        public var risk: Name?
    }

    /// A row of `journal_accounts`: credits minus debits.
    public struct JournalAccountRow: Hashable, Sendable {
        /// `tenant`.
        public var tenant: Name
        /// `account`.
        public var account: Name
        /// The worker of a `worker:<w>:...` account, nil for the tenant's own accounts.
        public var worker: Name?
        /// `balance_cents`.
        public var balanceCents: Int64
    }

    /// A row of `journal_transfers`.
    public struct JournalTransferRow: Hashable, Sendable {
        /// `position`.
        public var position: Int64
        /// `tenant`.
        public var tenant: Name
        /// `at`.
        public var at: Name
        /// `at_microseconds`.
        public var atMicroseconds: Int64
        /// `debit`.
        public var debit: Name
        /// `credit`.
        public var credit: Name
        /// `amount_cents`.
        public var amountCents: Int64
    }
}
