import Foundation
import LedgerDomain
import LedgerSQLite
import LedgerTestSupport
import Testing

/// The tables against the fixture's own expected file, read independently of `ReadModels`: the
/// rows of the sample's tables, shaped like `sample.expected.json`'s tenants, are those of the file.
@Suite struct SQLiteProjectionFixtureTests {
    @Test func sampleTablesReproduceTheExpectedFile() throws {
        let history = try SQLiteSampleHistory.recorded()
        let directory = SQLiteTestSupport.temporaryDirectory("fixture")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let projection = try SQLiteProjection(path: directory + "/read-models.sqlite")
        var random = SeededGenerator(state: 60)
        try SQLiteTestSupport.applyInRandomBatches(history[...], to: projection, batchSizes: 1...30, using: &random)

        let expectedTenants = try SQLiteSampleHistory.expectedTenants()
        let actualTenants = Self.tenantDocuments(try projection.contents())
        #expect(Set(actualTenants.keys) == Set(expectedTenants.keys))
        for (tenant, expected) in expectedTenants {
            let actual = try #require(actualTenants[tenant], "tenant \(tenant)")
            for key in expected.keys.sorted() {
                let expectedText = try Self.canonicalJSON(expected[key] ?? NSNull())
                let actualText = try Self.canonicalJSON(actual[key] ?? NSNull())
                #expect(actualText == expectedText, "\(tenant).\(key)")
            }
            #expect(Set(actual.keys) == Set(expected.keys), "\(tenant)")
        }
    }

    /// The tables of each tenant in the shape of the fixture's `tenants` object.
    static func tenantDocuments(_ contents: SQLiteContents) -> [String: [String: Any]] {
        var documents: [String: [String: Any]] = [:]
        func text(_ name: Name?) -> Any { name.map { $0.string } ?? NSNull() }
        func number(_ value: Int64?) -> Any { value.map { NSNumber(value: $0) } ?? NSNull() }
        for tenant in contents.tenants {
            let name = tenant.tenant
            var document: [String: Any] = ["audit_count": tenant.eventCount]
            var balances: [String: Any] = [:]
            for row in contents.writerBalances where row.tenant == name {
                balances[row.worker.string] = [
                    "available_cents": row.availableCents, "pending_cents": row.pendingCents,
                    "total_earned_cents": row.totalEarnedCents,
                ]
            }
            document["balances"] = balances
            var invoices: [String: Any] = [:]
            for row in contents.invoices where row.tenant == name {
                invoices["\(row.worker.string)/\(row.period.string)"] = [
                    "submission_count": row.submissionCount, "work_pay_cents": row.workPayCents, "bonus_cents": row.bonusCents,
                    "fine_cents": row.fineCents, "fixed_pay_cents": row.fixedPayCents, "total_cents": row.totalCents,
                    "status": row.status.string,
                ]
            }
            document["invoices"] = invoices
            var orders: [String: Any] = [:]
            for row in contents.orders where row.tenant == name {
                let history = contents.orderHistory.filter { $0.tenant == name && $0.order == row.order }.map {
                    [$0.position, $0.at.string, $0.actor.string, $0.type.string] as [Any]
                }
                orders[row.order.string] = [
                    "state": row.state.string, "client": text(row.client), "manager": text(row.manager),
                    "writer": text(row.writer), "fee_cents": number(row.feeCents), "price_cents": number(row.priceCents),
                    "submissions": number(row.submissions), "title": text(row.title), "history": history,
                ]
            }
            document["orders"] = orders
            var invitations: [String: Any] = [:]
            for row in contents.invitations where row.tenant == name {
                invitations[row.invitation.string] = [
                    "status": row.status.string, "role": text(row.role), "email": text(row.email), "user": text(row.user),
                ]
            }
            document["invitations"] = invitations
            var users: [String: Any] = [:]
            for row in contents.users where row.tenant == name {
                users[row.user.string] = ["role": row.role.string]
            }
            document["users"] = users
            if let subscription = contents.subscriptions.first(where: { $0.tenant == name }) {
                let history = contents.subscriptionChanges.filter { $0.tenant == name }.map {
                    [$0.position, $0.change.string, $0.plan.string, $0.mrrCents] as [Any]
                }
                document["subscription"] = [
                    "plan": subscription.plan.string, "mrr_cents": subscription.mrrCents, "status": subscription.status.string,
                    "history": history,
                ]
            } else {
                document["subscription"] = NSNull()
            }
            var journal: [String: Any] = [:]
            for row in contents.journalAccounts where row.tenant == name {
                journal[row.account.string] = row.balanceCents
            }
            document["journal"] = journal
            documents[name.string] = document
        }
        return documents
    }

    static func canonicalJSON(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
