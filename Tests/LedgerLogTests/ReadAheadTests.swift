import Foundation
import Testing
@testable import LedgerLog

/// `LogReader.forEach(readingAhead: true)`: a second thread reads and decompresses batches
/// while the caller decodes them. It must hand out exactly what the one-thread scan does,
/// in order, and fail the same way at the same record.
@Suite struct ReadAheadTests {
    /// Positions and records handed out, and the error thrown, if any.
    private func read(_ reader: LogReader, from: UInt64, through: UInt64, readingAhead: Bool,
                      stopAt: UInt64? = nil) -> (records: [LogRecord], error: String?) {
        var records: [LogRecord] = []
        do {
            try reader.forEach(from: from, through: through, readingAhead: readingAhead) { view in
                if let stopAt, view.position == stopAt { throw LogError.closed }
                records.append(view.materialize())
            }
            return (records, nil)
        } catch {
            return (records, "\(error)")
        }
    }

    /// The same through `forEachBatch` and `BatchRecords.forEach` (the replay's inlined loop).
    private func readBatches(_ reader: LogReader, from: UInt64, through: UInt64,
                             readingAhead: Bool) -> (records: [LogRecord], error: String?) {
        var records: [LogRecord] = []
        do {
            try reader.forEachBatch(from: from, through: through, readingAhead: readingAhead) { batch in
                #expect(batch.positions.upperBound >= from && batch.positions.lowerBound <= through)
                try batch.forEach(from: from, through: through) { records.append($0.materialize()) }
            }
            return (records, nil)
        } catch {
            return (records, "\(error)")
        }
    }

