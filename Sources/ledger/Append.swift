import ArgumentParser
import Foundation
import Ledger
import LedgerEngine

extension LedgerCommand {
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append JSON Lines read from standard input, each on its own.",
            discussion: "Prints one outcome per line. Exit 1 if any line was refused."
        )

        @Argument(help: "The ledger directory.")
        var directory: String

        @Option(name: .long, help: "Append only if the log's head is still at this position.")
        var expectHead: UInt64?

        @Flag(name: .long, help: "Do not bring the SQLite read models up to date afterwards.")
        var noSqlite = false

        @Option(name: .customLong("snapshot-every"), help: "Take a snapshot when this many events were appended since the newest one (default 1000000; 0: never).")
        var snapshotEvery: UInt64 = LedgerOptions.snapshotEveryEventsDefault

        @OptionGroup var output: OutputOptions

        func run() throws {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            let summary: ImportSummary = try reportingFailures {
                let writer = try LedgerWriter.open(directory: directory, options: LedgerOptions(snapshotEveryEvents: snapshotEvery))
                for warning in writer.snapshotWarnings { Terminal.warning(warning) }
                defer { writer.close() }
                if let expectHead, writer.head.position != expectHead {
                    throw LedgerError.staleHead(expected: expectHead, actual: writer.head.position)
                }
                return try input.withUnsafeBytes { bytes in
                    try writer.importLines(bytes, mode: .skipRefused, keepOutcomes: true)
                }
            }
            for entry in summary.outcomes {
                switch entry.outcome {
                case .appended(let position):
                    print(output.json
                          ? JSONText.object([("line", String(entry.line)), ("outcome", "\"appended\""), ("position", String(position))])
                          : "line \(entry.line): appended at position \(position)")
                case .duplicate(let position):
                    print(output.json
                          ? JSONText.object([("line", String(entry.line)), ("outcome", "\"duplicate\""), ("position", String(position))])
                          : "line \(entry.line): duplicate of position \(position)")
                case .refused(let refusal):
                    print(output.json
                          ? JSONText.object([("line", String(entry.line)), ("outcome", "\"refused\""),
                                             ("code", JSONText.string(refusal.code.rawValue)), ("reason", JSONText.string(refusal.message))])
                          : "line \(entry.line): refused: \(refusal.code.rawValue): \(refusal.message)")
                }
            }
            if !noSqlite && summary.headAfter > summary.headBefore {
                _ = try reportingFailures { try Materializer.run(directory: directory) }
            }
            if summary.refusedCount > 0 { throw ExitStatus.refused }
        }
    }
}
