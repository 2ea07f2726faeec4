import ArgumentParser
import Foundation
import Ledger
import LedgerEngine

extension LedgerCommand {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append the events of a JSON Lines file, through every rule.",
            discussion: """
            By default the import is all or nothing: if any line is refused, nothing is \
            appended and the refused lines are listed (exit 1). With --skip-invalid the \
            accepted lines are appended and the refused ones skipped (exit 1 if any). \
            Re-running an import is safe: lines already in the ledger are duplicates.
            """
        )

        @Argument(help: "The ledger directory.")
        var directory: String

        @Argument(help: "The JSON Lines file to import.")
        var file: String

        @Flag(name: .long, help: "Append the accepted lines even if others are refused.")
        var skipInvalid = false

        @Option(name: .long, help: "With --skip-invalid: write the refused lines, with their reasons, to this JSON Lines file.")
        var rejects: String?

        @Option(name: .long, help: "Write every line's outcome as JSON to this file.")
        var report: String?

        @Flag(name: .long, help: "Do not bring the SQLite read models up to date afterwards.")
        var noSqlite = false

        @Option(name: .customLong("snapshot-every"), help: "Take a snapshot when this many events were appended since the newest one (default 1000000; 0: never).")
        var snapshotEvery: UInt64 = LedgerOptions.snapshotEveryEventsDefault

        @OptionGroup var output: OutputOptions

        func validate() throws {
            if rejects != nil && !skipInvalid {
                throw ValidationError("--rejects goes with --skip-invalid (without it, a refused line appends nothing and is listed)")
            }
        }

        func run() throws {
            let summary: ImportSummary = try reportingFailures {
                let writer = try LedgerWriter.open(directory: directory, options: LedgerOptions(snapshotEveryEvents: snapshotEvery))
                for warning in writer.snapshotWarnings { Terminal.warning(warning) }
                defer { writer.close() }
                var rejectsFile: BufferedFile?
                if let rejects { rejectsFile = try BufferedFile(creating: rejects) }
                let progress = ProgressBar("importing")
                let summary = try writer.importFile(
                    path: file,
                    mode: skipInvalid ? .skipRefused : .atomic,
                    keepOutcomes: report != nil,
                    rejected: rejectsFile.map { sink in
                        { line, bytes, refusal in sink.writeRejectedLine(line: line, bytes: bytes, refusal: refusal) }
                    },
                    progress: { progress.update(done: $0, total: $1) })
                progress.finish()
                try rejectsFile?.close()
                if let report { try ImportReport.write(summary, to: report) }
                return summary
            }
            print(output.json ? ImportReport.summaryJSON(summary, file: file) : ImportReport.summaryText(summary, file: file))
            if !noSqlite && summary.headAfter > summary.headBefore {
                let report = try reportingFailures { try Materializer.run(directory: directory) }
                if !output.json { print(Materializer.text(report)) }
            }
            if summary.refusedCount > 0 { throw ExitStatus.refused }
        }
    }
}

enum ImportReport {
    static func summaryText(_ summary: ImportSummary, file: String) -> String {
        var lines: [String] = []
        let refused = summary.refusedCount
        if summary.mode == .atomic && refused > 0 {
            lines.append("Nothing appended: \(Format.count(refused)) of \(Format.count(summary.lines)) lines refused (the import is all or nothing; use --skip-invalid to append the others).")
        } else {
            lines.append("Imported \(file): \(Format.count(summary.appended)) appended, \(Format.count(summary.duplicates)) duplicates, \(Format.count(refused)) refused, \(Format.count(summary.blankLines)) blank lines.")
            let snapshots = summary.snapshotSeconds >= 0.01 ? "; snapshots written after it in \(String(format: "%.2f", summary.snapshotSeconds)) s" : ""
            lines.append("Head: \(summary.headBefore) -> \(summary.headAfter); \(Format.rate(summary.lines, seconds: summary.seconds)) lines (\(String(format: "%.2f", summary.seconds)) s)\(snapshots).")
        }
        for (line, refusal) in summary.refusals {
            lines.append("  line \(line): \(refusal.code.rawValue): \(refusal.message)")
        }
        if refused > summary.refusals.count {
            lines.append("  ... and \(Format.count(refused - summary.refusals.count)) more (see --report)")
        }
        return lines.joined(separator: "\n")
    }

