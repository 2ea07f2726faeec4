#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a scan of the segments found.
struct ScanSummary {
    /// The last complete batch's last position and chain hash (as stored, or as
    /// recomputed when the chain was checked).
    var head: LogHead = .empty
    var recordCount: UInt64 = 0
    var batchCount: UInt64 = 0
    var segmentCount: Int = 0
    var bytesOnDisk: UInt64 = 0
    var uncompressedBytes: UInt64 = 0
    /// An incomplete last batch at the end of the last segment (not an error).
    var tornTail: TornTail?
}

/// One step of walking a segment's batches.
enum BatchStep {
    case batch(BatchMetadata)
    case end
    case torn(TornTail)
}

/// Walks the batches of a ledger's segments, checking what it reads: the one place
/// that knows how batches follow each other and how a torn tail looks. Used by the
/// reader (replay, head, statistics, verify) and by the writer's recovery. Owns
/// reusable buffers and a zstd context, so one scanner serves one thread.
final class LogScanner {
    /// How far the scan reads.
    enum Depth {
        /// Batch metadata only: positions, sizes, stored chain hashes.
        case metadata
        /// Also every frame in the requested range: CRC, decompression, record framing.
        case records
    }

    let decoder = BatchDecoder()
    private let metadataBuffer = ByteBuffer(capacity: BatchMetadata.byteCount)
    private let zeroCheckBuffer = ByteBuffer(capacity: 64 * 1_024)

    /// Scans `segments` in order.
    ///
    /// - Parameters:
    ///   - from, through: only batches holding positions in this range have their frames
    ///     read, and only records in it are passed to `onRecord`. Segments entirely
    ///     before `from` are skipped by their names (then the summary only covers the rest).
    ///   - checkChain: recompute the hash chain from genesis (requires `from == 1`, `.records`).
    ///   - checkFrameChecksums: check each frame's CRC-32C too. Replay skips it: zstd's
    ///     content checksum already guards what it decodes, and the CRC costs a tenth
    ///     of replay time; `verify` and the writer's open check both.
    ///   - decodingRecords: false leaves the records of the batches read undecoded (and
    ///     `onRecord` uncalled): the caller decodes the bytes `onBatch` gets.
    ///   - onBatch: every complete batch: segment index, byte offset, metadata, and its
    ///     uncompressed bytes when they were read.
    ///   - onRecord: every record in range, in position order.
    func scan(segments: [SegmentEntry], from: UInt64 = 1, through: UInt64 = .max, depth: Depth, checkChain: Bool,
              checkFrameChecksums: Bool = true, decodingRecords: Bool = true,
              progress: (_ bytesDone: UInt64, _ bytesTotal: UInt64) -> Void = { _, _ in },
              onBatch: (_ segmentIndex: Int, _ offset: UInt64, _ metadata: BatchMetadata, _ content: UnsafeRawBufferPointer?) throws -> Void = { _, _, _, _ in },
              onRecord: (RecordView) throws -> Void = { _ in }) throws -> ScanSummary {
        precondition(!checkChain || (from == 1 && depth == .records), "the chain is checked from genesis, reading every frame")
        var summary = ScanSummary()
        var expected: UInt64 = 1
        var chain = ChainHash.genesis
        var sizes: [UInt64] = Array(repeating: 0, count: segments.count)
        var bytesTotal: UInt64 = 0
        var firstScanned = 0
        if from > 1 {
            while firstScanned + 1 < segments.count && segments[firstScanned + 1].firstPosition <= from {
                firstScanned += 1
            }
            if firstScanned < segments.count { expected = segments[firstScanned].firstPosition }
        }
        // Sizes are taken once, up front: bytes a live writer appends later are not read,
        // so a scan sees a consistent prefix of the log.
        for index in firstScanned..<segments.count {
            sizes[index] = try FileSystem.size(segments[index].path)
            bytesTotal += sizes[index]
        }
        var bytesBefore: UInt64 = 0
        progress(0, bytesTotal)
        scanning: for index in firstScanned..<segments.count {
            let segment = segments[index]
            let file = try FileDescriptor.open(segment.path, flags: O_RDONLY)
            let size = sizes[index]
            let isLast = index == segments.count - 1
            guard segment.firstPosition == expected else {
                throw LogError.corrupt(file: segment.path, offset: 0, position: expected,
                                       reason: "the segment's name says it starts at position \(segment.firstPosition), but the log continues at \(expected)")
            }
            summary.segmentCount += 1
            summary.bytesOnDisk += size
            var offset: UInt64 = 0
            batches: while true {
                switch try nextBatch(file: file, size: size, offset: offset, isLast: isLast, expected: expected) {
                case .end:
                    break batches
                case .torn(let tail):
                    summary.tornTail = tail
                    break scanning
                case .batch(let metadata):
                    if metadata.firstPosition > through { break scanning }
                    var content: UnsafeRawBufferPointer? = nil
                    if depth == .records && (checkChain || metadata.lastPosition >= from) {
                        let bytes = try decoder.load(file: file, offset: offset, metadata: metadata,
                                                     checkFrameChecksum: checkFrameChecksums)
                        content = bytes
                        if checkChain {
                            let next = ChainHash.next(previous: chain, batch: bytes)
                            guard next == metadata.chainHash else {
                                throw LogError.corrupt(file: file.path, offset: offset, position: metadata.firstPosition,
                                                       reason: "chain hash mismatch: stored \(metadata.chainHash.hexString), computed \(next.hexString)")
                            }
                            chain = next
                        }
                        if decodingRecords {
                            try decoder.decodeRecords(bytes, metadata: metadata, file: file.path, offset: offset,
                                                      from: from, through: through, onRecord)
                        }
                    }
                    try onBatch(index, offset, metadata, content)
                    summary.head = LogHead(position: metadata.lastPosition, chainHash: metadata.chainHash)
                    summary.recordCount += UInt64(metadata.recordCount)
                    summary.batchCount += 1
                    summary.uncompressedBytes += UInt64(metadata.uncompressedBytes)
                    expected = metadata.lastPosition + 1
                    offset += metadata.batchFileBytes
                    progress(bytesBefore + offset, bytesTotal)
                    if metadata.lastPosition >= through { break scanning }
                }
            }
            bytesBefore += size
        }
        return summary
    }

