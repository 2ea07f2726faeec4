import LedgerDomain
import LedgerEngine
import Testing

/// Decides and appends events in order, as the ledger does, and hands out the recorded log.
struct DecidedLog {
    var state = DomainState()
    var recorded: [RecordedEvent] = []

    mutating func append(_ events: Event...) throws {
        for event in events {
            let effect = try state.decide(event).get()
            state.apply(event, effect: effect)
            recorded.append(RecordedEvent(position: UInt64(recorded.count + 1), event: event, effect: effect))
        }
    }

    func models(asOf: AsOf = .end) -> ReadModels {
        var models = ReadModels(asOf: asOf)
        for event in recorded { models.fold(event) }
        return models
    }

    func tenant(_ tenant: Name = "acme", asOf: AsOf = .end) throws -> TenantReadModels {
        try #require(models(asOf: asOf).tenant(tenant))
    }
}

@Suite struct ReadModelTests {
    /// An order placed, assigned and submitted (by `at`) after T, but approved before T.
    static func lateAssignmentLog() throws -> DecidedLog {
        var log = DecidedLog()
        try log.append(
            RuleEvents.event(.orderPlaced(order: "o-5", client: "u-g1", title: "Notes", priceCents: 20000), at: "2026-02-16T09:00:00Z"),
            RuleEvents.event(.jobAssigned(order: "o-5", writer: "w-2", feeCents: 9000), at: "2026-02-16T09:05:00Z"),
            RuleEvents.event(.orderSubmitted(order: "o-5", submissions: 2), at: "2026-02-16T09:10:00Z"),
            RuleEvents.event(.orderApproved(order: "o-5"), at: "2026-02-15T11:00:00Z"))
        return log
    }

    @Test func asOfTimeFoldsTheEffectsFixedAtAppend() throws {
        let tenant = try Self.lateAssignmentLog().tenant(asOf: .time(RuleEvents.time("2026-02-15T12:00:00Z")))
        let order = try #require(tenant.order("o-5"))
        #expect(order.status == .approved)
        #expect(order.writer == nil && order.feeCents == nil && order.submissions == nil)
        #expect(order.title == nil && order.client == nil && order.priceCents == nil)
        #expect(order.history.map(\.position) == [4])
        #expect(tenant.balance(of: "w-2") == WorkerBalance(worker: "w-2", pendingCents: 9000, totalEarnedCents: 9000))
        let invoice = try #require(tenant.invoice(worker: "w-2", period: Period(year: 2026, month: 2)))
        #expect(invoice.submissionCount == 2 && invoice.workPayCents == 9000 && invoice.status == .draft)
        #expect(tenant.journalBalance(of: .expenseWork) == -9000)
    }

    @Test func asOfPositionFoldsAPrefixOfTheLog() throws {
        let log = try Self.lateAssignmentLog()
        let tenant = try log.tenant(asOf: .position(2))
        let order = try #require(tenant.order("o-5"))
        #expect(order.status == .assigned && order.writer == "w-2" && order.feeCents == 9000 && order.submissions == nil)
        #expect(tenant.balances().isEmpty && tenant.invoices().isEmpty && tenant.journalAccounts().isEmpty)
        #expect(tenant.auditCount == 2)
        #expect(log.models(asOf: .position(0)).tenants.isEmpty)
        #expect(log.models(asOf: .time(RuleEvents.time("2026-01-01T00:00:00Z"))).tenants.isEmpty)
    }

