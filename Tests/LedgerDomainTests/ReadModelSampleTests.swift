import Foundation
import LedgerDomain
import LedgerEngine
import Testing

/// The sample fixture end to end: the decider reproduces every outcome, and the read models
/// reproduce the three expected files byte for byte.
@Suite struct ReadModelSampleTests {
    /// One expected file of the fixture and the as-of point it was made at.
    struct ExpectedFile: Sendable, CustomTestStringConvertible {
        var name: String
        var asOf: AsOf
        var testDescription: String { name }
    }

    static let asOfTime = Timestamp(parsing: "2026-02-15T12:00:00Z".utf8)!

    static let expectedFiles = [
        ExpectedFile(name: "sample.expected", asOf: .end),
        ExpectedFile(name: "sample.asof-position-60.expected", asOf: .position(60)),
        ExpectedFile(name: "sample.asof-time-2026-02-15T12-00-00Z.expected", asOf: .time(asOfTime)),
    ]

    @Test func deciderReproducesEveryOutcomeOfTheSample() throws {
        let history = try SampleHistory.run()
        let expected = try SampleHistory.expectedOutcomes()
        let actual = history.outcomes.map(SampleHistory.ExpectedOutcome.init)
        #expect(actual.count == expected.count)
        for (mine, theirs) in zip(actual, expected) where mine != theirs {
            let message = history.ruleRefusals[mine.line].map { " (\($0.message))" } ?? ""
            Issue.record("expected \(theirs), got \(mine)\(message)")
        }
        #expect(history.recorded.count == 120)
        #expect(history.ruleRefusals.count == 51)
    }

    @Test(arguments: expectedFiles)
    func readModelsReproduceTheExpectedFile(_ file: ExpectedFile) throws {
        let history = try SampleHistory.run()
        let rendered = ExpectedDump.render(outcomes: history.outcomes, models: history.models(asOf: file.asOf))
        let expected = String(decoding: try Data(contentsOf: CodecFixture.url(file.name, "json")), as: UTF8.self)
        // Line by line, so that a failure shows the first differing line, not two 40 kB strings.
        let difference = Self.firstDifference(expected: expected, actual: rendered)
        #expect(difference == nil, "\(file.name).json differs: \(difference ?? "")")
    }

    @Test func journalWorkerAccountsEqualBalancesAtEveryPosition() throws {
        let history = try SampleHistory.run()
        var models = ReadModels()
        for recorded in history.recorded {
            models.fold(recorded)
            for tenantName in models.tenants {
                let tenant = try #require(models.tenant(tenantName))
                let balances = tenant.balances()
                for balance in balances {
                    let available = tenant.journalBalance(of: .workerAvailable(balance.worker)) ?? 0
                    let pending = tenant.journalBalance(of: .workerPending(balance.worker)) ?? 0
                    #expect(available == balance.availableCents, "available of \(balance.worker) at \(recorded.position)")
                    #expect(pending == balance.pendingCents, "pending of \(balance.worker) at \(recorded.position)")
                }
                // Every worker account of the journal belongs to a worker with a balance.
                for account in tenant.journalAccounts() {
                    switch account.account {
                    case .workerAvailable(let worker), .workerPending(let worker):
                        #expect(tenant.balance(of: worker) != nil, "\(account.account.name) at \(recorded.position)")
                    default:
                        break
                    }
                }
                // Double entry: every transfer debits one account and credits another.
                #expect(tenant.journalAccounts().reduce(0) { $0 + $1.balanceCents } == 0)
            }
        }
    }

    @Test(arguments: expectedFiles)
    func balanceFoldEqualsTheBalanceReadModel(_ file: ExpectedFile) throws {
        let history = try SampleHistory.run()
        var models = ReadModels(asOf: file.asOf)
        var fold = BalanceFold(asOf: file.asOf)
        for recorded in history.recorded {
            models.fold(recorded)
            fold.fold(recorded)
            for tenantName in models.tenants {
                let balances = try #require(models.tenant(tenantName)).balances()
                #expect(fold.balances(tenant: tenantName) == balances, "\(tenantName) at \(recorded.position)")
            }
            #expect(fold.count == models.tenants.reduce(0) { $0 + (models.tenant($1)?.balances().count ?? 0) })
        }
    }

    @Test func sampleRuleRefusalsNameTheirRule() throws {
        let history = try SampleHistory.run()
        // A few lines of the sample whose rule is unambiguous.
        let expectations: [Int: String] = [
            8: "expired",  // acceptance exactly at expires_at
            16: "already registered",
            119: "has not ended",  // one microsecond before the month ends
            121: "already issued",
            147: "exceeds available",
            148: "payout of 117001 cents exceeds available 117000 for worker w-1",
            125: "before the subscription is created",
        ]
        for (line, fragment) in expectations {
            let refusal = try #require(history.ruleRefusals[line], "line \(line) should be refused by a rule")
            #expect(refusal.code == .rule)
            #expect(refusal.message.contains(fragment), "line \(line): \(refusal.message)")
        }
    }

    /// The first line where two texts differ, with both versions, or nil when they are equal.
    static func firstDifference(expected: String, actual: String) -> String? {
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(expectedLines.count, actualLines.count) {
            let left = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
            let right = index < actualLines.count ? String(actualLines[index]) : "<end>"
            if !left.utf8.elementsEqual(right.utf8) {
                let context = expectedLines[max(0, index - 6)..<min(index, expectedLines.count)].joined(separator: "\n")
                return "line \(index + 1): expected \(left.debugDescription), got \(right.debugDescription); after:\n\(context)"
            }
        }
        return nil
    }
}
