#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a ledger log without taking its lock: replay, queries, statistics and
/// verification, also while a writer appends in the same or another process (a
/// reader sees whole batches only: the writer's next batch appears once complete).
///
/// One reader owns a decompression context and buffers: use it from one thread at a
/// time. Opening many readers is cheap.
///
/// ```swift
/// let reader = try LogReader(directory: "/var/lib/acme/ledger")
/// try reader.forEach(from: 1) { record in
///     print(record.position, record.type)   // record's buffers are valid here only
/// }
/// ```
public final class LogReader {
    /// The ledger directory.
    public let directory: String
    private let scanner = LogScanner()
    /// Where `head()` stopped last time, so the next call reads only newer batches.
    private var headCache: (path: String, offset: UInt64, head: LogHead)?

    /// Opens a ledger directory for reading; throws `LogError.notALedger` unless it holds a ledger.
    public init(directory: String) throws {
        try LedgerDirectory.checkFormat(directory)
        self.directory = directory
    }

    /// The last complete batch's last position and its stored chain hash. Cheap: reads
    /// only batch metadata of the last segment (and only batches appended since the
    /// previous call). Checks the metadata's CRC, not the frames (that is `verify`).
    public func head() throws -> LogHead {
        let segments = try LedgerDirectory.segments(in: directory)
        for index in stride(from: segments.count - 1, through: 0, by: -1) {
            let segment = segments[index]
            let file = try FileDescriptor.open(segment.path, flags: O_RDONLY)
            let size = try file.size()
            var offset: UInt64 = 0
            var expected = segment.firstPosition
            var head: LogHead? = nil
            if let cache = headCache, cache.path == segment.path, cache.offset <= size {
                offset = cache.offset
                expected = cache.head.position + 1
                head = cache.head
            }
            walking: while true {
                switch try scanner.nextBatch(file: file, size: size, offset: offset,
                                             isLast: index == segments.count - 1, expected: expected) {
                case .batch(let metadata):
                    head = LogHead(position: metadata.lastPosition, chainHash: metadata.chainHash)
                    offset += metadata.batchFileBytes
                    expected = metadata.lastPosition + 1
                case .end, .torn:
                    break walking
                }
            }
            if let head {
                headCache = (segment.path, offset, head)
                return head
            }
        }
        return .empty
    }

    /// Calls `body` for every record from `from` through `through` (both inclusive,
    /// clamped to the log), in position order, checking each batch's metadata CRC-32C,
    /// its zstd frame (structure and content checksum) and the record framing on the
    /// way (the frame's own CRC-32C and the hash chain are left to `verify`, for speed).
    /// Stops at the end of the last
    /// complete batch (an incomplete batch a writer is still writing, or a torn tail,
    /// ends the log). Throws `LogError.corrupt` on anything that does not check out,
    /// and whatever `body` throws.
    ///
    /// No allocation per record: the views borrow a reused decompression buffer.
    public func forEach(from: UInt64 = 1, through: UInt64 = .max, _ body: (RecordView) throws -> Void) throws {
        guard through >= max(from, 1) else { return }
        let segments = try LedgerDirectory.segments(in: directory)
        _ = try scanner.scan(segments: segments, from: max(from, 1), through: through, depth: .records,
                             checkChain: false, checkFrameChecksums: false, onRecord: body)
    }

    /// Like `forEach(from:through:_:)`; with `readingAhead`, a second thread reads and
    /// decompresses the batches (checking them as `forEach` does) while this one decodes their
    /// records and runs `body`, so the two overlap. Same records, same order, same errors
    /// (a damaged batch throws after the records of every batch before it); the second
    /// thread is stopped and waited for before this returns or throws. Worth it for long
    /// ranges: it costs a thread start and a copy of each decompressed batch.
    public func forEach(from: UInt64 = 1, through: UInt64 = .max, readingAhead: Bool,
                        _ body: (RecordView) throws -> Void) throws {
        guard readingAhead else { return try forEach(from: from, through: through, body) }
        guard through >= max(from, 1) else { return }
        let ring = ReadAheadRing(segments: try LedgerDirectory.segments(in: directory), from: max(from, 1), through: through)
        ring.start()
        try ring.consume(body)
    }

    /// The batches holding positions in `from...through`, in order, each decompressed and
    /// checked as `forEach` checks them, for a caller that walks the records itself with
    /// `BatchRecords.forEach` (inlined into its loop); with `readingAhead`, read and
    /// decompressed on a second thread as `forEach(from:through:readingAhead:_:)` does. The
    /// same records, order and errors as `forEach`.
    public func forEachBatch(from: UInt64 = 1, through: UInt64 = .max, readingAhead: Bool,
                             _ body: (BatchRecords) throws -> Void) throws {
        guard through >= max(from, 1) else { return }
        let segments = try LedgerDirectory.segments(in: directory)
        if readingAhead {
            let ring = ReadAheadRing(segments: segments, from: max(from, 1), through: through)
            ring.start()
            try ring.consumeBatches(body)
            return
        }
        _ = try scanner.scan(segments: segments, from: max(from, 1), through: through, depth: .records,
                             checkChain: false, checkFrameChecksums: false, decodingRecords: false,
                             onBatch: { segmentIndex, offset, metadata, content in
                                 guard let content else { return }
                                 try body(BatchRecords(content: content, metadata: metadata,
                                                       file: segments[segmentIndex].path, offset: offset))
                             })
    }

