import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import LedgerEngine

extension LedgerCommand {
    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every read model in the ledger-expected/1 shape of the shared fixtures.",
            discussion: """
            The output compares byte for byte with an independent implementation's. The \
            `outcomes` list is empty unless --outcomes-from names an import report \
            (`ledger import --report FILE`), whose outcomes are copied.
            """)

        @Argument(help: "The ledger directory.")
        var directory: String

        @Option(name: .customLong("as-of-position"), help: "Fold only the events at positions <= N.")
        var asOfPosition: UInt64?

        @Option(name: .customLong("as-of"), help: "Fold only the events with business time <= TIME.")
        var asOfTime: String?

        @Option(name: .long, help: "An import report whose outcomes the dump includes.")
        var outcomesFrom: String?

        @Flag(name: .long, help: "JSON output (the only format of dump; accepted for symmetry).")
        var json = false

        @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
        var output: String?

        @Flag(name: .customLong("from-snapshot"), help: "Start from the newest snapshot before the as-of point, as queries do; the audit trail, order histories and transfers are then left empty.")
        var fromSnapshot = false

        func validate() throws {
            if asOfPosition != nil && asOfTime != nil { throw ValidationError("give --as-of-position or --as-of, not both") }
            if let asOfTime, Timestamp(parsing: Array(asOfTime.utf8)) == nil {
                throw ValidationError("--as-of \(asOfTime): expected YYYY-MM-DDTHH:MM:SS[.f]Z")
            }
        }

        func run() throws {
            try reportingFailures {
                var asOf = AsOf.end
                if let asOfPosition { asOf = .position(asOfPosition) }
                if let asOfTime, let time = Timestamp(parsing: Array(asOfTime.utf8)) { asOf = .time(time) }
                let outcomes = try outcomesFrom.map(Self.readOutcomes) ?? []
                let reader = try LedgerReader(directory: directory)
                let models = try reader.readModels(asOf: asOf, includeHistories: !fromSnapshot)
                for warning in reader.lastFold.warnings { Terminal.warning(warning) }
                let text = ExpectedDump.render(outcomes: outcomes, models: models)
                let file = try output.map { try BufferedFile(creating: $0) } ?? BufferedFile(standardOutput: ())
                file.write(text)
                try file.close()
            }
        }

        static func readOutcomes(_ path: String) throws -> [ExpectedDump.LineOutcome] {
            guard let data = FileManager.default.contents(atPath: path),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let outcomes = object["outcomes"] as? [[String: Any]]
            else { throw LedgerError.file(path: path, reason: "not an import report (no \"outcomes\" list)") }
            return try outcomes.enumerated().map { index, entry in
                guard let line = entry["line"] as? Int, let kind = entry["outcome"] as? String else {
                    throw LedgerError.file(path: path, reason: "outcome \(index + 1) lacks \"line\" or \"outcome\"")
                }
                switch kind {
                case "appended", "duplicate":
                    guard let position = entry["position"] as? Int, position > 0 else {
                        throw LedgerError.file(path: path, reason: "outcome \(index + 1) (line \(line)) lacks a position")
                    }
                    return ExpectedDump.LineOutcome(
                        line: line, outcome: kind == "appended" ? .appended(position: UInt64(position)) : .duplicate(position: UInt64(position)))
                case "refused":
                    guard let codeText = entry["code"] as? String, let code = RefusalCode(rawValue: codeText) else {
                        throw LedgerError.file(path: path, reason: "outcome \(index + 1) (line \(line)) has no valid code")
                    }
                    return ExpectedDump.LineOutcome(line: line, outcome: .refused(Refusal(code, "")))
                default:
                    throw LedgerError.file(path: path, reason: "outcome \(index + 1) (line \(line)): unknown outcome \(kind)")
                }
            }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fold the whole log into the read models and report the time it took.")

        @Argument(help: "The ledger directory.")
        var directory: String

        @Flag(name: .long, help: "Fold into worker balances only.")
        var balancesOnly = false

        @Flag(name: .customLong("from-snapshot"), help: "Start from the newest snapshot that checks out and fold only the tail (the time a query takes), instead of the whole log. The audit trail, order histories and transfers are then not folded.")
        var fromSnapshot = false

        @Option(name: .long, help: "Threads for a fold: 2 (the default, for folds of at least \(LedgerReader.defaultTwoThreadFoldMinimumEvents) events: half the read models, or the balances' reading and decompression, on a second thread) or 1 (to compare).")
        var threads = 2

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard threads == 1 || threads == 2 else { throw ValidationError("--threads must be 1 or 2, not \(threads)") }
        }

        func run() throws {
            try reportingFailures {
                let reader = try LedgerReader(directory: directory)
                reader.usesSnapshots = fromSnapshot
                if threads == 1 { reader.twoThreadFoldMinimumEvents = .max }
                let started = DispatchTime.now().uptimeNanoseconds
                var summary = ""
                if balancesOnly {
                    let (fold, _) = try reader.balances()
                    summary = "\(fold.count) worker balances"
                } else {
                    let models = try reader.readModels(includeHistories: !fromSnapshot)
                    summary = "\(models.tenants.count) tenants"
                }
                let events = Int(reader.lastFold.eventsRead)
                for warning in reader.lastFold.warnings { Terminal.warning(warning) }
                if fromSnapshot {
                    summary += reader.lastFold.snapshotPath.map { _ in ", from the snapshot at position \(reader.lastFold.snapshotPosition)" } ?? ", no usable snapshot"
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                if output.json {
                    print(JSONText.object([("events", String(events)), ("seconds", String(format: "%.3f", seconds)),
                                           ("events_per_second", String(Int(Double(events) / max(seconds, 1e-9)))),
                                           ("read_models", JSONText.string(balancesOnly ? "balances" : "all"))]))
                } else {
                    print("Replayed \(Format.count(events)) events into \(balancesOnly ? "balances" : "all read models") (\(summary)) in \(String(format: "%.3f", seconds)) s: \(Format.rate(events, seconds: seconds)).")
                }
            }
        }
    }
}
