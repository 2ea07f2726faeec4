import GRDB
import LedgerDomain
import LedgerSQLite
import Testing

/// Row by row, against values written out by hand: canonical timestamps, periods, names that
/// Unicode would call equal, draft invoices that follow the rate, invitations that expire
/// without being touched, and the indexes the audit filters use.
@Suite struct SQLiteProjectionRowTests {
    static func time(_ text: String) throws -> Timestamp { try #require(Timestamp(parsing: text.utf8)) }

    /// Applies `events` (positions given in order from 1) one batch per event.
    static func project(_ events: [(Event, Effect)], in directory: String) throws -> SQLiteProjection {
        let projection = try SQLiteProjection(path: directory + "/read-models.sqlite")
        for (index, (event, effect)) in events.enumerated() {
            let position = UInt64(index + 1)
            try projection.apply(
                [RecordedEvent(position: position, event: event, effect: effect)], chainHash: SQLiteTestSupport.chainHash(after: position))
        }
        let recorded = events.enumerated().map { RecordedEvent(position: UInt64($0.offset + 1), event: $0.element.0, effect: $0.element.1) }
        SQLiteTestSupport.expectEqual(
            try projection.contents(), SQLiteProjection.expectedContents(SQLiteTestSupport.models(recorded)), "hand-made history")
        return projection
    }

    static func bonus(_ id: String, worker: Name, at: Timestamp, tenant: Name = "acme") -> (Event, Effect) {
        (Event(tenant: tenant, id: Name(id), at: at, actor: "u-admin", data: .bonusAdded(worker: worker, amountCents: 100, reason: "")), .none)
    }

    @Test func timestampsAreCanonicalAndPeriodsAreUTCMonths() throws {
        let texts = [
            "2026-03-04T10:15:00Z", "2026-03-04T10:15:00.5Z", "2026-03-04T10:15:00.000001Z", "2026-03-04T10:15:00.123456Z",
            "2024-02-29T23:59:59.99Z", "1969-12-31T23:59:59.9Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
            "2026-01-31T23:59:59.999999Z", "2026-02-01T00:00:00Z",
        ]
        let directory = SQLiteTestSupport.temporaryDirectory("time")
        defer { SQLiteTestSupport.cleanUp(directory) }
        // The same instant written with trailing zeros prints without them.
        var events = [bonusAt("2026-03-04T10:15:00.500000Z", index: 0)]
        events += try texts.enumerated().map { try Self.bonus("e-\($0.offset + 1)", worker: "w-1", at: Self.time($0.element)) }
        let contents = try Self.project(events, in: directory).contents()
        #expect(contents.auditLog.map(\.at.string) == ["2026-03-04T10:15:00.5Z"] + texts)
        #expect(contents.auditLog.map(\.atMicroseconds) == events.map(\.0.at.microseconds))
        #expect(
            contents.invoices.map(\.period.string) == [
                "0000-01", "0001-01", "1969-12", "2024-02", "2026-01", "2026-02", "2026-03", "9999-12",
            ])
        #expect(contents.tenants.map(\.latestAt.string) == ["9999-12-31T23:59:59.999999Z"])
    }

    private func bonusAt(_ text: String, index: Int) -> (Event, Effect) {
        Self.bonus("e-\(index)", worker: "w-1", at: try! Self.time(text))
    }

