import LedgerEngine

/// The `ledger-expected/1` document of `fixtures/README.md` ("Shape"): the outcome of every
/// line of a JSON Lines file and the read models of every tenant, so that a run can be
/// compared byte for byte with the fixture's expected files or an independent checker's.
public enum ExpectedDump {
    /// The value of the document's `format` field.
    public static let format = "ledger-expected/1"

    /// The outcome of one non-blank line (lines numbered from 1 by physical line).
    public struct LineOutcome: Sendable, Hashable {
        public var line: Int
        public var outcome: AppendOutcome

        public init(line: Int, outcome: AppendOutcome) {
            self.line = line
            self.outcome = outcome
        }
    }

    /// The canonical JSON document of fixtures/README.md "Shape": keys sorted, 2-space indent,
    /// UTF-8, final newline. `outcomes` are written in the order given; the read models are
    /// those `models` folded (their as-of point decides which).
    ///
    /// ```swift
    /// let text = ExpectedDump.render(outcomes: outcomes, models: models)
    /// try text.write(toFile: "sample.expected.json", atomically: true, encoding: .utf8)
    /// ```
    public static func render(outcomes: [LineOutcome], models: ReadModels) -> String {
        var tenants: [(key: String, value: DumpJSON)] = []
        for name in models.tenants {
            guard let tenant = models.tenant(name) else { continue }
            tenants.append((name.string, document(of: tenant)))
        }
        let root = DumpJSON.object([
            ("format", .string(format)),
            ("outcomes", .array(outcomes.map(document(of:)))),
            ("tenants", .object(tenants)),
        ])
        return root.rendered()
    }

    static func document(of outcome: LineOutcome) -> DumpJSON {
        let line = Int64(outcome.line)
        switch outcome.outcome {
        case .appended(let position):
            return .object([
                ("line", .integer(line)), ("outcome", .string("appended")), ("position", .integer(Int64(position))),
            ])
        case .duplicate(let position):
            return .object([
                ("line", .integer(line)), ("outcome", .string("duplicate")), ("position", .integer(Int64(position))),
            ])
        case .refused(let refusal):
            return .object([
                ("code", .string(refusal.code.rawValue)), ("line", .integer(line)), ("outcome", .string("refused")),
            ])
        }
    }

    static func document(of tenant: TenantReadModels) -> DumpJSON {
        .object([
            ("audit_count", .integer(Int64(tenant.auditCount))),
            ("balances", .object(tenant.balances().map { ($0.worker.string, document(of: $0)) })),
            ("invoices", .object(tenant.invoices().map { ($0.key, document(of: $0)) })),
            ("orders", .object(tenant.orders().map { ($0.order.string, document(of: $0)) })),
            ("invitations", .object(tenant.invitations().map { ($0.invitation.string, document(of: $0)) })),
            ("users", .object(tenant.users().map { ($0.user.string, .object([("role", .string($0.role.name))])) })),
            ("subscription", tenant.subscription.map(document(of:)) ?? .null),
            ("journal", .object(tenant.journalAccounts().map { ($0.account.name, .integer($0.balanceCents)) })),
        ])
    }

    static func document(of balance: WorkerBalance) -> DumpJSON {
        .object([
            ("available_cents", .integer(balance.availableCents)),
            ("pending_cents", .integer(balance.pendingCents)),
            ("total_earned_cents", .integer(balance.totalEarnedCents)),
        ])
    }

    static func document(of invoice: InvoiceView) -> DumpJSON {
        .object([
            ("submission_count", .integer(invoice.submissionCount)),
            ("work_pay_cents", .integer(invoice.workPayCents)),
            ("bonus_cents", .integer(invoice.bonusCents)),
            ("fine_cents", .integer(invoice.fineCents)),
            ("fixed_pay_cents", .integer(invoice.fixedPayCents)),
            ("total_cents", .integer(invoice.totalCents)),
            ("status", .string(invoice.status.name)),
        ])
    }

    static func document(of order: OrderView) -> DumpJSON {
        let history = order.history.map { entry -> DumpJSON in
            .array([
                .integer(Int64(entry.position)), .string(entry.at.canonical),
                .string(entry.actor.string), .string(entry.type.name),
            ])
        }
        return .object([
            ("state", .string(order.status.name)),
            ("client", .nullable(order.client)),
            ("manager", .nullable(order.manager)),
            ("writer", .nullable(order.writer)),
            ("fee_cents", .nullable(order.feeCents)),
            ("price_cents", .nullable(order.priceCents)),
            ("submissions", .nullable(order.submissions)),
            ("title", .nullable(order.title)),
            ("history", .array(history)),
        ])
    }

    static func document(of invitation: InvitationView) -> DumpJSON {
        .object([
            ("status", .string(invitation.status.name)),
            ("role", invitation.role.map { .string($0.name) } ?? .null),
            ("email", .nullable(invitation.email)),
            ("user", .nullable(invitation.user)),
        ])
    }

    static func document(of subscription: SubscriptionView) -> DumpJSON {
        let history = subscription.history.map { entry -> DumpJSON in
            .array([
                .integer(Int64(entry.position)), .string(entry.change.name), .string(entry.plan.string),
                .integer(entry.mrrCents),
            ])
        }
        return .object([
            ("plan", .string(subscription.plan.string)),
            ("mrr_cents", .integer(subscription.mrrCents)),
            ("status", .string(subscription.status.name)),
            ("history", .array(history)),
        ])
    }
}