    /// The last position the last segment's batch metadata reaches (or a lower bound
    /// if it cannot be read): sizes the idempotency index before the full scan.
    func estimateRecordCount(segments: [SegmentEntry]) -> UInt64 {
        guard let last = segments.last else { return 0 }
        var estimate = last.firstPosition - 1
        guard let file = try? FileDescriptor.open(last.path, flags: O_RDONLY), let size = try? file.size() else {
            return estimate
        }
        var offset: UInt64 = 0
        while case .batch(let metadata)? = try? nextBatch(file: file, size: size, offset: offset, isLast: true,
                                                          expected: estimate + 1) {
            estimate = metadata.lastPosition
            offset += metadata.batchFileBytes
        }
        return estimate
    }

    /// Reads and checks the batch metadata at `offset` and classifies what follows:
    /// a complete batch, the end of the segment, or a torn tail (last segment only;
    /// anywhere else the same bytes are corruption).
    func nextBatch(file: FileDescriptor, size: UInt64, offset: UInt64, isLast: Bool, expected: UInt64) throws(LogError) -> BatchStep {
        precondition(offset <= size, "the scan stays inside the file")
        let remaining = size - offset
        func corrupt(_ reason: String) -> LogError {
            .corrupt(file: file.path, offset: offset, position: expected, reason: reason)
        }
        func torn(_ kind: TornTail.Kind) -> BatchStep {
            .torn(TornTail(file: file.path, offset: offset, bytes: remaining, position: expected, kind: kind))
        }
        if remaining == 0 {
            guard offset == 0 else { return .end }
            if isLast { return torn(.emptySegment) }
            throw corrupt("the segment file is empty")
        }
        let headBytes = Int(min(remaining, UInt64(BatchMetadata.byteCount)))
        let got = try file.read(into: metadataBuffer.base, count: headBytes, at: offset)
        guard got == headBytes else { throw corrupt("the file shrank while it was read") }
        let head = UnsafeRawBufferPointer(start: metadataBuffer.base, count: headBytes)
        if isAllZero(head), try restIsZero(file: file, from: offset + UInt64(headBytes), to: size) {
            if isLast { return torn(.zeroTail) }
            throw corrupt("zero bytes where a batch should start")
        }
        if headBytes < BatchMetadata.byteCount {
            if isLast { return torn(.endsInsideMetadata) }
            throw corrupt("the segment ends inside batch metadata")
        }
        let metadata: BatchMetadata
        switch BatchMetadata.decode(head) {
        case .success(let decoded): metadata = decoded
        case .failure(let problem): throw corrupt(problem.reason)
        }
        guard metadata.firstPosition == expected else {
            throw corrupt("the batch starts at position \(metadata.firstPosition), expected \(expected) (positions must be gapless)")
        }
        if remaining < metadata.batchFileBytes {
            if isLast { return torn(.endsInsideFrame) }
            throw corrupt("the segment ends inside the batch's \(metadata.frameBytes)-byte frame")
        }
        return .batch(metadata)
    }

