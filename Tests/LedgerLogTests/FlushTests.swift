import Foundation
import Testing
@testable import LedgerLog

/// Flushes of many batches (compressed on several threads) and records staged from
/// `PendingRecords` (encoded ahead): both must write exactly what the plain path writes.
@Suite struct FlushTests {
    /// Every file of a log directory, by name, with its bytes.
    private func files(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name != "LOCK" {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }

    /// 200 records in one flush make 67 batches of 3 (more than the 16 compressed at once)
    /// across several segments; the threads that compress them change nothing on disk.
    @Test func aFlushOfManyBatchesWritesTheSameBytesOnOneThreadOrSeveral() throws {
        var written: [Int: [String: Data]] = [:]
        for threads in [1, 2, 3] {
            let directory = TemporaryDirectory("flush-threads")
            defer { directory.remove() }
            var options = fastOptions(segmentBytesMax: 8_000, batchRecordsMax: 3)
            options.compressingThreadsForTesting = threads
            let writer = try openWriter(directory: directory.path, options: options, create: true)
            try appendSamples(writer, flushes: 1, recordsPerFlush: 200)
            try appendSamples(writer, flushes: 3, recordsPerFlush: 1)
            try appendSamples(writer, flushes: 1, recordsPerFlush: 50)
            writer.close()
            #expect(try checkSamples(directory.path) == 253)
            let report = try LogReader(directory: directory.path).verify()
            #expect(report.isValid)
            #expect(report.statistics.recordCount == 253)
            #expect(report.statistics.batchCount == 67 + 3 + 17)
            written[threads] = try files(directory.path)
        }
        #expect(written[1]!.keys.filter { $0.hasPrefix("segment-") }.count > 2, "several segments")
        #expect(written[2] == written[1])
        #expect(written[3] == written[1])
    }

    /// Records encoded into `PendingRecords` and staged in ranges read back, index and flush
    /// exactly as the same records staged one by one with flushes at the same points.
    @Test func pendingRecordsStageAsIfStagedOneByOne() throws {
        let plain = TemporaryDirectory("pending-plain")
        let ahead = TemporaryDirectory("pending-ahead")
        defer { plain.remove(); ahead.remove() }
        let options = fastOptions(batchRecordsMax: 8)
        let flushPoints: [UInt64] = [30, 60, 90, 100]

        let one = try openWriter(directory: plain.path, options: options, create: true)
        try appendSamples(one, flushes: 1, recordsPerFlush: 5)
        for position in UInt64(6)...105 {
            _ = try one.stage(sampleRecord(position))
            if flushPoints.contains(position - 5) { try one.waitUntilDurable(through: position) }
        }
        one.close()

        let writer = try openWriter(directory: ahead.path, options: options, create: true)
        try appendSamples(writer, flushes: 1, recordsPerFlush: 5)
        let pending = writer.makePendingRecords()
        pending.reserve(records: 100, bytes: 10_000)
        for position in UInt64(6)...105 {
            let record = sampleRecord(position)
            try record.tenant.withUnsafeBytes { tenant in
                try record.id.withUnsafeBytes { id in
                    try record.actor.withUnsafeBytes { actor in
                        try record.payload.withUnsafeBytes { payload in
                            try pending.append(tenant: tenant, id: id, hash: writer.identityHasher.hash(tenant: tenant, id: id),
                                               type: record.type, at: record.at, actor: actor, payload: payload)
                        }
                    }
                }
            }
        }
        #expect(pending.count == 100)
        // Runs bounded by records and by bytes, never empty.
        #expect(pending.end(ofRunFrom: 0, recordsMax: 30, bytesMax: .max) == 30)
        #expect(pending.end(ofRunFrom: 95, recordsMax: 30, bytesMax: .max) == 100)
        #expect(pending.end(ofRunFrom: 10, recordsMax: 30, bytesMax: 1) == 11, "one record however large")
        let bounded = pending.end(ofRunFrom: 0, recordsMax: 100, bytesMax: 2_000)
        #expect(bounded > 1 && bounded < 100)
        let boundedBytes = pending.records.range(ofRecordAt: bounded - 1).upperBound - pending.records.range(ofRecordAt: 0).lowerBound
        #expect(boundedBytes <= 2_000)
        #expect(boundedBytes + pending.records.range(ofRecordAt: bounded).count > 2_000, "the run stops at the first record that does not fit")
        #expect(pending.position(ofRecordAt: 0) == 6)
        let tenth = sampleRecord(15)
        #expect(tenth.tenant.withUnsafeBytes { tenant in
            tenth.id.withUnsafeBytes { id in pending.hasKey(at: 9, tenant: tenant, id: id) }
        })
        #expect(!tenth.tenant.withUnsafeBytes { tenant in
            tenth.id.withUnsafeBytes { id in pending.hasKey(at: 10, tenant: tenant, id: id) }
        })
        #expect(pending.withRecord(at: 9) { $0.materialize() } == sampleLogRecord(15))
        // Nothing pending is visible before it is staged.
        #expect(try writer.position(tenant: tenth.tenant, id: tenth.id) == nil)
        var start = 0
        for point in flushPoints {
            let last = try writer.stage(pending, range: start..<Int(point))
            #expect(last == 5 + point)
            try writer.waitUntilDurable(through: last)
            start = Int(point)
        }
        #expect(try writer.position(tenant: tenth.tenant, id: tenth.id) == 15)
        #expect(try writer.record(at: 15) == sampleLogRecord(15))
        writer.close()

        #expect(try checkSamples(ahead.path) == 105)
        #expect(try files(ahead.path) == files(plain.path))
    }

    /// Pending records of `count` samples from position `first`, in `writer`'s pending run.
    private func pendingSamples(_ writer: LogWriter, first: UInt64, count: Int) throws -> PendingRecords {
        let pending = writer.makePendingRecords()
        for position in first..<(first + UInt64(count)) {
            let record = sampleRecord(position)
            try record.tenant.withUnsafeBytes { tenant in
                try record.id.withUnsafeBytes { id in
                    try record.actor.withUnsafeBytes { actor in
                        try record.payload.withUnsafeBytes { payload in
                            try pending.append(tenant: tenant, id: id, hash: writer.identityHasher.hash(tenant: tenant, id: id),
                                               type: record.type, at: record.at, actor: actor, payload: payload)
                        }
                    }
                }
            }
        }
        return pending
    }

    /// Parts staged with batches compressed ahead (by a helper thread and the staging one, in
    /// any share) write exactly the bytes the flushes write when they compress themselves, over
    /// several segments; and when other records were staged before the first part (so the
    /// flush cuts other batches than those compressed ahead), the flush compresses them itself.
    @Test(arguments: [false, true])
    func batchesCompressedAheadWriteTheSameBytes(recordsStagedBefore: Bool) throws {
        let parts = [0..<70, 70..<71, 71..<160, 160..<300]
        var written: [[String: Data]] = []
        for mode in ["flush compresses", "caller only", "helper and caller"] {
            let directory = TemporaryDirectory("sealed-ahead")
            defer { directory.remove() }
            let writer = try openWriter(directory: directory.path, options: fastOptions(segmentBytesMax: 6_000, batchRecordsMax: 7),
                                       create: true)
            try appendSamples(writer, flushes: 1, recordsPerFlush: 3)
            var next: UInt64 = 4
            if recordsStagedBefore {
                _ = try writer.stage(sampleRecord(4))
                _ = try writer.stage(sampleRecord(5))
                next = 6
            }
            let pending = try pendingSamples(writer, first: next, count: 300)
            var sealer: PendingSealer? = nil
            if mode != "flush compresses" {
                let planned = try PendingSealer(pending: pending, parts: parts, options: writer.options)
                if mode == "helper and caller" { DispatchQueue.global().async { planned.help() } }
                sealer = planned
            }
            for (index, part) in parts.enumerated() {
                try sealer?.complete(part: index)
                let last = try writer.stage(pending, range: part, sealed: sealer)
                try writer.waitUntilDurable(through: last)
            }
            sealer?.stop()
            if let sealer {
                // Every batch of a flush of exactly one part is copied; with two records
                // staged before, the first part's flush cuts other batches and compresses them.
                #expect(sealer.framesUsed == sealer.batchCount - (recordsStagedBefore ? 10 : 0))
            }
            writer.close()
            let expected = Int(next) - 1 + 300
            #expect(try checkSamples(directory.path) == expected)
            let report = try LogReader(directory: directory.path).verify()
            #expect(report.isValid)
            #expect(report.statistics.recordCount == UInt64(expected))
            written.append(try files(directory.path))
        }
        #expect(written[0].keys.filter { $0.hasPrefix("segment-") }.count > 2, "several segments")
        #expect(written[1] == written[0])
        #expect(written[2] == written[0])
    }
}
