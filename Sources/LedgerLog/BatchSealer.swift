import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one flush made durable.
struct FlushResult {
    var head: LogHead
    var batches: [BatchLocation] = []
    var createdSegments: [SegmentEntry] = []
    /// Wall-clock nanoseconds spent in fdatasync/fsync calls (the rest of the flush is
    /// cutting, hashing, compressing and writing).
    var syncNanoseconds: UInt64 = 0
}

/// The flush leader's machinery: cuts staged records into batches, hashes, compresses,
/// checksums and writes them, rolls segments, and syncs. Used by one leader at a time
/// (the writer guarantees it), so its buffers and zstd contexts are reused unguarded.
///
/// A flush of several batches compresses them on two threads (the leader's and one of
/// Dispatch's), each with its own zstd context, since compression is most of a large flush's
/// time; the cuts, the hash chain and the bytes written are the same as on one thread.
final class BatchSealer {
    /// A flush writes its buffer out whenever it grows past this, bounding its memory.
    private static let writeChunkBytes = 8 * 1_024 * 1_024
    /// Threads compressing a flush of several batches.
    static let compressingThreads = 2
    /// The compressed frames of one flush are made at most this many batches at a time
    /// (their bound, about 1 MiB each, is held in `frameBuffer`), bounding its memory.
    private static let framesAtOnceMax = 16

    private let directory: String
    private let options: LogOptions
    /// Compressing threads of this sealer (`compressingThreads` unless a test says otherwise).
    private let threads: Int
    /// One per compressing thread (a zstd context is not thread-safe), each with the buffer
    /// it assembles a batch's bytes in (header, then records).
    private let compressors: [ZstdCompressor]
    private let batchBuffers: [ByteBuffer]
    /// The frames of the batches being compressed, each at its own offset.
    private let frameBuffer = ByteBuffer(capacity: 1 << 20)
    private let headerBuffer = ByteBuffer(capacity: BatchHeader.byteCount)
    private let writeBuffer = ByteBuffer(capacity: 1 << 20)
    /// The segment batches are appended to, and its size (nil before the first segment).
    private var segment: FileDescriptor?
    private var segmentSize: UInt64 = 0

    init(directory: String, options: LogOptions) throws(LogError) {
        self.directory = directory
        self.options = options
        threads = options.compressingThreadsForTesting ?? Self.compressingThreads
        var compressors: [ZstdCompressor] = []
        for _ in 0..<threads { compressors.append(try ZstdCompressor(options: options)) }
        self.compressors = compressors
        self.batchBuffers = (0..<threads).map { _ in ByteBuffer(capacity: 1 << 20) }
    }

    /// Appends to an existing segment (the last one, found on open).
    func continueSegment(path: String) throws(LogError) {
        let file = try FileDescriptor.open(path, flags: O_WRONLY)
        segmentSize = try file.size()
        segment = file
    }

    func close() {
        segment?.close()
        segment = nil
    }

