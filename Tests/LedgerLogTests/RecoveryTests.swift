import Foundation
import Testing
@testable import LedgerLog

/// Batch boundaries of a segment file, from its metadata: (offset, byte count, first position).
func batchLayout(_ segment: String) throws -> [(offset: UInt64, bytes: UInt64, firstPosition: UInt64, lastPosition: UInt64)] {
    let bytes = try readFile(segment)
    var layout: [(UInt64, UInt64, UInt64, UInt64)] = []
    var offset = 0
    while offset < bytes.count {
        let metadata = try bytes.withUnsafeBytes { raw in
            try BatchMetadata.decode(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + BatchMetadata.byteCount)])).get()
        }
        layout.append((UInt64(offset), metadata.batchFileBytes, metadata.firstPosition, metadata.lastPosition))
        offset += Int(metadata.batchFileBytes)
    }
    return layout
}

@Suite struct RecoveryTests {
    /// Cutting the last segment at every byte offset inside its final batch opens
    /// cleanly at the previous batch, cutting the rest, and the log still verifies.
    @Test(arguments: [false, true])
    func truncatedFinalBatchOpensAtThePreviousBatch(finalBatchStartsASegment: Bool) throws {
        let directory = TemporaryDirectory("truncate")
        defer { directory.remove() }
        var options = fastOptions(batchRecordsMax: 4)
        if finalBatchStartsASegment { options.segmentBytesMax = 1 }   // one batch per segment
        let writer = try LogWriter.open(directory: directory.path, options: options, create: true)
        try appendSamples(writer, flushes: 2, recordsPerFlush: 3)
        let previousHead = writer.durableHead
        try appendSamples(writer, flushes: 1, recordsPerFlush: 3)
        writer.close()

        let segment = try segmentPaths(directory.path).last!
        let original = try readFile(segment)
        let final = try batchLayout(segment).last!
        #expect(final.offset + final.bytes == UInt64(original.count))
        #expect(final.firstPosition == previousHead.position + 1)
        for cut in Int(final.offset)..<original.count {
            try writeFile(segment, Array(original[0..<cut]))
            let reopened = try LogWriter.open(directory: directory.path, options: options)
            #expect(reopened.durableHead == previousHead, "cut at \(cut)")
            if cut == Int(final.offset) && cut > 0 {
                #expect(reopened.recovery == nil, "cut at \(cut)")
            } else {
                let tail = try #require(reopened.recovery?.tornTail, "cut at \(cut)")
                #expect(tail.offset == final.offset && tail.bytes == UInt64(cut) - final.offset, "cut at \(cut)")
                #expect(tail.position == previousHead.position + 1)
                #expect(tail.kind == (cut == 0 ? .emptySegment
                                      : cut - Int(final.offset) < BatchMetadata.byteCount ? .endsInsideMetadata : .endsInsideFrame),
                        "cut at \(cut): \(tail.kind)")
                #expect(reopened.recovery?.segmentRemoved == (final.offset == 0), "cut at \(cut)")
            }
            reopened.close()
            let report = try LogReader(directory: directory.path).verify()
            #expect(report.isValid && report.tornTail == nil && report.head == previousHead, "cut at \(cut): \(report)")
        }
        // After recovery the log continues at the cut position.
        try writeFile(segment, Array(original[0..<(Int(final.offset) + 80)]))
        let reopened = try LogWriter.open(directory: directory.path, options: options)
        let last = try appendSamples(reopened, flushes: 1, recordsPerFlush: 5)
        reopened.close()
        #expect(try checkSamples(directory.path) == last)
    }

    /// A tail of zero bytes (a file extended but never written) is torn, however long.
    @Test func zeroTailIsCut() throws {
        let directory = TemporaryDirectory("zeros")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(), create: true)
        try appendSamples(writer, flushes: 2, recordsPerFlush: 3)
        let head = writer.durableHead
        writer.close()
        let segment = try segmentPaths(directory.path).last!
        let original = try readFile(segment)
        for zeros in [1, 71, 72, 73, 5_000] {
            try writeFile(segment, original + [UInt8](repeating: 0, count: zeros))
            let reader = try LogReader(directory: directory.path)
            #expect(reader.verify().tornTail?.kind == .zeroTail)
            #expect(try reader.head() == head)
            let reopened = try LogWriter.open(directory: directory.path, options: fastOptions())
            #expect(reopened.recovery?.tornTail.kind == .zeroTail && reopened.recovery?.tornTail.bytes == UInt64(zeros))
            #expect(reopened.durableHead == head)
            reopened.close()
            #expect(try readFile(segment) == original)
        }
    }

    /// Damage that is not a torn tail is an error naming the file, offset and position,
    /// even in the last batch; nothing is cut.
    @Test func damagedLastBatchIsAnErrorNotATornTail() throws {
        let directory = TemporaryDirectory("damaged")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(), create: true)
        try appendSamples(writer, flushes: 3, recordsPerFlush: 2)
        writer.close()
        let segment = try segmentPaths(directory.path).last!
        let original = try readFile(segment)
        let final = try batchLayout(segment).last!
        // A metadata byte (the record count), then a frame byte.
        for flipped in [Int(final.offset) + 20, Int(final.offset) + BatchMetadata.byteCount + 10] {
            var damaged = original
            damaged[flipped] ^= 0x01
            try writeFile(segment, damaged)
            do {
                _ = try LogWriter.open(directory: directory.path, options: fastOptions())
                Issue.record("opening a damaged log succeeded")
            } catch let LogError.corrupt(file, offset, position, reason) {
                #expect(file == segment)
                #expect(offset == final.offset || offset == final.offset + UInt64(BatchMetadata.byteCount))
                #expect(position == final.firstPosition)
                #expect(reason.contains("CRC-32C"), "\(reason)")
            }
            #expect(try readFile(segment) == damaged, "nothing was cut")
        }
        try writeFile(segment, original)
        #expect(try LogReader(directory: directory.path).verify().isValid)
    }

    /// A torn batch in a segment that is not the last one is corruption.
    @Test func tornBatchBeforeTheLastSegmentIsAnError() throws {
        let directory = TemporaryDirectory("torn-middle")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(segmentBytesMax: 1), create: true)
        try appendSamples(writer, flushes: 3, recordsPerFlush: 2)
        writer.close()
        let segments = try segmentPaths(directory.path)
        #expect(segments.count == 3)
        let middle = try readFile(segments[1])
        try writeFile(segments[1], Array(middle.dropLast(5)))
        #expect(throws: LogError.self) { try LogWriter.open(directory: directory.path, options: fastOptions()) }
        let report = try LogReader(directory: directory.path).verify()
        guard case .corrupt(let file, _, let position, _)? = report.failure else {
            Issue.record("expected corruption, got \(report)")
            return
        }
        #expect(file == segments[1] && position == 3)
        #expect(report.head.position == 2)
    }

    /// A missing segment is a gap.
    @Test func missingSegmentIsAGap() throws {
        let directory = TemporaryDirectory("gap")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(segmentBytesMax: 1), create: true)
        try appendSamples(writer, flushes: 3, recordsPerFlush: 2)
        writer.close()
        let segments = try segmentPaths(directory.path)
        try FileManager.default.removeItem(atPath: segments[1])
        let report = try LogReader(directory: directory.path).verify()
        guard case .corrupt(let file, let offset, let position, let reason)? = report.failure else {
            Issue.record("expected corruption, got \(report)")
            return
        }
        #expect(file == segments[2] && offset == 0 && position == 3, "\(reason)")
    }

    /// An empty last segment (created, then the crash) is removed; the log continues.
    @Test func emptyLastSegmentIsRemoved() throws {
        let directory = TemporaryDirectory("empty-segment")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(), create: true)
        try appendSamples(writer, flushes: 1, recordsPerFlush: 4)
        writer.close()
        let empty = directory.child(LedgerDirectory.segmentName(firstPosition: 5))
        try writeFile(empty, [])
        let reopened = try LogWriter.open(directory: directory.path, options: fastOptions())
        #expect(reopened.recovery == RecoveryReport(
            tornTail: TornTail(file: empty, offset: 0, bytes: 0, position: 5, kind: .emptySegment), segmentRemoved: true))
        #expect(!FileManager.default.fileExists(atPath: empty))
        let last = try appendSamples(reopened, flushes: 2, recordsPerFlush: 2)
        reopened.close()
        #expect(last == 8)
        #expect(try checkSamples(directory.path) == 8)
    }

    /// With `cutTornTail: false`, open reports the torn tail and leaves the files alone.
    @Test func tornTailCanBeRefusedInsteadOfCut() throws {
        let directory = TemporaryDirectory("no-cut")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(), create: true)
        try appendSamples(writer, flushes: 2, recordsPerFlush: 2)
        writer.close()
        let segment = try segmentPaths(directory.path).last!
        let torn = Array(try readFile(segment).dropLast(3))
        try writeFile(segment, torn)
        var options = fastOptions()
        options.cutTornTail = false
        #expect {
            try LogWriter.open(directory: directory.path, options: options)
        } throws: { error in
            guard case LogError.torn(let tail)? = error as? LogError else { return false }
            return tail.kind == .endsInsideFrame && tail.position == 3
        }
        #expect(try readFile(segment) == torn)
    }
}