    @Test func namesAreKeptByteForByte() throws {
        let precomposed = Name("w-\u{E9}")
        let combining = Name("w-e\u{301}")
        let withNul = Name("w-\u{0}x")
        let directory = SQLiteTestSupport.temporaryDirectory("names")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let at = try Self.time("2026-03-04T10:15:00Z")
        let events = [
            Self.bonus("e-1", worker: precomposed, at: at), Self.bonus("e-2", worker: combining, at: at),
            Self.bonus("e-3", worker: combining, at: at), Self.bonus("e-4", worker: withNul, at: at),
            Self.bonus("e-5", worker: precomposed, at: at, tenant: "globex"),
        ]
        let contents = try Self.project(events, in: directory).contents()
        let acme = contents.writerBalances.filter { $0.tenant == "acme" }
        // Three workers in byte order: "w-\0x" < "w-e\u{301}" < "w-\u{E9}".
        #expect(acme.map(\.worker) == [withNul, combining, precomposed])
        #expect(acme.map { Array($0.worker.string.utf8) } == [withNul, combining, precomposed].map { Array($0.string.utf8) })
        #expect(acme.map(\.availableCents) == [100, 200, 100])
        #expect(contents.writerBalances.filter { $0.tenant == "globex" }.map(\.worker) == [precomposed])
        #expect(contents.journalAccounts.contains { $0.account == Name("worker:w-\u{0}x:available") && $0.worker == withNul })
        #expect(contents.auditLog.map(\.target) == [precomposed, combining, combining, withNul, precomposed])
    }