    static func summaryJSON(_ summary: ImportSummary, file: String) -> String {
        let refusedByCode = RefusalCode.allCases.map { ($0.rawValue, String(summary.refused[$0, default: 0])) }
        let refusals = summary.refusals.map { entry in
            JSONText.object([("line", String(entry.line)), ("code", JSONText.string(entry.refusal.code.rawValue)),
                             ("reason", JSONText.string(entry.refusal.message))])
        }
        return JSONText.object([
            ("file", JSONText.string(file)),
            ("mode", JSONText.string(summary.mode == .atomic ? "atomic" : "skip-invalid")),
            ("lines", String(summary.lines)),
            ("blank_lines", String(summary.blankLines)),
            ("appended", String(summary.mode == .atomic && summary.refusedCount > 0 ? 0 : summary.appended)),
            ("duplicates", String(summary.duplicates)),
            ("refused", JSONText.object(refusedByCode)),
            ("written", summary.mode == .atomic && summary.refusedCount > 0 ? "false" : "true"),
            ("head_before", String(summary.headBefore)),
            ("head_after", String(summary.headAfter)),
            ("seconds", String(format: "%.3f", summary.seconds)),
            ("snapshot_seconds", String(format: "%.3f", summary.snapshotSeconds)),
            ("refusals", JSONText.array(refusals)),
        ])
    }

    /// The `outcomes` shape of the shared fixtures, one outcome per line, plus the
    /// refusal reasons (kept apart so that `outcomes` compares as values with the fixtures).
    static func write(_ summary: ImportSummary, to path: String) throws {
        let file = try BufferedFile(creating: path)
        let written = !(summary.mode == .atomic && summary.refusedCount > 0)
        file.write("{\n  \"format\": \"ledger-import-report/1\",\n  \"written\": \(written),\n  \"outcomes\": [\n")
        var reasons: [String] = []
        for (index, entry) in summary.outcomes.enumerated() {
            let separator = index + 1 < summary.outcomes.count ? ",\n" : "\n"
            switch entry.outcome {
            case .appended(let position):
                file.write("    {\"line\": \(entry.line), \"outcome\": \"appended\", \"position\": \(position)}" + separator)
            case .duplicate(let position):
                file.write("    {\"line\": \(entry.line), \"outcome\": \"duplicate\", \"position\": \(position)}" + separator)
            case .refused(let refusal):
                file.write("    {\"code\": \"\(refusal.code.rawValue)\", \"line\": \(entry.line), \"outcome\": \"refused\"}" + separator)
                reasons.append("    {\"line\": \(entry.line), \"reason\": \(JSONText.string(refusal.message))}")
            }
        }
        file.write("  ],\n  \"reasons\": [\n" + reasons.joined(separator: ",\n") + (reasons.isEmpty ? "" : "\n") + "  ]\n}\n")
        try file.close()
    }
}

/// A write-only file with a buffer, for reports, rejects and exports.
final class BufferedFile {
    let path: String
    let handle: UnsafeMutablePointer<FILE>

    init(creating path: String) throws {
        guard let handle = fopen(path, "w") else {
            throw LedgerError.file(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.handle = handle
        self.isStandardOutput = false
    }

    let isStandardOutput: Bool

    /// Standard output, buffered (a stream of its own on file descriptor 1, flushed at close).
    init(standardOutput: Void) {
        self.path = "-"
        self.handle = fdopen(STDOUT_FILENO, "w")!
        self.isStandardOutput = true
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, handle) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        _ = fwrite(bytes.baseAddress, 1, bytes.count, handle)
    }

    func writeRejectedLine(line: Int, bytes: UnsafeRawBufferPointer, refusal: Refusal) {
        let text = String(decoding: bytes, as: UTF8.self)
        write(JSONText.object([
            ("line", String(line)), ("code", JSONText.string(refusal.code.rawValue)),
            ("reason", JSONText.string(refusal.message)), ("text", JSONText.string(text)),
        ]) + "\n")
    }

    func close() throws {
        let flushed = fflush(handle) == 0
        if !isStandardOutput { fclose(handle) }
        guard flushed else { throw LedgerError.file(path: path, reason: "cannot write: \(String(cString: strerror(errno)))") }
    }
}
