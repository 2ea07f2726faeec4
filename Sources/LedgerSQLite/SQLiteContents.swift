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
    public var tenants: [TenantRow] = []
    public var writerBalances: [WriterBalanceRow] = []
    public var writerRates: [WriterRateRow] = []
    public var invoices: [InvoiceRow] = []
    public var orders: [OrderRow] = []
    public var orderHistory: [OrderHistoryRow] = []
    public var invitations: [InvitationRow] = []
    public var users: [UserRow] = []
    public var subscriptions: [SubscriptionRow] = []
    public var subscriptionChanges: [SubscriptionChangeRow] = []
    public var auditLog: [AuditLogRow] = []
    public var journalAccounts: [JournalAccountRow] = []
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

extension SQLiteContents {
    /// A row of `tenants`: every tenant with at least one event.
    public struct TenantRow: Hashable, Sendable {
        public var tenant: Name
        /// The number of the tenant's events (the length of its audit trail).
        public var eventCount: Int64
        /// The latest business time among the tenant's events, canonical text; invitations
        /// expire against it.
        public var latestAt: Name
        public var latestAtMicroseconds: Int64
    }

    /// A row of `writer_balances`.
    public struct WriterBalanceRow: Hashable, Sendable {
        public var tenant: Name
        public var worker: Name
        public var availableCents: Int64
        public var pendingCents: Int64
        public var totalEarnedCents: Int64
    }

    /// A row of `writer_rates`: the latest `fixed_monthly_cents` of a worker (log order).
    public struct WriterRateRow: Hashable, Sendable {
        public var tenant: Name
        public var worker: Name
        public var fixedMonthlyCents: Int64
    }

    /// A row of `invoices`.
    public struct InvoiceRow: Hashable, Sendable {
        public var tenant: Name
        public var worker: Name
        /// `YYYY-MM`.
        public var period: Name
        public var submissionCount: Int64
        public var workPayCents: Int64
        public var bonusCents: Int64
        public var fineCents: Int64
        public var fixedPayCents: Int64
        public var totalCents: Int64
        /// `draft` or `issued`.
        public var status: Name
    }

    /// A row of `orders`.
    public struct OrderRow: Hashable, Sendable {
        public var tenant: Name
        public var order: Name
        public var state: Name
        public var client: Name?
        public var manager: Name?
        public var writer: Name?
        public var feeCents: Int64?
        public var priceCents: Int64?
        public var submissions: Int64?
        public var title: Name?
    }

    /// A row of `order_history`: one `order.*` or `job.assigned` event.
    public struct OrderHistoryRow: Hashable, Sendable {
        public var position: Int64
        public var tenant: Name
        public var order: Name
        public var at: Name
        public var atMicroseconds: Int64
        public var actor: Name
        public var type: Name
        public var details: Name
    }

    /// A row of `invitations`.
    public struct InvitationRow: Hashable, Sendable {
        public var tenant: Name
        public var invitation: Name
        /// `pending`, `accepted`, `revoked`, or `expired` when pending and `expires_at` is at
        /// or before the tenant's latest `at`.
        public var status: Name
        public var email: Name?
        public var role: Name?
        public var expiresAt: Name?
        public var expiresAtMicroseconds: Int64?
        public var user: Name?
    }

    /// A row of `users`.
    public struct UserRow: Hashable, Sendable {
        public var tenant: Name
        public var user: Name
        public var role: Name
    }

    /// A row of `subscriptions`.
    public struct SubscriptionRow: Hashable, Sendable {
        public var tenant: Name
        public var plan: Name
        public var mrrCents: Int64
        /// `active` or `cancelled`.
        public var status: Name
    }

    /// A row of `subscription_changes`.
    public struct SubscriptionChangeRow: Hashable, Sendable {
        public var position: Int64
        public var tenant: Name
        public var at: Name
        public var atMicroseconds: Int64
        public var actor: Name
        public var change: Name
        public var plan: Name
        public var mrrCents: Int64
    }

    /// A row of `audit_log`: one event of any type.
    public struct AuditLogRow: Hashable, Sendable {
        public var position: Int64
        public var tenant: Name
        public var at: Name
        public var atMicroseconds: Int64
        public var actor: Name
        public var type: Name
        public var target: Name
        /// The risk of an `audit.recorded` event, nil for other types.
        public var risk: Name?
    }

    /// A row of `journal_accounts`: credits minus debits.
    public struct JournalAccountRow: Hashable, Sendable {
        public var tenant: Name
        public var account: Name
        /// The worker of a `worker:<w>:...` account, nil for the tenant's own accounts.
        public var worker: Name?
        public var balanceCents: Int64
    }

    /// A row of `journal_transfers`.
    public struct JournalTransferRow: Hashable, Sendable {
        public var position: Int64
        public var tenant: Name
        public var at: Name
        public var atMicroseconds: Int64
        public var debit: Name
        public var credit: Name
        public var amountCents: Int64
    }
}
