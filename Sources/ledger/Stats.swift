import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import LedgerLog

extension LedgerCommand {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Events, tenants, segments, bytes on disk, bytes per event, compression ratio and head.")

        @Argument(help: "The ledger directory.")
        var directory: String

        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingFailures {
                let reader = try LedgerReader(directory: directory)
                let statistics = try reader.statistics()
                // From the newest snapshot's read models and the log's tail.
                let tenants = try reader.readModels(includeHistories: false).tenants
                let events = statistics.recordCount
                let bytesPerEvent = events > 0 ? Double(statistics.bytesOnDisk) / Double(events) : 0
                let ratio = statistics.bytesOnDisk > 0 ? Double(statistics.uncompressedBytes) / Double(statistics.bytesOnDisk) : 0
                let snapshots = try reader.snapshotStatuses()
                let usable = snapshots.filter { $0.problem == nil }
                let snapshotBytes = snapshots.reduce(0) { $0 + ($1.fileBytes ?? 0) }
                let newest = usable.first
                if output.json {
                    print(JSONText.object([
                        ("events", String(events)),
                        ("tenants", String(tenants.count)),
                        ("segments", String(statistics.segmentCount)),
                        ("batches", String(statistics.batchCount)),
                        ("bytes_on_disk", String(statistics.bytesOnDisk)),
                        ("uncompressed_bytes", String(statistics.uncompressedBytes)),
                        ("bytes_per_event", String(format: "%.2f", bytesPerEvent)),
                        ("compression_ratio", String(format: "%.2f", ratio)),
                        ("head_position", String(statistics.head.position)),
                        ("head_chain_hash", JSONText.string(Format.hex(statistics.head.chainHash))),
                        ("snapshots", String(snapshots.count)),
                        ("snapshots_bad", String(snapshots.count - usable.count)),
                        ("snapshot_bytes", String(snapshotBytes)),
                        ("newest_snapshot_position", newest.map { String($0.position) } ?? "null"),
                        ("events_after_newest_snapshot", String(statistics.head.position - (newest?.position ?? 0))),
                    ]))
                } else {
                    print(Format.keyValues([
                        ["events", Format.count(Int(events))],
                        ["tenants", String(tenants.count)],
                        ["segments", String(statistics.segmentCount)],
                        ["batches", Format.count(Int(statistics.batchCount))],
                        ["bytes on disk", "\(Format.count(Int(statistics.bytesOnDisk))) (\(Format.bytes(statistics.bytesOnDisk)))"],
                        ["uncompressed", "\(Format.count(Int(statistics.uncompressedBytes))) (\(Format.bytes(statistics.uncompressedBytes)))"],
                        ["bytes per event", String(format: "%.2f", bytesPerEvent)],
                        ["compression ratio", String(format: "%.2f", ratio)],
                        ["head position", String(statistics.head.position)],
                        ["head chain hash", Format.hex(statistics.head.chainHash)],
                        ["snapshots", "\(snapshots.count) (\(snapshots.count - usable.count) bad), \(Format.bytes(UInt64(snapshotBytes)))"],
                        ["newest snapshot", newest.map { "position \($0.position), \(Format.count(Int(statistics.head.position - $0.position))) events before the head" } ?? "none (opening replays the whole log)"],
                    ]), terminator: "")
                    if let tornTail = statistics.tornTail {
                        Terminal.warning("torn tail (the next writer open cuts it): \(tornTail)")
                    }
                }
            }
        }
    }
}
