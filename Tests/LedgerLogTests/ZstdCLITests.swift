import Foundation
import Testing
@testable import LedgerLog

/// Parses `zstd -dc` output of a segment, written from docs/FORMAT.md alone: batch
/// headers ("LLB1", u64 first position, u32 count, i64 base time) each followed by
/// their records (time as a zigzag varint difference from the previous record's).
func parseDecompressedSegment(_ bytes: [UInt8]) throws -> [LogRecord] {
    var records: [LogRecord] = []
    var offset = 0
    func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard offset + count <= bytes.count else { throw TestFailure("output ends early at \(offset)") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }
    func littleEndian(_ count: Int) throws -> UInt64 {
        try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let piece = try take(1)
            let byte = piece[piece.startIndex]
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }
    while offset < bytes.count {
        guard Array(try take(4)) == Array("LLB1".utf8) else { throw TestFailure("no batch header at \(offset - 4)") }
        let first = try littleEndian(8)
        let count = try littleEndian(4)
        var at = Int64(bitPattern: try littleEndian(8))
        for index in 0..<count {
            let tenant = Array(try take(Int(try varint())))
            let id = Array(try take(Int(try varint())))
            let type = UInt16(try varint())
            let zigzag = try varint()
            at = at &+ (Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
            let actor = Array(try take(Int(try varint())))
            let payload = Array(try take(Int(try varint())))
            records.append(LogRecord(position: first + index, tenant: tenant, id: id, type: type, at: at, actor: actor,
                                     payload: payload))
        }
    }
    return records
}

@Suite struct ZstdCLITests {
    /// Every segment is a valid zstd stream (`zstd -t`), and `zstd -dc` prints the
    /// batches' uncompressed bytes: the records, identifiable by position.
    @Test func everySegmentIsAZstdStreamOfTheRecords() throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path,
                                        options: fastOptions(segmentBytesMax: 6_000, batchRecordsMax: 9), create: true)
        let last = try appendSamples(writer, flushes: 6, recordsPerFlush: 20)
        writer.close()
        let segments = try segmentPaths(directory.path)
        #expect(segments.count > 1)
        var records: [LogRecord] = []
        for segment in segments {
            _ = try runZstd(["-t", "-q"], input: try readFile(segment))
            records += try parseDecompressedSegment(try decompressWithCLI(try readFile(segment)))
        }
        #expect(records.count == Int(last))
        #expect(records == (1...last).map(sampleLogRecord))
    }
}
