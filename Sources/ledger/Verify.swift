import ArgumentParser
import Foundation
import Ledger
import LedgerLog

extension LedgerCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every checksum and the whole hash chain of a ledger.",
            discussion: """
            Prints the head (position and chain hash). Exits 3 naming the first bad \
            position, segment and byte offset when anything does not check out. An \
            incomplete last batch left by a crash (a torn tail) is reported as a warning: \
            it was never acknowledged, and the next writer open cuts it. Every snapshot is \
            checked too (checksums, versions, chain hash against the log; with --deep, its \
            contents against a replay of the log); a bad snapshot also exits 3, though it is \
            never used.
            """)

        @Argument(help: "The ledger directory.")
        var directory: String

        @Flag(name: .long, help: "Also replay the log and compare every snapshot's contents with the replay.")
        var deep = false

        @OptionGroup var output: OutputOptions

        func run() throws {
            let (report, snapshots): (VerifyReport, [SnapshotStatus]) = try reportingFailures {
                let reader = try LedgerReader(directory: directory)
                let progress = ProgressBar("verifying")
                let report = reader.verify { progress.update(done: Int($0), total: Int($1)) }
                progress.finish()
                // Snapshots are checked against a sound log only.
                return (report, report.isValid ? try reader.snapshotStatuses(deep: deep) : [])
            }
            let badSnapshots = snapshots.filter { $0.problem != nil }
            if output.json {
                var members: [(String, String)] = [
                    ("valid", report.isValid ? "true" : "false"),
                    ("head_position", String(report.head.position)),
                    ("head_chain_hash", JSONText.string(Format.hex(report.head.chainHash))),
                    ("events", String(report.statistics.recordCount)),
                    ("batches", String(report.statistics.batchCount)),
                    ("segments", String(report.statistics.segmentCount)),
                    ("bytes_on_disk", String(report.statistics.bytesOnDisk)),
                ]
                members.append(("snapshots", "[" + snapshots.map(SnapshotListing.json).joined(separator: ",") + "]"))
                members.append(("torn_tail", report.tornTail.map { JSONText.string($0.description) } ?? "null"))
                members.append(("failure", report.failure.map { JSONText.string($0.description) } ?? "null"))
                if case .corrupt(let file, let offset, let position, let reason)? = report.failure {
                    members.append(("first_bad", JSONText.object([
                        ("file", JSONText.string(file)), ("offset", String(offset)),
                        ("position", String(position)), ("reason", JSONText.string(reason)),
                    ])))
                }
                print(JSONText.object(members))
            } else if let failure = report.failure {
                print("FAILED: \(failure)")
                print("Verified good through position \(report.head.position) (chain hash \(Format.hex(report.head.chainHash)))")
            } else {
                let statistics = report.statistics
                print("OK: \(Format.count(Int(statistics.recordCount))) events in \(Format.count(Int(statistics.batchCount))) batches, \(statistics.segmentCount) segments, \(Format.bytes(statistics.bytesOnDisk)); every checksum and the hash chain check out.")
                print("Head: position \(report.head.position), chain hash \(Format.hex(report.head.chainHash))")
                if let tornTail = report.tornTail {
                    Terminal.warning("torn tail (never acknowledged; the next writer open cuts it): \(tornTail)")
                }
                if !snapshots.isEmpty {
                    let checked = deep ? "checksums, chain hashes and contents against a replay" : "checksums and chain hashes"
                    if badSnapshots.isEmpty {
                        print("Snapshots: \(snapshots.count) check out (\(checked)).")
                    } else {
                        print("FAILED: \(badSnapshots.count) of \(snapshots.count) snapshots are bad (never used; the log above is intact):")
                    }
                    for status in snapshots where status.problem != nil || !status.notes.isEmpty {
                        print("  \(status.path): \(status.summary)")
                    }
                }
            }
            if !report.isValid || !badSnapshots.isEmpty { throw ExitStatus.damaged }
        }
    }
}
