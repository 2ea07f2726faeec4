import ArgumentParser
import Foundation
import Ledger
import LedgerLog

extension LedgerCommand {
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a snapshot of the decider's state at the head, so that opening replays only the tail.",
            discussion: """
            The snapshot goes to DIR/snapshots/snapshot-<position>.bin (the three newest are kept). \
            Opening uses the newest one that checks out against the log; damaged ones are skipped \
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
                let openedFrom = writer.snapshotPosition == 0 ? "full replay" : "snapshot at \(writer.snapshotPosition)"
                if output.json {
                    print(JSONText.object([
                        ("position", String(taken.head.position)),
                        ("chain_hash", JSONText.string(Format.hex(taken.head.chainHash))),
                        ("path", JSONText.string(taken.path)),
                        ("file_bytes", String(taken.fileBytes)),
                        ("state_bytes", String(taken.stateBytes)),
                        ("opened_from_position", String(writer.snapshotPosition)),
                        ("skipped_snapshots", String(writer.snapshotWarnings.count)),
                    ]))
                } else {
                    print(Format.keyValues([
                        ["position", String(taken.head.position)],
                        ["chain hash", Format.hex(taken.head.chainHash)],
                        ["file", taken.path],
                        ["file bytes", "\(Format.count(taken.fileBytes)) (state \(Format.count(taken.stateBytes)) uncompressed)"],
                        ["opened from", openedFrom],
                    ]), terminator: "")
                }
            }
        }
    }
}
