import Foundation
import Testing
@testable import LedgerLog

@Suite struct WriterTests {
    @Test func appendedRecordsReadBackInOrder() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(batchRecordsMax: 7), create: true)
        let last = try appendSamples(writer, flushes: 5, recordsPerFlush: 20)
        #expect(last == 100)
        #expect(writer.durableHead.position == 100)
        #expect(try writer.record(at: 42) == sampleLogRecord(42))
        let staged = try writer.stage(sampleRecord(101))
        #expect(try writer.record(at: staged) == sampleLogRecord(101))
        #expect(try checkSamples(directory.path) == 100)
        writer.close()

        let reader = try LogReader(directory: directory.path)
        #expect(try reader.head().position == 100)
        #expect(try reader.record(at: 77) == sampleLogRecord(77))
        var seen: [UInt64] = []
        try reader.forEach(from: 30, through: 35) { seen.append($0.position) }
        #expect(seen == [30, 31, 32, 33, 34, 35])
        let report = reader.verify()
        #expect(report.isValid, "\(report)")
        #expect(report.head == writer.durableHead)
        #expect(report.statistics.recordCount == 100)
        #expect(report.statistics.batchCount == 5 * 3)
    }

    /// Raw literals (the default) and Huffman-coded ones are the writer's choice: the same
    /// records, the same chain hash, both verify; the raw frames are the larger ones, and a
    /// ledger may hold both kinds (a writer reopened with the other option appends to it).
    @Test func literalCompressionChangesOnlyTheFrames() throws {
        var heads: [LogHead] = []
        var bytes: [UInt64] = []
        for compressesLiterals in [false, true] {
            let directory = TemporaryDirectory("literals")
            defer { directory.remove() }
            var options = fastOptions(batchRecordsMax: 64)
            options.compressesLiterals = compressesLiterals
            let writer = try openWriter(directory: directory.path, options: options, create: true)
            try appendSamples(writer, flushes: 4, recordsPerFlush: 200)
            writer.close()
            options.compressesLiterals = !compressesLiterals
            let other = try openWriter(directory: directory.path, options: options)
            try appendSamples(other, flushes: 1, recordsPerFlush: 100)
            other.close()
            #expect(try checkSamples(directory.path) == 900)
            let report = try LogReader(directory: directory.path).verify()
            #expect(report.isValid, "\(report)")
            heads.append(report.head)
            bytes.append(report.statistics.bytesOnDisk)
        }
        #expect(heads[0] == heads[1])
        #expect(bytes[0] > bytes[1], "raw literals \(bytes[0]) bytes, Huffman-coded \(bytes[1])")
        #expect(LogOptions().compressesLiterals == false)
    }

    /// tenant+id finds durable and staged records, byte for byte, and holds across a
    /// restart (the index is rebuilt from the log); staged records never made durable
    /// are gone after the restart.
    @Test func idempotencyIndexHoldsAcrossRestart() throws {
        let directory = TemporaryDirectory("index")
        defer { directory.remove() }
        var writer = try openWriter(directory: directory.path, options: fastOptions(batchRecordsMax: 8), create: true)
        try appendSamples(writer, flushes: 4, recordsPerFlush: 10)
        let composed = try writer.stage(NewRecord(tenant: Array("t".utf8), id: Array("caf\u{E9}".utf8), type: 1, at: 0,
                                                  actor: [], payload: []))
        let decomposed = try writer.stage(NewRecord(tenant: Array("t".utf8), id: Array("cafe\u{301}".utf8), type: 1, at: 0,
                                                    actor: [], payload: []))
        let split = try writer.stage(NewRecord(tenant: Array("ab".utf8), id: Array("c".utf8), type: 1, at: 0, actor: [], payload: []))
        try writer.waitUntilDurable(through: split)
        let stagedOnly = try writer.stage(sampleRecord(writer.lastStagedPosition + 1))

        func expectLookups(_ writer: LogWriter, stagedPresent: Bool) throws {
            for position in UInt64(1)...40 {
                let record = sampleRecord(position)
                #expect(try writer.position(tenant: record.tenant, id: record.id) == position)
            }
            #expect(try writer.position(tenant: Array("t".utf8), id: Array("caf\u{E9}".utf8)) == composed)
            #expect(try writer.position(tenant: Array("t".utf8), id: Array("cafe\u{301}".utf8)) == decomposed)
            #expect(try writer.position(tenant: Array("ab".utf8), id: Array("c".utf8)) == split)
            #expect(try writer.position(tenant: Array("a".utf8), id: Array("bc".utf8)) == nil)
            #expect(try writer.position(tenant: Array("tenant-1".utf8), id: Array("e-2".utf8)) == nil, "id of another tenant")
            let staged = sampleRecord(stagedOnly)
            #expect(try writer.position(tenant: staged.tenant, id: staged.id) == (stagedPresent ? stagedOnly : nil))
        }
        try expectLookups(writer, stagedPresent: true)
        writer.close()
        writer = try openWriter(directory: directory.path, options: fastOptions())
        #expect(writer.durableHead.position == split)
        try expectLookups(writer, stagedPresent: false)
        writer.close()
    }

    /// With hashes cut to 3 bits nearly every lookup meets collisions; reading the
    /// records back (from staging, from the batch being flushed, from disk) resolves
    /// them. A key staged twice answers with its first position.
    @Test func hashCollisionsAreResolvedByReadingRecordsBack() throws {
        let directory = TemporaryDirectory("collisions")
        defer { directory.remove() }
        var options = fastOptions(batchRecordsMax: 16)
        options.keyHashBitsForTesting = 3
        var writer = try openWriter(directory: directory.path, options: options, create: true)
        try appendSamples(writer, flushes: 10, recordsPerFlush: 20)
        let again = try writer.stage(sampleRecord(5))
        for _ in 0..<30 { _ = try writer.stage(sampleRecord(writer.lastStagedPosition + 1)) }
        func expectLookups(_ writer: LogWriter, through last: UInt64) throws {
            for position in UInt64(1)...last where position != again {
                let record = sampleRecord(position)
                #expect(try writer.position(tenant: record.tenant, id: record.id) == position, "position \(position)")
            }
            for missing in UInt64(1_000)..<1_050 {
                let record = sampleRecord(missing)
                #expect(try writer.position(tenant: record.tenant, id: record.id) == nil)
            }
            let duplicate = sampleRecord(5)
            #expect(try writer.position(tenant: duplicate.tenant, id: duplicate.id) == 5)
        }
        try expectLookups(writer, through: writer.lastStagedPosition)
        try writer.waitUntilDurable(through: writer.lastStagedPosition)
        let last = writer.lastStagedPosition
        try expectLookups(writer, through: last)
        writer.close()
        writer = try openWriter(directory: directory.path, options: options)
        try expectLookups(writer, through: last)
        writer.close()
    }

    @Test func secondWriterIsRefusedAtOnce() throws {
        let directory = TemporaryDirectory("lock")
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(), create: true)
        #expect(throws: LogError.locked(directory: directory.path)) {
            try openWriter(directory: directory.path, options: fastOptions())
        }
        #expect(throws: LogError.locked(directory: directory.path)) {
            try openWriter(directory: directory.path, options: fastOptions(), create: true)
        }
        #expect(try LogReader(directory: directory.path).head() == .empty, "readers need no lock")
        writer.close()
        let second = try openWriter(directory: directory.path, options: fastOptions())
        second.close()
    }

    /// A tiny segmentBytesMax gives one batch per segment; each file is named after its
    /// first position, and the log reads, verifies and reopens across them.
    @Test func segmentsRollOverAtTheirMaximum() throws {
        let directory = TemporaryDirectory("rollover")
        defer { directory.remove() }
        let options = fastOptions(segmentBytesMax: 1_500, batchRecordsMax: 4)
        var writer = try openWriter(directory: directory.path, options: options, create: true)
        try appendSamples(writer, flushes: 10, recordsPerFlush: 10)
        writer.close()
        let segments = try LedgerDirectory.segments(in: directory.path)
        #expect(segments.count > 5)
        for segment in segments {
            let layout = try batchLayout(segment.path)
            #expect(layout.first?.firstPosition == segment.firstPosition)
            let size = try FileSystem.size(segment.path)
            #expect(size <= 1_500 || layout.count == 1, "a segment exceeds its maximum only with a single batch")
        }
        writer = try openWriter(directory: directory.path, options: options)
        #expect(try writer.record(at: 3) == sampleLogRecord(3))
        #expect(try writer.record(at: 97) == sampleLogRecord(97))
        let last = try appendSamples(writer, flushes: 3, recordsPerFlush: 10)
        writer.close()
        #expect(try checkSamples(directory.path) == last)
        let statistics = try LogReader(directory: directory.path).statistics()
        let segmentCount = try segmentPaths(directory.path).count
        #expect(statistics.recordCount == last && statistics.segmentCount == segmentCount)
        #expect(try LogReader(directory: directory.path).verify().isValid)
    }

    @Test func oversizedFieldsAreRefusedAndLargeRecordsGetTheirOwnBatch() throws {
        let directory = TemporaryDirectory("limits")
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(batchBytesMax: 4_096), create: true)
        let tooLong = [UInt8](repeating: 0x61, count: LogLimits.keyBytesMax + 1)
        #expect(throws: LogError.recordTooLarge(field: "id", bytes: tooLong.count, limit: LogLimits.keyBytesMax)) {
            try writer.stage(NewRecord(tenant: [1], id: tooLong, type: 0, at: 0, actor: [], payload: []))
        }
        #expect(throws: LogError.self) {
            try writer.stage(NewRecord(tenant: [1], id: [2], type: 0, at: 0, actor: [],
                                       payload: [UInt8](repeating: 0, count: LogLimits.recordBytesMax)))
        }
        #expect(writer.lastStagedPosition == 0, "a refused record takes no position")
        _ = try writer.stage(sampleRecord(1))
        let large = NewRecord(tenant: [1], id: [2], type: 3, at: -5, actor: [4], payload: [UInt8](repeating: 9, count: 100_000))
        let position = try writer.stage(large)
        _ = try writer.stage(sampleRecord(3))
        try writer.waitUntilDurable(through: 3)
        writer.close()
        let statistics = try LogReader(directory: directory.path).statistics()
        #expect(statistics.batchCount == 3)
        #expect(try LogReader(directory: directory.path).record(at: position).newRecord == large)
    }

    @Test func onlyLedgerDirectoriesOpen() throws {
        let directory = TemporaryDirectory("not-a-ledger")
        defer { directory.remove() }
        let missing = directory.child("missing")
        #expect(throws: LogError.self) { try openWriter(directory: missing) }
        #expect(throws: LogError.self) { try LogReader(directory: directory.path) }
        try writeFile(directory.child("notes.txt"), Array("hello".utf8))
        #expect {
            try openWriter(directory: directory.path, create: true)
        } throws: { error in
            guard case LogError.notALedger? = error as? LogError else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: directory.child("LOCK")), "a directory that is no ledger is left alone")
        try writeFile(directory.child("FORMAT"), Array("ledger-log 2\n".utf8))
        #expect(throws: LogError.self) { try LogReader(directory: directory.path) }
        let created = try openWriter(directory: directory.child("a/b/c"), options: fastOptions(), create: true)
        #expect(created.durableHead == .empty)
        #expect(created.durableHead.chainHash == [UInt8](repeating: 0, count: 32))
        created.close()
        #expect(try LogReader(directory: directory.child("a/b/c")).verify().isValid)
    }

    @Test func closedWriterRefusesWork() throws {
        let directory = TemporaryDirectory("closed")
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(), create: true)
        let staged = try writer.stage(sampleRecord(1))
        writer.close()
        #expect(throws: LogError.closed) { try writer.stage(sampleRecord(2)) }
        #expect(throws: LogError.closed) { try writer.waitUntilDurable(through: staged) }
        writer.close()
        #expect(try LogReader(directory: directory.path).head() == .empty, "staged records are discarded")
    }

    /// The open scan hands every record to the caller, so it can rebuild its state in the same pass.
    @Test func openReplaysEveryRecordToTheCaller() throws {
        let directory = TemporaryDirectory("replay")
        defer { directory.remove() }
        var writer = try openWriter(directory: directory.path, options: fastOptions(batchRecordsMax: 6), create: true)
        let last = try appendSamples(writer, flushes: 3, recordsPerFlush: 11)
        writer.close()
        var seen: [LogRecord] = []
        writer = try openWriter(directory: directory.path, options: fastOptions()) { seen.append($0.materialize()) }
        writer.close()
        #expect(seen == (1...last).map(sampleLogRecord))
    }
}