    @Test func draftInvoicesFollowTheLatestRateAndIssuedOnesKeepTheirs() throws {
        let directory = SQLiteTestSupport.temporaryDirectory("rates")
        defer { SQLiteTestSupport.cleanUp(directory) }
        func event(_ id: String, _ at: String, _ data: EventData) throws -> Event {
            Event(tenant: "acme", id: Name(id), at: try Self.time(at), actor: "u-admin", data: data)
        }
        let events: [(Event, Effect)] = [
            (try event("e-1", "2026-01-10T00:00:00Z", .bonusAdded(worker: "w-1", amountCents: 500, reason: "")), .none),
            (try event("e-2", "2026-02-10T00:00:00Z", .fineIssued(worker: "w-1", amountCents: 200, reason: "")), .none),
            (try event("e-3", "2026-02-11T00:00:00Z", .workerRateSet(worker: "w-1", fixedMonthlyCents: 1000)), .none),
            (try event("e-4", "2026-02-12T00:00:00Z", .invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1))), .invoice(fixedPayCents: 1000)),
            (try event("e-5", "2026-02-13T00:00:00Z", .workerRateSet(worker: "w-1", fixedMonthlyCents: 3000)), .none),
            (try event("e-6", "2026-02-14T00:00:00Z", .workerRateSet(worker: "w-2", fixedMonthlyCents: 7000)), .none),
        ]
        let contents = try Self.project(events, in: directory).contents()
        let invoices = contents.invoices.map { "\($0.worker)/\($0.period) \($0.status) fixed \($0.fixedPayCents) total \($0.totalCents)" }
        #expect(invoices == ["w-1/2026-01 issued fixed 1000 total 1500", "w-1/2026-02 draft fixed 3000 total 2800"])
        #expect(contents.writerRates.map { "\($0.worker) \($0.fixedMonthlyCents)" } == ["w-1 3000", "w-2 7000"])
    }

    @Test func pendingInvitationsExpireWhenTheirTenantsTimePassesThem() throws {
        let directory = SQLiteTestSupport.temporaryDirectory("expiry")
        defer { SQLiteTestSupport.cleanUp(directory) }
        func event(_ id: String, _ at: String, _ data: EventData, tenant: Name = "acme") throws -> Event {
            Event(tenant: tenant, id: Name(id), at: try Self.time(at), actor: "u-admin", data: data)
        }
        let expiry = try Self.time("2026-01-05T00:00:00Z")
        let created: (String, Name) -> EventData = { _, invitation in
            .invitationCreated(invitation: invitation, email: "a@example.com", role: .writer, expiresAt: expiry)
        }
        var events: [(Event, Effect)] = [
            (try event("e-1", "2026-01-01T00:00:00Z", created("", "inv-1")), .none),
            (try event("e-2", "2026-01-01T00:00:00Z", created("", "inv-2")), .none),
            (try event("e-3", "2026-01-01T00:00:00Z", created("", "inv-3"), tenant: "globex"), .none),
        ]
        // Another tenant's time does not expire acme's invitations; acme's own does, at the instant.
        events.append((try event("e-4", "2026-01-09T00:00:00Z", .bonusAdded(worker: "w-1", amountCents: 1, reason: ""), tenant: "globex"), .none))
        events.append((try event("e-5", "2026-01-05T00:00:00Z", .bonusAdded(worker: "w-1", amountCents: 1, reason: "")), .none))
        events.append((try event("e-6", "2026-01-06T00:00:00Z", .invitationRevoked(invitation: "inv-2")), .none))
        let projection = try Self.project(events, in: directory)
        let statuses = try projection.contents().invitations.map { "\($0.tenant) \($0.invitation) \($0.status)" }
        #expect(statuses == ["acme inv-1 expired", "acme inv-2 revoked", "globex inv-3 expired"])
    }

    @Test func auditFiltersUseTheirIndexes() throws {
        let directory = SQLiteTestSupport.temporaryDirectory("indexes")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        _ = try SQLiteProjection(path: path)
        let queries = [
            ("SELECT * FROM audit_log WHERE tenant = 'acme' AND actor = 'u-1' ORDER BY position", "audit_log_by_actor"),
            ("SELECT * FROM audit_log WHERE tenant = 'acme' AND type = 'payout.paid' ORDER BY position", "audit_log_by_type"),
            ("SELECT * FROM audit_log WHERE tenant = 'acme' AND target = 'w-1' ORDER BY position", "audit_log_by_target"),
            (
                "SELECT * FROM audit_log WHERE tenant = 'acme' AND at_microseconds BETWEEN 0 AND 10 ORDER BY position",
                "audit_log_by_at"
            ),
            ("SELECT * FROM audit_log WHERE tenant = 'acme' AND risk = 'high' ORDER BY position", "audit_log_by_risk"),
            ("SELECT * FROM order_history WHERE tenant = 'acme' AND order_id = 'o-1' ORDER BY position", "order_history_by_order"),
            ("SELECT * FROM journal_transfers WHERE tenant = 'acme' AND credit = 'asset:cash'", "journal_transfers_by_credit"),
        ]
        let queue = try DatabaseQueue(path: path)
        for (query, index) in queries {
            let plan = try queue.read { database in
                try Row.fetchAll(database, sql: "EXPLAIN QUERY PLAN " + query).map { row -> String in row["detail"] }
                    .joined(separator: "; ")
            }
            #expect(plan.contains(index), "\(query): \(plan)")
        }
    }

    /// A bulk load runs without the secondary indexes and builds them after; one cut short
    /// (its body threw, or the process stopped) leaves them to the next open, which builds them.
    @Test func secondaryIndexesDroppedForABulkLoadComeBackAfterItOrAtTheNextOpen() throws {
        let directory = SQLiteTestSupport.temporaryDirectory("bulk-indexes")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        func indexCount() throws -> Int {
            try DatabaseQueue(path: path).read { database in
                try Int.fetchOne(database, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'") ?? -1
            }
        }
        let projection = try SQLiteProjection(path: path)
        #expect(try indexCount() == 10)
        let events = SQLiteRandomHistory.make(seed: 3, offeredCount: 300)
        try projection.withSecondaryIndexesDropped {
            #expect(try indexCount() == 0)
            try projection.apply(events, chainHash: SQLiteTestSupport.chainHash(after: events.last!.position))
        }
        #expect(try indexCount() == 10)
        #expect(try projection.contents() == SQLiteProjection.expectedContents(SQLiteTestSupport.models(events)))

        struct CutShort: Error {}
        #expect(throws: CutShort.self) { try projection.withSecondaryIndexesDropped { throw CutShort() } }
        #expect(try indexCount() == 0)
        _ = try SQLiteProjection(path: path)
        #expect(try indexCount() == 10)
    }
}
