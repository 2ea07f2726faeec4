import GRDB
import LedgerDomain

/// Rebuilds the in-memory entity rows from the tables (never from the log), so that a
/// projection reopened after a stop, or after a crash, continues from its checkpoint.
extension ProjectionState {
    /// The state the tables hold, read inside the caller's transaction.
    static func restore(from database: Database) throws -> ProjectionState {
        var state = ProjectionState()
        let checkpoint = try SQLiteCheckpointRow.read(database)
        state.position = checkpoint.position
        state.chainHash = checkpoint.chainHash

        try forEachRow(database, "SELECT tenant, event_count, latest_at_microseconds FROM tenants") { row in
            state.tenants.restore(
                try row.name(0),
                TenantRowState(eventCount: try row.integer(1), latestAt: Timestamp(microseconds: try row.integer(2))))
        }
        try forEachRow(
            database, "SELECT tenant, worker, available_cents, pending_cents, total_earned_cents FROM writer_balances"
        ) { row in
            let worker = try row.name(1)
            state.balances.restore(
                ScopedName(try row.name(0), worker),
                WorkerBalance(
                    worker: worker, availableCents: try row.integer(2), pendingCents: try row.integer(3),
                    totalEarnedCents: try row.integer(4)))
        }
        try forEachRow(database, "SELECT tenant, worker, fixed_monthly_cents FROM writer_rates") { row in
            state.rates.restore(ScopedName(try row.name(0), try row.name(1)), try row.integer(2))
        }
        try forEachRow(
            database,
            "SELECT tenant, worker, period, submission_count, work_pay_cents, bonus_cents, fine_cents, fixed_pay_cents, status FROM invoices"
        ) { row in
            let status = try parse(try row.text(8), InvoiceStatus.allCases, \.name, table: "invoices", column: "status")
            let tally = InvoiceTallyState(
                submissionCount: try row.integer(3), workPayCents: try row.integer(4), bonusCents: try row.integer(5),
                fineCents: try row.integer(6), frozenFixedPayCents: status == .issued ? try row.integer(7) : nil)
            let key = ScopedInvoice(tenant: try row.name(0), worker: try row.name(1), period: try parsePeriod(try row.text(2)))
            state.invoices.restore(key, tally)
        }
        try forEachRow(
            database,
            "SELECT tenant, order_id, state, client, manager, writer, fee_cents, price_cents, submissions, title FROM orders"
        ) { row in
            let status = try parse(try row.text(2), OrderStatus.allCases, \.name, table: "orders", column: "state")
            let order = OrderRowState(
                status: status, client: try row.optionalName(3), manager: try row.optionalName(4),
                writer: try row.optionalName(5), feeCents: try row.optionalInteger(6), priceCents: try row.optionalInteger(7),
                submissions: try row.optionalInteger(8), title: try row.optionalText(9))
            state.orders.restore(ScopedName(try row.name(0), try row.name(1)), order)
        }
        try forEachRow(
            database, "SELECT tenant, invitation, status, email, role, expires_at_microseconds, user FROM invitations"
        ) { row in
            var status = try parse(try row.text(2), InvitationStatus.allCases, \.name, table: "invitations", column: "status")
            // `expired` is how a pending invitation is reported, never a folded status.
            if status == .expired { status = .pending }
            let role = try row.optionalText(4).map { try parse($0, Role.allCases, \.name, table: "invitations", column: "role") }
            let invitation = InvitationRowState(
                status: status, email: try row.optionalName(3), role: role,
                expiresAt: try row.optionalInteger(5).map(Timestamp.init(microseconds:)), user: try row.optionalName(6))
            state.invitations.restore(ScopedName(try row.name(0), try row.name(1)), invitation)
        }
        try forEachRow(database, "SELECT tenant, user, role FROM users") { row in
            let role = try parse(try row.text(2), Role.allCases, \.name, table: "users", column: "role")
            state.users.restore(ScopedName(try row.name(0), try row.name(1)), role)
        }
        try forEachRow(database, "SELECT tenant, plan, mrr_cents, status FROM subscriptions") { row in
            let status = try parse(try row.text(3), SubscriptionStatus.allCases, \.name, table: "subscriptions", column: "status")
            state.subscriptions.restore(
                try row.name(0), SubscriptionRowState(plan: try row.name(1), mrrCents: try row.integer(2), status: status))
        }
        try forEachRow(database, "SELECT tenant, account, worker, balance_cents FROM journal_accounts") { row in
            let account = try parseAccount(try row.text(1), worker: try row.optionalName(2))
            state.journalAccounts.restore(ScopedAccount(tenant: try row.name(0), account: account), try row.integer(3))
        }
        return state
    }

    private static func forEachRow(_ database: Database, _ sql: String, _ body: (SQLiteRowReader) throws -> Void) throws {
        try SQLiteRowStatement(database, sql: sql).forEachRow(body)
    }

    /// The case of `cases` whose name is `text` (compared byte by byte).
    static func parse<Case>(
        _ text: String, _ cases: [Case], _ name: (Case) -> String, table: String, column: String
    ) throws -> Case {
        guard let found = cases.first(where: { name($0).utf8.elementsEqual(text.utf8) }) else {
            throw SQLiteProjectionError.badValue(table: table, column: column, value: text)
        }
        return found
    }

    /// `YYYY-MM`, as `Period.appendText(to:)` writes it.
    static func parsePeriod(_ text: String) throws -> Period {
        guard let period = Period(parsing: text.utf8) else {
            throw SQLiteProjectionError.badValue(table: "invoices", column: "period", value: text)
        }
        return period
    }

    /// The account a `journal_accounts` row names: its `worker` column tells a worker's
    /// account from the tenant's own, and its name must be exactly the one written.
    static func parseAccount(_ text: String, worker: Name?) throws -> JournalAccount {
        let candidates: [JournalAccount]
        if let worker {
            candidates = [.workerPending(worker), .workerAvailable(worker)]
        } else {
            candidates = [.expenseWork, .expenseBonus, .expenseFixed, .incomeFines, .assetCash]
        }
        return try parse(text, candidates, \.name, table: "journal_accounts", column: "account")
    }
}

/// The row of `projection_checkpoint`.
struct SQLiteCheckpointRow {
    var position: UInt64
    var chainHash: [UInt8]?
    var formatVersion: Int64

    static func read(_ database: Database) throws -> SQLiteCheckpointRow {
        let statement = try SQLiteRowStatement(
            database, sql: "SELECT position, chain_hash, format_version FROM projection_checkpoint WHERE name = ?1")
        try statement.bind(SQLiteSchema.checkpointName, at: 1)
        var found: SQLiteCheckpointRow? = nil
        try statement.forEachRow { row in
            let position = try row.integer(0)
            guard position >= 0 else {
                throw SQLiteProjectionError.badValue(table: "projection_checkpoint", column: "position", value: String(position))
            }
            var chainHash: [UInt8]? = nil
            if let text = try row.optionalText(1) {
                guard let bytes = ChainHashText.bytes(text) else {
                    throw SQLiteProjectionError.badValue(table: "projection_checkpoint", column: "chain_hash", value: text)
                }
                chainHash = bytes
            }
            found = SQLiteCheckpointRow(position: UInt64(position), chainHash: chainHash, formatVersion: try row.integer(2))
        }
        guard let found else { throw SQLiteProjectionError.missingCheckpoint }
        return found
    }
}