    /// Writes `records` (positions `after.position + 1...`) as batches after the head
    /// `after`, and makes them durable: the segments written are fdatasynced, and the
    /// directory fsynced if a segment was created. `segmentCount` is how many segments
    /// the log had before (the current one is the last).
    func flush(_ records: StagedRecords, after head: LogHead, segmentCount: Int) throws(LogError) -> FlushResult {
        precondition(records.count > 0, "a flush writes records")
        precondition(records.firstPosition == head.position + 1, "the flush continues the durable head")
        precondition((segment == nil) == (segmentCount == 0), "the current segment is the log's last")
        var result = FlushResult(head: head)
        var chain = head.chainHash
        var writeStart = segmentSize
        var segmentDirty = false
        var directoryDirty = false
        writeBuffer.removeAll()
        let cuts = cutBatches(records)
        var framed = 0
        while framed < cuts.count {
            let group = framed..<min(framed + Self.framesAtOnceMax, cuts.count)
            let frames = try compressFrames(records, cuts[group])
            for (cut, frame) in zip(cuts[group], frames) {
                let firstPosition = records.firstPosition + UInt64(cut.records.lowerBound)
                let recordCount = UInt32(cut.records.count)
                headerBuffer.removeAll()
                BatchHeader.encode(firstPosition: firstPosition, recordCount: recordCount,
                                   baseAt: records.previousAt(ofRecordAt: cut.records.lowerBound), at: headerBuffer.base)
                headerBuffer.count = BatchHeader.byteCount
                chain = ChainHash.next(previous: chain, batch: headerBuffer.bytes, continued: Self.recordBytes(records, cut))

                let metadataOffset = writeBuffer.count
                writeBuffer.reserve(BatchMetadata.byteCount + frame.bytes)
                let frameStart = writeBuffer.base + metadataOffset + BatchMetadata.byteCount
                frameStart.copyMemory(from: frameBuffer.base + frame.offset, byteCount: frame.bytes)
                let metadata = BatchMetadata(
                    firstPosition: firstPosition, recordCount: recordCount, uncompressedBytes: UInt32(cut.contentBytes),
                    frameBytes: UInt32(frame.bytes), frameChecksum: frame.checksum, chainHash: chain)
                metadata.encode(at: writeBuffer.base + metadataOffset)
                writeBuffer.count = metadataOffset + BatchMetadata.byteCount + frame.bytes
                let batchFileBytes = UInt64(BatchMetadata.byteCount + frame.bytes)

                // Roll to a new segment if this batch would carry a non-empty one past its maximum.
                let segmentBytesBefore = writeStart + UInt64(metadataOffset)
                let batchOffset: UInt64
                if segment == nil || (segmentBytesBefore > 0 && segmentBytesBefore + batchFileBytes > options.segmentBytesMax) {
                    if let current = segment {
                        if metadataOffset > 0 {
                            try current.write(UnsafeRawBufferPointer(start: writeBuffer.base, count: metadataOffset), at: writeStart)
                            segmentDirty = true
                        }
                        // The old segment must be durable before a newer one exists, or a crash
                        // could leave a torn batch in a segment that is no longer the last.
                        if segmentDirty && options.synchronous {
                            try Self.timed(&result) { () throws(LogError) in try current.synchronizeData() }
                        }
                        current.close()
                    }
                    let path = LedgerDirectory.path(directory, LedgerDirectory.segmentName(firstPosition: firstPosition))
                    segment = try FileDescriptor.open(path, flags: O_WRONLY | O_CREAT | O_EXCL)
                    segmentSize = 0
                    result.createdSegments.append(SegmentEntry(firstPosition: firstPosition, path: path))
                    directoryDirty = true
                    segmentDirty = false
                    memmove(writeBuffer.base, writeBuffer.base + metadataOffset, Int(batchFileBytes))
                    writeBuffer.count = Int(batchFileBytes)
                    writeStart = 0
                    batchOffset = 0
                } else {
                    batchOffset = segmentBytesBefore
                }
                result.batches.append(BatchLocation(segmentIndex: segmentCount - 1 + result.createdSegments.count,
                                                    offset: batchOffset, firstPosition: firstPosition))
                if writeBuffer.count >= Self.writeChunkBytes {
                    try segment!.write(writeBuffer.bytes, at: writeStart)
                    writeStart += UInt64(writeBuffer.count)
                    writeBuffer.removeAll()
                    segmentDirty = true
                }
            }
            framed = group.upperBound
        }
        if writeBuffer.count > 0 {
            try segment!.write(writeBuffer.bytes, at: writeStart)
            writeStart += UInt64(writeBuffer.count)
            segmentDirty = true
        }
        segmentSize = writeStart
        if options.synchronous {
            if segmentDirty { try Self.timed(&result) { () throws(LogError) in try segment!.synchronizeData() } }
            if directoryDirty { try Self.timed(&result) { () throws(LogError) in try FileSystem.synchronizeDirectory(directory) } }
        }
        result.head = LogHead(position: records.lastPosition, chainHash: chain)
        return result
    }

    /// Runs a sync, adding its wall-clock time to the flush's `syncNanoseconds`.
    private static func timed(_ result: inout FlushResult, _ sync: () throws(LogError) -> Void) throws(LogError) {
        let began = ConditionLock.monotonicNanoseconds()
        try sync()
        result.syncNanoseconds &+= ConditionLock.monotonicNanoseconds() &- began
    }

    /// One batch of a flush: which staged records, and its uncompressed size (header included).
    struct BatchCut {
        var records: Range<Int>
        var contentBytes: Int
    }

    /// Where a batch's compressed frame is in `frameBuffer`, and the frame's checksum.
    struct Frame {
        var offset: Int
        var bytes: Int
        var checksum: UInt32
    }

    /// Cuts `records` into batches: records are taken while they fit the batch limits (a lone
    /// large record gets a batch of its own).
    private func cutBatches(_ records: StagedRecords) -> [BatchCut] {
        Self.cutBatches(records, range: 0..<records.count, options: options)
    }

    /// Cuts the records at `range` of `records` into batches as a flush of exactly them does
    /// (`PendingSealer` compresses an import's batches ahead with the same cuts).
    static func cutBatches(_ records: StagedRecords, range: Range<Int>, options: LogOptions) -> [BatchCut] {
        var cuts: [BatchCut] = []
        var index = range.lowerBound
        while index < range.upperBound {
            var end = index + 1
            var contentBytes = BatchHeader.byteCount + records.range(ofRecordAt: index).count
            while end < range.upperBound && end - index < options.batchRecordsMax {
                let next = records.range(ofRecordAt: end).count
                if contentBytes + next > options.batchBytesMax { break }
                contentBytes += next
                end += 1
            }
            precondition(contentBytes <= LogLimits.batchBytesMax, "a batch stays within the format's limit")
            cuts.append(BatchCut(records: index..<end, contentBytes: contentBytes))
            index = end
        }
        return cuts
    }

