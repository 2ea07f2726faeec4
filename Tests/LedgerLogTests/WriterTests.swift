import Foundation
import Testing
@testable import LedgerLog

@Suite struct WriterTests {
    @Test func appendedRecordsReadBackInOrder() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(batchRecordsMax: 7), create: true)
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
}