    @Test func invitationExpiryIsJudgedAtTheAsOfTime() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.event(
                .invitationCreated(invitation: "inv-5", email: "w5@acme.example", role: .writer, expiresAt: RuleEvents.time("2026-02-01T00:00:00Z")),
                at: "2026-01-05T10:00:00Z"),
            RuleEvents.event(
                .invitationCreated(invitation: "inv-3", email: "w3@acme.example", role: .writer, expiresAt: RuleEvents.time("2026-01-05T00:00:00Z")),
                at: "2026-01-02T09:07:00Z"),
            RuleEvents.event(.auditRecorded(action: "login", targetType: "user", targetID: "u-1", risk: .low, metadata: nil), at: "2026-01-31T00:00:00Z"),
            RuleEvents.event(.invitationRevoked(invitation: "inv-3"), at: "2026-03-10T13:00:00Z"))
        // As of position 3 the latest `at` is 2026-01-31: inv-3 expired, inv-5 still pending.
        let atThree = try log.tenant(asOf: .position(3))
        #expect(atThree.statusTime == RuleEvents.time("2026-01-31T00:00:00Z"))
        #expect(atThree.invitation("inv-3")?.status == .expired)
        #expect(atThree.invitation("inv-5")?.status == .pending)
        // At the end the latest `at` is 2026-03-10: the expired invitation was revoked, inv-5 expired.
        let atEnd = try log.tenant()
        #expect(atEnd.invitation("inv-3")?.status == .revoked)
        #expect(atEnd.invitation("inv-5")?.status == .expired)
        // As of a time, the time itself decides, expiry instant included.
        let atExpiry = try log.tenant(asOf: .time(RuleEvents.time("2026-02-01T00:00:00Z")))
        #expect(atExpiry.invitation("inv-5")?.status == .expired)
        let beforeExpiry = try log.tenant(asOf: .time(RuleEvents.time("2026-01-31T23:59:59.999999Z")))
        #expect(beforeExpiry.invitation("inv-5")?.status == .pending)
        #expect(beforeExpiry.invitations().map(\.invitation) == ["inv-3", "inv-5"])
    }

    @Test func acceptanceRegistersTheUserWithTheFixedRole() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.event(
                .invitationCreated(invitation: "inv-9", email: "w2@acme.example", role: .manager, expiresAt: RuleEvents.time("2026-03-17T12:00:00Z")),
                at: "2026-03-10T12:00:00Z"),
            RuleEvents.event(.invitationAccepted(invitation: "inv-9", user: "w-2"), at: "2026-03-10T11:30:00Z"))
        let tenant = try log.tenant()
        #expect(tenant.users() == [UserView(user: "w-2", role: .manager)])
        #expect(tenant.invitation("inv-9")?.status == .accepted && tenant.invitation("inv-9")?.user == "w-2")
        // As of a time between the acceptance's `at` and the creation's `at`, only the acceptance is folded.
        let between = try log.tenant(asOf: .time(RuleEvents.time("2026-03-10T11:45:00Z")))
        #expect(between.users() == [UserView(user: "w-2", role: .manager)])
        let invitation = try #require(between.invitation("inv-9"))
        #expect(invitation.status == .accepted && invitation.email == nil && invitation.role == nil)
    }

    @Test func draftInvoicesShowTheLatestRateAndIssuedOnesTheFrozenPay() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.event(.workerRateSet(worker: "w-1", fixedMonthlyCents: 100000), at: "2026-01-05T12:00:00Z"),
            RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 2000, reason: "x"), at: "2026-01-20T00:00:00Z"),
            RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 3000, reason: "x"), at: "2026-02-03T00:00:00Z"),
            RuleEvents.event(.invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1)), at: "2026-02-01T00:00:00Z"),
            RuleEvents.event(.workerRateSet(worker: "w-1", fixedMonthlyCents: 150000), at: "2026-02-20T09:00:00Z"),
            RuleEvents.event(.invoiceIssued(worker: "w-9", period: Period(year: 2026, month: 1)), at: "2026-02-01T00:00:00Z"))
        let tenant = try log.tenant()
        let january = try #require(tenant.invoice(worker: "w-1", period: Period(year: 2026, month: 1)))
        #expect(january.status == .issued && january.fixedPayCents == 100000 && january.totalCents == 102000)
        let february = try #require(tenant.invoice(worker: "w-1", period: Period(year: 2026, month: 2)))
        #expect(february.status == .draft && february.fixedPayCents == 150000 && february.totalCents == 153000)
        // An issue with zero fixed pay: the invoice exists, but no money moved, so no balance.
        let zero = try #require(tenant.invoice(worker: "w-9", period: Period(year: 2026, month: 1)))
        #expect(zero.status == .issued && zero.totalCents == 0 && zero.key == "w-9/2026-01")
        #expect(tenant.balance(of: "w-9") == nil)
        #expect(tenant.journalBalance(of: .workerAvailable("w-9")) == nil)
        #expect(tenant.invoices().map(\.key) == ["w-1/2026-01", "w-1/2026-02", "w-9/2026-01"])
        #expect(tenant.fixedMonthlyCents(of: "w-1") == 150000)
        #expect(tenant.balance(of: "w-1") == WorkerBalance(worker: "w-1", availableCents: 105000, totalEarnedCents: 105000))
    }

    @Test func zeroFeeJobMakesAnInvoiceButNoBalanceNorTransfer() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.event(.orderPlaced(order: "o-3", client: "u-c2", title: "", priceCents: 10000)),
            RuleEvents.event(.jobAssigned(order: "o-3", writer: "w-4", feeCents: 0)),
            RuleEvents.event(.orderSubmitted(order: "o-3", submissions: 1)),
            RuleEvents.event(.orderApproved(order: "o-3")),
            RuleEvents.event(.orderCompleted(order: "o-3")))
        let tenant = try log.tenant()
        #expect(tenant.balances().isEmpty)
        #expect(tenant.journalAccounts().isEmpty && tenant.journalTransfers.isEmpty)
        let invoice = try #require(tenant.invoice(worker: "w-4", period: Period(year: 2026, month: 1)))
        #expect(invoice.submissionCount == 1 && invoice.workPayCents == 0)
        #expect(tenant.order("o-3")?.title == "")
    }

    @Test func journalTransfersFollowTheTable() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.placed, RuleEvents.assigned, RuleEvents.submitted, RuleEvents.approved, RuleEvents.completed,
            RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 500, reason: "x")),
            RuleEvents.event(.fineIssued(worker: "w-1", amountCents: 700, reason: "x")),
            RuleEvents.event(.payoutPaid(worker: "w-1", amountCents: 1000, reference: "PO")),
            RuleEvents.event(.workerRateSet(worker: "w-1", fixedMonthlyCents: 300)),
            RuleEvents.issuedJanuary)
        let tenant = try log.tenant()
        let transfers = tenant.journalTransfers.map { "\($0.position) \($0.debit.name) -> \($0.credit.name) \($0.amountCents)" }
        #expect(
            transfers == [
                "4 expense:work -> worker:w-1:pending 20000",
                "5 worker:w-1:pending -> worker:w-1:available 20000",
                "6 expense:bonus -> worker:w-1:available 500",
                "7 worker:w-1:available -> income:fines 700",
                "8 worker:w-1:available -> asset:cash 1000",
                "10 expense:fixed -> worker:w-1:available 300",
            ])
        let accounts = tenant.journalAccounts().map { "\($0.account.name)=\($0.balanceCents)" }
        #expect(
            accounts == [
                "asset:cash=1000", "expense:bonus=-500", "expense:fixed=-300", "expense:work=-20000", "income:fines=700",
                "worker:w-1:available=19100", "worker:w-1:pending=0",
            ])
        #expect(tenant.balance(of: "w-1") == WorkerBalance(worker: "w-1", availableCents: 19100, totalEarnedCents: 20800))
    }

    @Test func auditTrailListsEveryEventWithItsTargetAndFilters() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.subscription(.created),
            RuleEvents.invitation,
            RuleEvents.event(.workerRateSet(worker: "w-1", fixedMonthlyCents: 1), actor: "u-boss"),
            RuleEvents.placed,
            RuleEvents.issuedJanuary,
            RuleEvents.event(.auditRecorded(action: "export", targetType: "report", targetID: "r-1", risk: .medium, metadata: nil), at: "2026-01-26T12:00:00.5Z"),
            RuleEvents.event(.auditRecorded(action: "login", targetType: "user", targetID: "u-1", risk: .low, metadata: "{\"ip\":\"10.0.0.7\"}")))
        let tenant = try log.tenant()
        #expect(tenant.auditCount == 7)
        let all = tenant.auditTrail()
        #expect(all.map(\.target) == ["acme", "inv-1", "w-1", "o-1", "w-1/2026-01", "report/r-1", "user/u-1"])
        #expect(all.map(\.position) == Array(1...7))
        #expect(all.map(\.risk) == [nil, nil, nil, nil, nil, .medium, .low])
        #expect(tenant.auditTrail(AuditFilter(actor: "u-boss")).map(\.position) == [3])
        #expect(tenant.auditTrail(AuditFilter(type: .auditRecorded)).map(\.position) == [6, 7])
        #expect(tenant.auditTrail(AuditFilter(target: "w-1/2026-01")).map(\.type) == [.invoiceIssued])
        #expect(tenant.auditTrail(AuditFilter(risk: .medium)).map(\.position) == [6])
        let range = AuditFilter(since: RuleEvents.time("2026-01-06T08:00:00Z"), until: RuleEvents.time("2026-01-26T12:00:00.5Z"))
        #expect(tenant.auditTrail(range).map(\.position) == [1, 3, 4, 6, 7])
        #expect(tenant.auditTrail(AuditFilter(actor: "u-admin", type: .auditRecorded, risk: .low)).map(\.position) == [7])
    }

    @Test func orderHistoryKeepsEveryOrderEventInLogOrder() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.placed, RuleEvents.accepted,
            RuleEvents.event(.jobAssigned(order: "o-1", writer: "w-2", feeCents: 15000)),
            RuleEvents.assigned, RuleEvents.submitted, RuleEvents.rejected,
            RuleEvents.event(.orderSubmitted(order: "o-1", submissions: 4)),
            RuleEvents.approved,
            RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 1, reason: "x")),
            RuleEvents.completed)
        let order = try #require(try log.tenant().order("o-1"))
        #expect(order.history.map(\.position) == [1, 2, 3, 4, 5, 6, 7, 8, 10])
        #expect(order.history.map(\.type.name).last == "order.completed")
        #expect(order.writer == "w-1" && order.feeCents == 20000 && order.submissions == 4 && order.manager == "u-m1")
        #expect(order.status == .completed)
        #expect(order.history[2].details == "writer w-2, fee 15000 cents")
        #expect(order.history[7].details.contains("20000") && order.history[7].details.contains("w-1"))
    }

    @Test func subscriptionKeepsEveryChange() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.subscription(.created),
            RuleEvents.event(.subscriptionChanged(change: .upgraded, plan: "business", mrrCents: 29900)),
            RuleEvents.event(.subscriptionChanged(change: .cancelled, plan: "business", mrrCents: 0)))
        let subscription = try #require(try log.tenant().subscription)
        #expect(subscription.plan == "business" && subscription.mrrCents == 0 && subscription.status == .cancelled)
        #expect(subscription.history.map(\.change) == [.created, .upgraded, .cancelled])
        #expect(try log.tenant(asOf: .position(2)).subscription?.status == .active)
    }

    @Test func tenantsAreSeparateAndSortedByBytes() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.event(.bonusAdded(worker: "\u{E9}", amountCents: 1, reason: "x"), tenant: "globex"),
            RuleEvents.event(.bonusAdded(worker: "z", amountCents: 2, reason: "x"), tenant: "globex"),
            RuleEvents.event(.bonusAdded(worker: "e\u{301}", amountCents: 3, reason: "x"), tenant: "globex"),
            RuleEvents.event(.bonusAdded(worker: "z", amountCents: 4, reason: "x"), tenant: "acme"))
        let models = log.models()
        #expect(models.tenants == ["acme", "globex"])
        let globex = try #require(models.tenant("globex"))
        // "e" + combining accent < "z" < "é" in code point order; the two accents are two workers.
        #expect(globex.balances().map(\.availableCents) == [3, 2, 1])
        #expect(models.tenant("acme")?.balances() == [WorkerBalance(worker: "z", availableCents: 4, totalEarnedCents: 4)])
        #expect(models.tenant("initech") == nil)
    }

    @Test func dumpPrintsLikeTheFixtureFiles() throws {
        var log = DecidedLog()
        let worker = Name("w\"\u{E9}\n\u{1}\u{1F}")
        try log.append(
            RuleEvents.event(.fineIssued(worker: worker, amountCents: 5, reason: "x"), tenant: "t-1"),
            RuleEvents.event(.auditRecorded(action: "login", targetType: "user", targetID: "u", risk: .low, metadata: nil), tenant: "t-1"))
        let outcomes = [
            ExpectedDump.LineOutcome(line: 1, outcome: .appended(position: 1)),
            ExpectedDump.LineOutcome(line: 3, outcome: .duplicate(position: 1)),
            ExpectedDump.LineOutcome(line: 4, outcome: .refused(Refusal(.conflict, "differs"))),
        ]
        // Made with Python: json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        let expected = #"""
            {
              "format": "ledger-expected/1",
              "outcomes": [
                {
                  "line": 1,
                  "outcome": "appended",
                  "position": 1
                },
                {
                  "line": 3,
                  "outcome": "duplicate",
                  "position": 1
                },
                {
                  "code": "conflict",
                  "line": 4,
                  "outcome": "refused"
                }
              ],
              "tenants": {
                "t-1": {
                  "audit_count": 2,
                  "balances": {
                    "w\"é\n\u0001\u001f": {
                      "available_cents": -5,
                      "pending_cents": 0,
                      "total_earned_cents": 0
                    }
                  },
                  "invitations": {},
                  "invoices": {
                    "w\"é\n\u0001\u001f/2026-01": {
                      "bonus_cents": 0,
                      "fine_cents": 5,
                      "fixed_pay_cents": 0,
                      "status": "draft",
                      "submission_count": 0,
                      "total_cents": -5,
                      "work_pay_cents": 0
                    }
                  },
                  "journal": {
                    "income:fines": 5,
                    "worker:w\"é\n\u0001\u001f:available": -5
                  },
                  "orders": {},
                  "subscription": null,
                  "users": {}
                }
              }
            }

            """#
        let rendered = ExpectedDump.render(outcomes: outcomes, models: log.models())
        #expect(ReadModelSampleTests.firstDifference(expected: expected, actual: rendered) == nil)
        #expect(rendered.utf8.elementsEqual(expected.utf8))
    }

    @Test func dumpPrintsHistoryTimesCanonically() throws {
        var log = DecidedLog()
        try log.append(
            RuleEvents.event(.orderPlaced(order: "o-1", client: "c", title: "t", priceCents: 1), at: "2026-01-06T09:05:00.000Z"),
            RuleEvents.event(.orderAccepted(order: "o-1", manager: "m"), at: "2026-02-02T11:00:00.500Z"),
            RuleEvents.event(.jobAssigned(order: "o-1", writer: "w", feeCents: 1), at: "2026-02-05T09:00:00.120000Z"),
            RuleEvents.event(.orderCancelled(order: "o-1", reason: "r"), at: "1969-12-31T23:59:59.000001Z"))
        let rendered = ExpectedDump.render(outcomes: [], models: log.models())
        for text in ["\"2026-01-06T09:05:00Z\"", "\"2026-02-02T11:00:00.5Z\"", "\"2026-02-05T09:00:00.12Z\"", "\"1969-12-31T23:59:59.000001Z\""] {
            #expect(rendered.contains(text), "\(text) missing")
        }
        #expect(rendered.contains("\"outcomes\": [],"))
    }
}