    /// The staged bytes of the records of `cut`.
    static func recordBytes(_ records: StagedRecords, _ cut: BatchCut) -> UnsafeRawBufferPointer {
        let start = records.range(ofRecordAt: cut.records.lowerBound).lowerBound
        let stop = records.range(ofRecordAt: cut.records.upperBound - 1).upperBound
        return records.bytes.bytes(from: start, count: stop - start)
    }

    /// Assembles the batch of `cut` (header, records) in `buffer`, as the data frame holds it
    /// once decompressed.
    static func assembleBatch(_ records: StagedRecords, _ cut: BatchCut, in buffer: ByteBuffer) {
        buffer.removeAll()
        buffer.reserve(cut.contentBytes)
        BatchHeader.encode(firstPosition: records.firstPosition + UInt64(cut.records.lowerBound),
                           recordCount: UInt32(cut.records.count),
                           baseAt: records.previousAt(ofRecordAt: cut.records.lowerBound), at: buffer.base)
        buffer.count = BatchHeader.byteCount
        buffer.append(recordBytes(records, cut))
        precondition(buffer.count == cut.contentBytes, "the batch holds exactly its records")
    }


    /// Compresses each batch of `cuts` into a frame of `frameBuffer` (its previous contents are
    /// discarded), on `threads` threads when there are several: thread t takes
    /// batches t, t + threads, ... with its own context and batch buffer.
    private func compressFrames(_ records: StagedRecords, _ cuts: ArraySlice<BatchCut>) throws(LogError) -> [Frame] {
        var frames: [Frame] = []
        frames.reserveCapacity(cuts.count)
        var offset = 0
        for cut in cuts {
            let bound = ZstdCompressor.bound(cut.contentBytes)
            frames.append(Frame(offset: offset, bytes: 0, checksum: 0))
            offset += bound
        }
        frameBuffer.removeAll()
        frameBuffer.reserve(offset)
        frameBuffer.count = offset
        let threads = min(self.threads, cuts.count)
        var failures = [LogError?](repeating: nil, count: threads)
        frames.withUnsafeMutableBufferPointer { frames in
            failures.withUnsafeMutableBufferPointer { failures in
                let job = CompressionJob(sealer: self, records: records, cuts: cuts, frames: frames, failures: failures,
                                         threads: threads)
                if threads == 1 {
                    job.run(thread: 0)
                } else {
                    DispatchQueue.concurrentPerform(iterations: threads) { job.run(thread: $0) }
                }
            }
        }
        if let failure = failures.first(where: { $0 != nil }) { throw failure! }
        return frames
    }

    /// The batches of one `compressFrames` call, shared by its threads: thread t writes only
    /// `frames[t]`, `frames[t + threads]`, ... and `failures[t]`, and uses only the context
    /// and batch buffer of index t, so nothing is touched by two threads (hence unchecked).
    private struct CompressionJob: @unchecked Sendable {
        let sealer: BatchSealer
        let records: StagedRecords
        let cuts: ArraySlice<BatchCut>
        let frames: UnsafeMutableBufferPointer<Frame>
        let failures: UnsafeMutableBufferPointer<LogError?>
        let threads: Int

        func run(thread: Int) {
            var index = thread
            while index < frames.count {
                do throws(LogError) {
                    try sealer.compressBatch(records, cuts[cuts.startIndex + index], thread: thread, into: &frames[index])
                } catch {
                    failures[thread] = error
                    return
                }
                index += threads
            }
        }
    }

    /// Assembles the batch of `cut` (header, records) in the thread's buffer and compresses it
    /// into its frame's room in `frameBuffer`.
    fileprivate func compressBatch(_ records: StagedRecords, _ cut: BatchCut, thread: Int, into frame: inout Frame) throws(LogError) {
        let start = frameBuffer.base + frame.offset
        let firstPosition = records.firstPosition + UInt64(cut.records.lowerBound)
        if let sealed = records.precompressedFrame(firstPosition: firstPosition, recordCount: cut.records.count,
                                                   contentBytes: cut.contentBytes,
                                                   baseAt: records.previousAt(ofRecordAt: cut.records.lowerBound)) {
            // Compressed ahead from the same batch bytes (an import's `PendingSealer`).
            start.copyMemory(from: sealed.frame.baseAddress!, byteCount: sealed.frame.count)
            frame.bytes = sealed.frame.count
            frame.checksum = sealed.checksum
            return
        }
        let batchBuffer = batchBuffers[thread]
        Self.assembleBatch(records, cut, in: batchBuffer)
        let bound = ZstdCompressor.bound(cut.contentBytes)
        frame.bytes = try compressors[thread].compress(batchBuffer.bytes, into: start, capacity: bound)
        precondition(frame.bytes <= LogLimits.frameBytesMax, "a frame stays within the format's limit")
        frame.checksum = CRC32C.checksum(UnsafeRawBufferPointer(start: start, count: frame.bytes))
    }
}
