import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import LedgerLog

extension LedgerCommand {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a realistic history, import it, and show what the ledger knows.",
            discussion: """
            Generates --events lines (default 1,000,000) of 10 tenants, imports them into a \
            fresh ledger in --directory (replacing an earlier demo ledger there), then shows \
            throughput, bytes per event, balances, an invoice, an order's history, the \
            journal's trial balance and the verify result.
            """)

        @Option(name: .long, help: "Where to create the demo ledger (an earlier demo ledger there is replaced).")
        var directory = "demo-ledger"

        @Option(name: .long, help: "How many events to generate.")
        var events = 1_000_000

        @Option(name: .long, help: "The generator's seed.")
        var seed: UInt64 = 42

        func validate() throws {
            guard events > 0 else { throw ValidationError("--events must be > 0") }
        }

        func run() throws {
            try reportingFailures { try demonstrate() }
        }

        func demonstrate() throws {
            try prepareDirectory()
            print("1. Generating \(Format.count(events)) events of 10 tenants (seed \(seed))...")
            var generated: [UInt8] = []
            generated.reserveCapacity(events * 200)
            let generateStarted = DispatchTime.now().uptimeNanoseconds
            var generator = HistoryGenerator(options: GeneratorOptions(events: events, tenants: 10, seed: seed))
            while generator.next(into: &generated) {}
            let generateSeconds = seconds(since: generateStarted)
            print("   \(Format.bytes(UInt64(generated.count))) of JSON Lines (\(generated.count / max(events, 1)) bytes per line) in \(String(format: "%.2f", generateSeconds)) s")

            print("2. Importing into \(directory) (every rule checked, durable)...")
            let writer = try LedgerWriter.open(directory: directory, create: true)
            let progress = ProgressBar("   importing")
            let summary = try generated.withUnsafeBytes { bytes in
                try writer.importLines(bytes, mode: .atomic, progress: { progress.update(done: $0, total: $1) })
            }
            progress.finish()
            writer.close()
            print("   \(Format.count(summary.appended)) appended, \(Format.count(summary.duplicates)) duplicates, \(Format.count(summary.refusedCount)) refused in \(String(format: "%.2f", summary.seconds)) s: \(Format.rate(summary.lines, seconds: summary.seconds)) events")
            if summary.snapshotSeconds > 0 {
                print("   then a snapshot of the decider and every read model in \(String(format: "%.2f", summary.snapshotSeconds)) s (the next open replays nothing)")
            }
            for (line, refusal) in summary.refusals.prefix(3) { print("   line \(line): \(refusal)") }

            let reader = try LedgerReader(directory: directory)
            reader.usesSnapshots = false  // the demo measures a replay of the whole log
            let statistics = try reader.statistics()
            let perEvent = Double(statistics.bytesOnDisk) / Double(max(statistics.recordCount, 1))
            let jsonPerEvent = Double(generated.count) / Double(max(events, 1))
            print("3. On disk: \(Format.bytes(statistics.bytesOnDisk)) in \(statistics.segmentCount) segments, \(String(format: "%.1f", perEvent)) bytes per event (JSON: \(String(format: "%.0f", jsonPerEvent)); docs/PERFORMANCE.md compares with SQLite)")

            let replayStarted = DispatchTime.now().uptimeNanoseconds
            let (balances, replayed) = try reader.balances()
            let replaySeconds = seconds(since: replayStarted)
            print("4. Replayed \(Format.count(Int(replayed))) events into balances in \(String(format: "%.3f", replaySeconds)) s (\(Format.rate(Int(replayed), seconds: replaySeconds))); \(Format.count(balances.count)) worker balances")
            let modelsStarted = DispatchTime.now().uptimeNanoseconds
            let models = try reader.readModels()
            let modelsSeconds = seconds(since: modelsStarted)
            print("   Replayed into all read models in \(String(format: "%.3f", modelsSeconds)) s (\(Format.rate(Int(replayed), seconds: modelsSeconds)))")
            guard let tenantName = models.tenants.first, let tenant = models.tenant(tenantName) else {
                print("(the history is empty)")
                return
            }
            print("\n   Top balances of tenant \(tenantName):")
            var rows = Rows(["worker", "available_cents", "pending_cents", "total_earned_cents"])
            for balance in tenant.balances().sorted(by: { $0.availableCents > $1.availableCents }).prefix(5) {
                rows.append([Cell(balance.worker), .cents(balance.availableCents), .cents(balance.pendingCents), .cents(balance.totalEarnedCents)])
            }
            print(indent(rows.render(.table)))

            if let invoice = tenant.invoices().first(where: { $0.status == .issued }) ?? tenant.invoices().first {
                print("   Invoice \(invoice.worker)/\(invoice.period.text) (\(invoice.status.name)): \(invoice.submissionCount) submissions, work \(Format.cents(invoice.workPayCents)) + fixed \(Format.cents(invoice.fixedPayCents)) + bonus \(Format.cents(invoice.bonusCents)) - fine \(Format.cents(invoice.fineCents)) = \(Format.cents(invoice.totalCents))")
            }
            if let order = tenant.orders().max(by: { $0.history.count < $1.history.count }) {
                print("\n   History of order \(order.order) (\(order.status.name), \(order.title ?? "-")):")
                var history = Rows(["position", "at", "actor", "type", "details"])
                for entry in order.history {
                    history.append([.integer(Int64(entry.position)), .text(entry.at.canonical), Cell(entry.actor), .text(entry.type.name), .text(entry.details)])
                }
                print(indent(history.render(.table)))
            }
            print("   Journal of tenant \(tenantName) (credits minus debits), trial balance:")
            var journal = Rows(["account", "balance_cents"])
            var sum: Int64 = 0
            for account in tenant.journalAccounts() where !account.account.name.hasPrefix("worker:") {
                journal.append([.text(account.account.name), .cents(account.balanceCents)])
            }
            var workers: Int64 = 0
            for account in tenant.journalAccounts() {
                sum += account.balanceCents
                if account.account.name.hasPrefix("worker:") { workers += account.balanceCents }
            }
            journal.append([.text("worker:* (all workers)"), .cents(workers)])
            journal.append([.text("sum (must be 0)"), .cents(sum)])
            print(indent(journal.render(.table)))

            let verifyStarted = DispatchTime.now().uptimeNanoseconds
            let report = reader.verify()
            let verifySeconds = seconds(since: verifyStarted)
            print("5. verify: \(report.isValid ? "OK" : "FAILED") in \(String(format: "%.2f", verifySeconds)) s; head \(report.head.position), chain hash \(Format.hex(report.head.chainHash))")
            if let failure = report.failure { print("   \(failure)") }
            print("\nTry:\n  ledger balance \(directory) --tenant \(tenantName)\n  ledger audit \(directory) --tenant \(tenantName) --type payout.paid --limit 5\n  ledger invoice \(directory) --tenant \(tenantName) --as-of 2026-02-15T00:00:00Z --csv\n  ledger verify \(directory)")
        }

        func prepareDirectory() throws {
            let files = FileManager.default
            guard files.fileExists(atPath: directory) else { return }
            guard files.fileExists(atPath: directory + "/LEDGER") else {
                throw LedgerError.notALedger(directory: directory, reason: "exists and is not a ledger; the demo only replaces its own ledgers")
            }
            try files.removeItem(atPath: directory)
        }

        func seconds(since started: UInt64) -> Double {
            Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        }

        func indent(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "   " + $0 }.joined(separator: "\n")
        }
    }
}
