import ArgumentParser
import Foundation
import Ledger

extension LedgerCommand {
    struct Project: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the SQLite read models (DIR/read-models.sqlite) up to date with the log.",
            discussion: """
            Applies the events after the tables' checkpoint, each transaction ending at a log \
            batch with its position and chain hash, so a crash never applies an event twice \
            or skips one. Tables whose checkpoint does not match the log are rebuilt. \
            `import` and `append` run this after writing unless given --no-sqlite. Open the \
            tables with any SQL tool: sqlite3 DIR/read-models.sqlite (see docs/SQLITE.md).
            """)

        @Argument(help: "The ledger directory.")
        var directory: String

        @Flag(name: .long, help: "Drop the tables and rebuild them from the whole log.")
        var rebuild = false

        @OptionGroup var output: OutputOptions

        func run() throws {
            let report = try reportingFailures {
                try Materializer.run(directory: directory, rebuild: rebuild)
            }
            print(output.json ? Materializer.json(report) : Materializer.text(report))
        }
    }
}

enum Materializer {
    static func run(directory: String, rebuild: Bool = false) throws -> MaterializeReport {
        let reader = try LedgerReader(directory: directory)
        let progress = ProgressBar("projecting")
        let report = try reader.materialize(rebuild: rebuild) { progress.update(done: Int($0), total: Int($1)) }
        progress.finish()
        if let reason = report.rebuiltBecause, reason != "asked for" {
            Terminal.warning("rebuilt the SQLite read models from the log: \(reason)")
        }
        return report
    }

    static func text(_ report: MaterializeReport) -> String {
        if report.eventsApplied == 0 && report.rebuiltBecause == nil {
            return "SQLite read models are up to date at position \(report.toPosition) (\(report.path))."
        }
        return "SQLite read models: applied \(Format.count(report.eventsApplied)) events, position \(report.fromPosition) -> \(report.toPosition) in \(String(format: "%.2f", report.seconds)) s (\(Format.rate(report.eventsApplied, seconds: report.seconds))); \(report.path)"
    }

    static func json(_ report: MaterializeReport) -> String {
        JSONText.object([
            ("path", JSONText.string(report.path)),
            ("from_position", String(report.fromPosition)),
            ("to_position", String(report.toPosition)),
            ("events_applied", String(report.eventsApplied)),
            ("rebuilt_because", report.rebuiltBecause.map(JSONText.string) ?? "null"),
            ("seconds", String(format: "%.3f", report.seconds)),
        ])
    }
}