    private func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte != 0 { return false }
        return true
    }

    private func restIsZero(file: FileDescriptor, from start: UInt64, to end: UInt64) throws(LogError) -> Bool {
        var offset = start
        while offset < end {
            let chunk = Int(min(end - offset, UInt64(zeroCheckBuffer.capacity)))
            let got = try file.read(into: zeroCheckBuffer.base, count: chunk, at: offset)
            guard got > 0 else { return true }
            if !isAllZero(UnsafeRawBufferPointer(start: zeroCheckBuffer.base, count: got)) { return false }
            offset += UInt64(got)
        }
        return true
    }
}

/// Reads one batch's frame, checks it and decompresses it into a reused buffer.
final class BatchDecoder {
    private let frameBuffer = ByteBuffer(capacity: 64 * 1_024)
    private let contentBuffer = ByteBuffer(capacity: 256 * 1_024)
    private let decompressor = ZstdDecompressor()

    /// The batch's uncompressed bytes, valid until the next call. Checks the frame's
    /// CRC-32C (unless `checkFrameChecksum` is false), that it is one zstd frame with a
    /// content checksum and the announced size, decompresses it (zstd checks the
    /// content checksum) and checks the header.
    func load(file: FileDescriptor, offset: UInt64, metadata: BatchMetadata,
              checkFrameChecksum: Bool = true) throws(LogError) -> UnsafeRawBufferPointer {
        let frameOffset = offset + UInt64(BatchMetadata.byteCount)
        func corrupt(_ reason: String) -> LogError {
            .corrupt(file: file.path, offset: frameOffset, position: metadata.firstPosition, reason: reason)
        }
        let frameBytes = Int(metadata.frameBytes)
        frameBuffer.ensureCapacity(discarding: frameBytes)
        let got = try file.read(into: frameBuffer.base, count: frameBytes, at: frameOffset)
        guard got == frameBytes else { throw corrupt("the file ends inside the frame") }
        let frame = UnsafeRawBufferPointer(start: frameBuffer.base, count: frameBytes)
        if checkFrameChecksum {
            let checksum = CRC32C.checksum(frame)
            guard checksum == metadata.frameChecksum else {
                throw corrupt("frame CRC-32C mismatch (stored 0x\(String(metadata.frameChecksum, radix: 16, uppercase: true)), computed 0x\(String(checksum, radix: 16, uppercase: true)))")
            }
        }
        let contentBytes = Int(metadata.uncompressedBytes)
        if let problem = ZstdDecompressor.frameProblem(frame, contentBytes: contentBytes) { throw corrupt(problem) }
        contentBuffer.ensureCapacity(discarding: contentBytes)
        if let problem = decompressor.decompress(frame, into: contentBuffer.base, contentBytes: contentBytes) {
            throw corrupt(problem)
        }
        let content = UnsafeRawBufferPointer(start: contentBuffer.base, count: contentBytes)
        if let problem = BatchHeader.problem(in: content, metadata: metadata) { throw corrupt(problem) }
        return content
    }

    /// Decodes every record of a batch, checking the framing, and passes those in
    /// `from...through` to `body` (the loop of `BatchRecords.forEach`).
    func decodeRecords(_ content: UnsafeRawBufferPointer, metadata: BatchMetadata, file: String, offset: UInt64,
                       from: UInt64, through: UInt64, _ body: (RecordView) throws -> Void) throws {
        try BatchRecords(content: content, metadata: metadata, file: file, offset: offset)
            .forEach(from: from, through: through, body)
    }
}
