import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import LedgerLog

extension LedgerCommand {
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a snapshot of the decider's and the read models' state at the head.",
            discussion: """
            The snapshot goes to DIR/snapshots/snapshot-<position>.bin. The writer also takes one \
            every 1,000,000 appended events. Retention keeps the four newest and, of the older \
            ones, the newest of each business month. Opening a ledger and answering queries start \
            from the newest snapshot that checks out against the log; damaged ones are skipped \
            with a warning. Snapshots are derived data: deleting them only makes opening slower.
            """)

        @Argument(help: "The ledger directory.")
        var directory: String

        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingFailures {
                let writer = try LedgerWriter.open(directory: directory)
                defer { writer.close() }
                for warning in writer.snapshotWarnings { Terminal.warning(warning) }
                let taken = try writer.snapshot()
                if let reason = taken.rebuildReason { Terminal.warning("read models rebuilt from the log's start: \(reason)") }
                let openedFrom = writer.snapshotPosition == 0 ? "full replay" : "snapshot at \(writer.snapshotPosition)"
                let modelsFrom = taken.readModelsFrom == 0 ? "the log's start" : "snapshot at \(taken.readModelsFrom)"
                if output.json {
                    print(JSONText.object([
                        ("position", String(taken.head.position)),
                        ("chain_hash", JSONText.string(Format.hex(taken.head.chainHash))),
                        ("path", JSONText.string(taken.path)),
                        ("file_bytes", String(taken.fileBytes)),
                        ("state_bytes", String(taken.stateBytes)),
                        ("read_model_bytes", String(taken.readModelBytes)),
                        ("opened_from_position", String(writer.snapshotPosition)),
                        ("read_models_from_position", String(taken.readModelsFrom)),
                        ("skipped_snapshots", String(writer.snapshotWarnings.count)),
                        ("removed", "[" + taken.removed.map(JSONText.string).joined(separator: ",") + "]"),
                    ]))
                } else {
                    print(Format.keyValues([
                        ["position", String(taken.head.position)],
                        ["chain hash", Format.hex(taken.head.chainHash)],
                        ["file", taken.path],
                        ["file bytes", "\(Format.count(taken.fileBytes)) (decider \(Format.count(taken.stateBytes)), read models \(Format.count(taken.readModelBytes)) uncompressed)"],
                        ["decider from", openedFrom],
                        ["read models from", modelsFrom],
                        ["removed", taken.removed.isEmpty ? "none" : taken.removed.joined(separator: ", ")],
                    ]), terminator: "")
                }
            }
        }
    }

    struct Snapshots: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the snapshot files: position, business time, size, versions, status.",
            discussion: """
            Each file is checked: its checksums, versions, and its chain hash against the log at its \
            position. With --deep, the log is replayed and every snapshot's state compared with the \
            replay's, byte for byte. Exits 3 when a snapshot is bad (the log itself is not affected: \
            bad snapshots are never used).
            """)

        @Argument(help: "The ledger directory.")
        var directory: String

        @Flag(name: .long, help: "Also replay the log and compare each snapshot's contents with it.")
        var deep = false

        @OptionGroup var output: OutputOptions

        func run() throws {
            let statuses = try reportingFailures { try LedgerReader(directory: directory).snapshotStatuses(deep: deep) }
            if output.json {
                print("[" + statuses.map(SnapshotListing.json).joined(separator: ",") + "]")
            } else if statuses.isEmpty {
                print("No snapshots in \(directory)/snapshots.")
            } else {
                var rows = Rows(["position", "latest_at", "bytes", "format", "sections (version)", "status"])
                for status in statuses { rows.append(SnapshotListing.row(status)) }
                print(rows.render(.table), terminator: "")
            }
            if statuses.contains(where: { $0.problem != nil }) { throw ExitStatus.damaged }
        }
    }
}

/// How snapshot statuses are printed by `snapshots` and `verify`.
enum SnapshotListing {
    static func row(_ status: SnapshotStatus) -> [Cell] {
        [.integer(Int64(status.position)), Cell(status.latestAt?.canonical),
         status.fileBytes.map { .integer(Int64($0)) } ?? .null,
         status.formatVersion.map { .integer(Int64($0)) } ?? .null,
         .text(status.sections.map { "\($0.name) v\($0.version)" }.joined(separator: ", ")),
         .text(status.summary + (status.matchesReplay == true ? " (matches a replay)" : ""))]
    }

    static func json(_ status: SnapshotStatus) -> String {
        JSONText.object([
            ("path", JSONText.string(status.path)),
            ("position", String(status.position)),
            ("latest_at", status.latestAt.map { JSONText.string($0.canonical) } ?? "null"),
            ("file_bytes", status.fileBytes.map(String.init) ?? "null"),
            ("format_version", status.formatVersion.map(String.init) ?? "null"),
            ("sections", "[" + status.sections.map { section in
                JSONText.object([
                    ("name", JSONText.string(section.name)), ("version", String(section.version)),
                    ("current_version", section.currentVersion.map(String.init) ?? "null"),
                    ("bytes", String(section.bytes)),
                ])
            }.joined(separator: ",") + "]"),
            ("ok", status.problem == nil ? "true" : "false"),
            ("problem", status.problem.map(JSONText.string) ?? "null"),
            ("notes", "[" + status.notes.map(JSONText.string).joined(separator: ",") + "]"),
            ("matches_replay", status.matchesReplay.map { $0 ? "true" : "false" } ?? "null"),
        ])
    }
}
