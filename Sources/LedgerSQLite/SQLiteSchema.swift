/// The tables of the read models: their SQL, the checkpoint row and the format version.
///
/// Conventions (docs/SQLITE.md describes every column):
/// - every entity row is keyed by `tenant` plus the entity's key; the append-only tables
///   (`audit_log`, `order_history`, `subscription_changes`, `journal_transfers`) are keyed by
///   the event's log `position`, which is unique over all tenants;
/// - money is INTEGER cents; timestamps are TEXT in the canonical form, beside an INTEGER
///   `*_microseconds` column (microseconds since 1970-01-01T00:00:00Z) for range queries;
/// - text compares with SQLite's default BINARY collation, that is byte by byte over UTF-8,
///   which is exactly EVENTS.md's code point comparison with no Unicode normalisation;
/// - tables are STRICT, so a column holds only its declared type; entity tables are
///   WITHOUT ROWID, stored in their primary key's order.
enum SQLiteSchema {
    /// The layout of the tables. A database of another version is not read or written until
    /// `SQLiteProjection.reset()` rebuilds it.
    static let formatVersion: Int64 = 1
    /// The name of the projection's row in `projection_checkpoint`.
    static let checkpointName = "read-models"

    /// Every table this module creates, in creation order.
    static let tableNames = [
        "projection_checkpoint", "tenants", "writer_balances", "writer_rates", "invoices", "orders", "order_history",
        "invitations", "users", "subscriptions", "subscription_changes", "audit_log", "journal_accounts",
        "journal_transfers",
    ]

    /// The statements that create every table and index of an empty database.
    static let creation = """
        CREATE TABLE projection_checkpoint (
            name TEXT NOT NULL PRIMARY KEY,
            position INTEGER NOT NULL,
            chain_hash TEXT,
            format_version INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE tenants (
            tenant TEXT NOT NULL PRIMARY KEY,
            event_count INTEGER NOT NULL,
            latest_at TEXT NOT NULL,
            latest_at_microseconds INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE writer_balances (
            tenant TEXT NOT NULL,
            worker TEXT NOT NULL,
            available_cents INTEGER NOT NULL,
            pending_cents INTEGER NOT NULL,
            total_earned_cents INTEGER NOT NULL,
            PRIMARY KEY (tenant, worker)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE writer_rates (
            tenant TEXT NOT NULL,
            worker TEXT NOT NULL,
            fixed_monthly_cents INTEGER NOT NULL,
            PRIMARY KEY (tenant, worker)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE invoices (
            tenant TEXT NOT NULL,
            worker TEXT NOT NULL,
            period TEXT NOT NULL,
            submission_count INTEGER NOT NULL,
            work_pay_cents INTEGER NOT NULL,
            bonus_cents INTEGER NOT NULL,
            fine_cents INTEGER NOT NULL,
            fixed_pay_cents INTEGER NOT NULL,
            total_cents INTEGER NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (tenant, worker, period)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE orders (
            tenant TEXT NOT NULL,
            order_id TEXT NOT NULL,
            state TEXT NOT NULL,
            client TEXT,
            manager TEXT,
            writer TEXT,
            fee_cents INTEGER,
            price_cents INTEGER,
            submissions INTEGER,
            title TEXT,
            PRIMARY KEY (tenant, order_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE order_history (
            position INTEGER NOT NULL PRIMARY KEY,
            tenant TEXT NOT NULL,
            order_id TEXT NOT NULL,
            at TEXT NOT NULL,
            at_microseconds INTEGER NOT NULL,
            actor TEXT NOT NULL,
            type TEXT NOT NULL,
            details TEXT NOT NULL
        ) STRICT;

        CREATE TABLE invitations (
            tenant TEXT NOT NULL,
            invitation TEXT NOT NULL,
            status TEXT NOT NULL,
            email TEXT,
            role TEXT,
            expires_at TEXT,
            expires_at_microseconds INTEGER,
            user TEXT,
            PRIMARY KEY (tenant, invitation)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE users (
            tenant TEXT NOT NULL,
            user TEXT NOT NULL,
            role TEXT NOT NULL,
            PRIMARY KEY (tenant, user)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE subscriptions (
            tenant TEXT NOT NULL PRIMARY KEY,
            plan TEXT NOT NULL,
            mrr_cents INTEGER NOT NULL,
            status TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE subscription_changes (
            position INTEGER NOT NULL PRIMARY KEY,
            tenant TEXT NOT NULL,
            at TEXT NOT NULL,
            at_microseconds INTEGER NOT NULL,
            actor TEXT NOT NULL,
            change TEXT NOT NULL,
            plan TEXT NOT NULL,
            mrr_cents INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE audit_log (
            position INTEGER NOT NULL PRIMARY KEY,
            tenant TEXT NOT NULL,
            at TEXT NOT NULL,
            at_microseconds INTEGER NOT NULL,
            actor TEXT NOT NULL,
            type TEXT NOT NULL,
            target TEXT NOT NULL,
            risk TEXT
        ) STRICT;

        CREATE TABLE journal_accounts (
            tenant TEXT NOT NULL,
            account TEXT NOT NULL,
            worker TEXT,
            balance_cents INTEGER NOT NULL,
            PRIMARY KEY (tenant, account)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE journal_transfers (
            position INTEGER NOT NULL PRIMARY KEY,
            tenant TEXT NOT NULL,
            at TEXT NOT NULL,
            at_microseconds INTEGER NOT NULL,
            debit TEXT NOT NULL,
            credit TEXT NOT NULL,
            amount_cents INTEGER NOT NULL
        ) STRICT;
        """

    /// The secondary indexes (the tables' own keys aside), each created only if missing: the
    /// tables' creation runs them, and so does every open, which so restores any that a bulk
    /// load dropped before it was cut short.
    static let indexes: [String] = [
        "CREATE INDEX IF NOT EXISTS order_history_by_order ON order_history (tenant, order_id);",
        "CREATE INDEX IF NOT EXISTS invitations_pending_by_expiry ON invitations (tenant, expires_at_microseconds) WHERE status = 'pending';",
        "CREATE INDEX IF NOT EXISTS subscription_changes_by_tenant ON subscription_changes (tenant);",
        "CREATE INDEX IF NOT EXISTS audit_log_by_actor ON audit_log (tenant, actor);",
        "CREATE INDEX IF NOT EXISTS audit_log_by_type ON audit_log (tenant, type);",
        "CREATE INDEX IF NOT EXISTS audit_log_by_target ON audit_log (tenant, target);",
        "CREATE INDEX IF NOT EXISTS audit_log_by_at ON audit_log (tenant, at_microseconds);",
        "CREATE INDEX IF NOT EXISTS audit_log_by_risk ON audit_log (tenant, risk) WHERE risk IS NOT NULL;",
        "CREATE INDEX IF NOT EXISTS journal_transfers_by_debit ON journal_transfers (tenant, debit);",
        "CREATE INDEX IF NOT EXISTS journal_transfers_by_credit ON journal_transfers (tenant, credit);",
    ]

    /// The names of `indexes`, for dropping them before a bulk load.
    static let indexNames = ["order_history_by_order", "invitations_pending_by_expiry", "subscription_changes_by_tenant", "audit_log_by_actor", "audit_log_by_type", "audit_log_by_target", "audit_log_by_at", "audit_log_by_risk", "journal_transfers_by_debit", "journal_transfers_by_credit"]


    /// Drops every table of `tableNames` (their indexes go with them).
    static var dropping: String {
        tableNames.map { "DROP TABLE IF EXISTS \($0);" }.joined(separator: "\n")
    }
}