    /// 600 records in batches of 7 over several segments: far more batches than the ring's
    /// slots, ranges starting and ending inside batches and segments.
    @Test func givesTheSameRecordsAsOneThread() throws {
        let directory = TemporaryDirectory("read-ahead")
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(segmentBytesMax: 4_000, batchRecordsMax: 7),
                                    create: true)
        try appendSamples(writer, flushes: 12, recordsPerFlush: 50)
        writer.close()
        #expect(try segmentPaths(directory.path).count > 3)
        let reader = try LogReader(directory: directory.path)
        for (from, through) in [(UInt64(1), UInt64.max), (1, 600), (3, 598), (100, 101), (250, 250), (600, 900), (601, 700)] {
            let one = read(reader, from: from, through: through, readingAhead: false)
            let two = read(reader, from: from, through: through, readingAhead: true)
            #expect(one.error == nil && two.error == nil)
            #expect(two.records == one.records, "range \(from)...\(through)")
            let expected = from > 600 ? [] : (from...min(through, 600)).map { sampleLogRecord($0) }
            #expect(two.records == expected, "range \(from)...\(through)")
            for readingAhead in [false, true] {
                let batches = readBatches(reader, from: from, through: through, readingAhead: readingAhead)
                #expect(batches.error == nil && batches.records == expected, "batches, range \(from)...\(through)")
            }
        }
    }

    /// An error of `body` stops the reading: it is rethrown, nothing after it is handed out,
    /// and the reader serves the next call (the second thread was stopped and waited for).
    @Test func anErrorOfTheBodyStopsTheReading() throws {
        let directory = TemporaryDirectory("read-ahead-stop")
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(batchRecordsMax: 5), create: true)
        try appendSamples(writer, flushes: 4, recordsPerFlush: 100)
        writer.close()
        let reader = try LogReader(directory: directory.path)
        for stopAt in [UInt64(1), 3, 42, 399, 400] {
            let stopped = read(reader, from: 1, through: .max, readingAhead: true, stopAt: stopAt)
            #expect(stopped.error == "\(LogError.closed)")
            #expect(stopped.records.map(\.position) == Array(1..<stopAt))
        }
        #expect(read(reader, from: 1, through: .max, readingAhead: true).records.count == 400)
    }

    /// A damaged frame in the middle of the log: the records of every batch before it come
    /// out, then the same corruption error as the one-thread scan's (file, offset, position).
    @Test func aDamagedBatchFailsAtTheSameRecordAsOneThread() throws {
        let directory = TemporaryDirectory("read-ahead-damage")
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(batchRecordsMax: 10), create: true)
        try appendSamples(writer, flushes: 1, recordsPerFlush: 300)
        writer.close()
        let segment = try segmentPaths(directory.path)[0]
        let layout = try batchLayout(segment)
        let damaged = layout[17]
        var bytes = try readFile(segment)
        // A byte inside the compressed frame, past the batch's metadata.
        bytes[Int(damaged.offset + damaged.bytes) - 9] ^= 0x5A
        try writeFile(segment, bytes)
        let reader = try LogReader(directory: directory.path)
        let one = read(reader, from: 1, through: .max, readingAhead: false)
        let two = read(reader, from: 1, through: .max, readingAhead: true)
        #expect(one.error != nil)
        #expect(two.error == one.error)
        #expect(two.records == one.records)
        #expect(two.records.count == Int(damaged.firstPosition) - 1)
        for readingAhead in [false, true] {
            let batches = readBatches(reader, from: 1, through: .max, readingAhead: readingAhead)
            #expect(batches.error == one.error && batches.records == one.records)
        }
    }

    /// A batch whose frame is sound (valid zstd, checksums, size) but whose records' framing
    /// is not (a length varint made to overrun): every way of reading hands out the records
    /// before it and throws the same error, naming the batch's file, offset and the record.
    @Test func badRecordFramingFailsTheSameWayInEveryReading() throws {
        let directory = TemporaryDirectory("read-ahead-framing")
        defer { directory.remove() }
        let writer = try openWriter(directory: directory.path, options: fastOptions(batchRecordsMax: 10), create: true)
        try appendSamples(writer, flushes: 1, recordsPerFlush: 100)
        writer.close()
        let segment = try segmentPaths(directory.path)[0]
        let damaged = try batchLayout(segment)[4]
        var bytes = try readFile(segment)
        let start = Int(damaged.offset)
        var metadata = try bytes.withUnsafeBytes {
            try BatchMetadata.decode(UnsafeRawBufferPointer(rebasing: $0[start..<(start + BatchMetadata.byteCount)])).get()
        }
        var content = try decompressWithCLI(Array(bytes[(start + BatchMetadata.byteCount)..<(start + Int(damaged.bytes))]))
        // The first record's tenant length (right after the 24-byte batch header) becomes the
        // varint FF 7F: 16,383 bytes, over the 1,024-byte limit of a tenant.
        #expect(content[BatchHeader.byteCount] < 0x80)
        content.replaceSubrange(BatchHeader.byteCount...BatchHeader.byteCount, with: [0xFF, 0x7F])
        metadata.uncompressedBytes += 1
        let frame = try compressWithCLI(content)
        metadata.frameBytes = UInt32(frame.count)
        metadata.frameChecksum = CRC32C.checksum(frame)
        var header = [UInt8](repeating: 0, count: BatchMetadata.byteCount)
        header.withUnsafeMutableBytes { metadata.encode(at: $0.baseAddress!) }
        bytes.replaceSubrange(start..<(start + Int(damaged.bytes)), with: header + frame)
        try writeFile(segment, bytes)
        let reader = try LogReader(directory: directory.path)
        let one = read(reader, from: 1, through: .max, readingAhead: false)
        #expect(one.records.count == 40)
        #expect(one.error?.contains("record 0 of the batch: tenant length 16383 exceeds the limit of 1024") == true,
                "\(one.error ?? "no error")")
        #expect(read(reader, from: 1, through: .max, readingAhead: true) == one)
        for readingAhead in [false, true] {
            #expect(readBatches(reader, from: 1, through: .max, readingAhead: readingAhead) == one)
            #expect(readBatches(reader, from: 41, through: 45, readingAhead: readingAhead).error == one.error)
        }
    }
}