    /// Like `forEach(from:through:_:)`, and after the records of each batch read, calls
    /// `batchEnd` with that batch's head: its last position and the chain hash stored for it
    /// (the hash chain's value at that position). Batches end where a writer's flush ended,
    /// so these are the positions at which a projection can record a verifiable checkpoint.
    public func forEach(from: UInt64 = 1, through: UInt64 = .max, batchEnd: (LogHead) throws -> Void,
                        _ body: (RecordView) throws -> Void) throws {
        guard through >= max(from, 1) else { return }
        let segments = try LedgerDirectory.segments(in: directory)
        _ = try scanner.scan(segments: segments, from: max(from, 1), through: through, depth: .records,
                             checkChain: false, checkFrameChecksums: false,
                             onBatch: { _, _, metadata, content in
                                 guard content != nil else { return }
                                 try batchEnd(LogHead(position: metadata.lastPosition, chainHash: metadata.chainHash))
                             },
                             onRecord: body)
    }

    /// The record at `position`; throws `LogError.positionOutOfRange` when there is none.
    public func record(at position: UInt64) throws -> LogRecord {
        var found: LogRecord?
        if position >= 1 {
            try forEach(from: position, through: position) { found = $0.materialize() }
        }
        guard let found else { throw LogError.positionOutOfRange(position: position, head: try head().position) }
        return found
    }

    /// Counts and sizes, from batch metadata only (no decompression).
    public func statistics() throws -> LogStatistics {
        let summary = try scanner.scan(segments: try LedgerDirectory.segments(in: directory), depth: .metadata,
                                       checkChain: false)
        return LogStatistics(summary)
    }

    /// Checks everything: every metadata and frame CRC-32C, every zstd frame (content
    /// checksum), the batch headers and record framing, gapless positions across batches
    /// and segments, and the whole hash chain from genesis. Never throws: the report
    /// says what was verified and, on failure, the first bad position, file and offset.
    /// A torn tail (what the next writer open would cut) is reported apart from failures;
    /// beside a live writer, a batch still being written shows up as one.
    ///
    /// - Parameter progress: called after every batch with the segment bytes checked so far.
    public func verify(progress: ((_ bytesDone: UInt64, _ bytesTotal: UInt64) -> Void)? = nil) -> VerifyReport {
        var verified = LogHead.empty
        var report = VerifyReport()
        do {
            try LedgerDirectory.checkFormat(directory)
            let segments = try LedgerDirectory.segments(in: directory)
            let summary = try scanner.scan(
                segments: segments, depth: .records, checkChain: true,
                progress: { done, total in progress?(done, total) },
                onBatch: { _, _, metadata, _ in
                    verified = LogHead(position: metadata.lastPosition, chainHash: metadata.chainHash)
                })
            report.statistics = LogStatistics(summary)
        } catch let error as LogError {
            report.failure = error
        } catch {
            preconditionFailure("the scan throws only LogError when nothing else throws: \(error)")
        }
        report.head = verified
        return report
    }
}

/// Counts and sizes of a ledger log.
public struct LogStatistics: Sendable, Equatable, CustomStringConvertible {
    /// The last complete batch's last position and chain hash.
    public var head: LogHead = .empty
    public var recordCount: UInt64 = 0
    public var batchCount: UInt64 = 0
    public var segmentCount: Int = 0
    /// Bytes of all segment files (a torn tail included).
    public var bytesOnDisk: UInt64 = 0
    /// Sum of the batches' uncompressed sizes.
    public var uncompressedBytes: UInt64 = 0
    /// An incomplete batch at the end of the last segment, if any.
    public var tornTail: TornTail?

    public init() {}

    init(_ summary: ScanSummary) {
        head = summary.head
        recordCount = summary.recordCount
        batchCount = summary.batchCount
        segmentCount = summary.segmentCount
        bytesOnDisk = summary.bytesOnDisk
        uncompressedBytes = summary.uncompressedBytes
        tornTail = summary.tornTail
    }

    public var description: String {
        var text = "\(recordCount) records in \(batchCount) batches and \(segmentCount) segments; "
            + "\(bytesOnDisk) bytes on disk, \(uncompressedBytes) uncompressed; head \(head)"
        if let tornTail { text += "; torn tail: \(tornTail)" }
        return text
    }
}

/// The outcome of `LogReader.verify`.
public struct VerifyReport: Sendable, Equatable, CustomStringConvertible {
    /// The last position whose batch checked out, with its chain hash (the whole log's
    /// head when `failure` is nil).
    public var head: LogHead = .empty
    /// Counts and sizes (complete only when `failure` is nil).
    public var statistics = LogStatistics()
    /// The first thing that did not check out (`LogError.corrupt` names the file, the
    /// byte offset and the position), or nil.
    public var failure: LogError?
    /// The incomplete last batch the next writer open would cut, if any (not a failure).
    public var tornTail: TornTail? { statistics.tornTail }
    /// True when everything checked out (a torn tail may still be present).
    public var isValid: Bool { failure == nil }

    public init() {}

    public var description: String {
        if let failure { return "FAILED after \(head): \(failure)" }
        var text = "OK: \(statistics)"
        if tornTail != nil { text += " (the next writer open cuts the torn tail)" }
        return text
    }
}
