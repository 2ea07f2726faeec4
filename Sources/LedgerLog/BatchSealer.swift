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
}

/// The flush leader's machinery: cuts staged records into batches, hashes, compresses,
/// checksums and writes them, rolls segments, and syncs. Used by one leader at a time
/// (the writer guarantees it), so its buffers and zstd context are reused unguarded.
final class BatchSealer {
    /// A flush writes its buffer out whenever it grows past this, bounding its memory.
    private static let writeChunkBytes = 8 * 1_024 * 1_024

    private let directory: String
    private let options: LogOptions
    private let compressor: ZstdCompressor
    private let batchBuffer = ByteBuffer(capacity: 1 << 20)
    private let writeBuffer = ByteBuffer(capacity: 1 << 20)
    /// The segment batches are appended to, and its size (nil before the first segment).
    private var segment: FileDescriptor?
    private var segmentSize: UInt64 = 0

    init(directory: String, options: LogOptions) throws(LogError) {
        self.directory = directory
        self.options = options
        self.compressor = try ZstdCompressor(level: options.compressionLevel)
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
        var index = 0
        while index < records.count {
            // Take records while they fit the batch limits (a lone large record gets its own batch).
            var end = index + 1
            var contentBytes = BatchHeader.byteCount + records.range(ofRecordAt: index).count
            while end < records.count && end - index < options.batchRecordsMax {
                let next = records.range(ofRecordAt: end).count
                if contentBytes + next > options.batchBytesMax { break }
                contentBytes += next
                end += 1
            }
            precondition(contentBytes <= LogLimits.batchBytesMax, "a batch stays within the format's limit")
            let firstPosition = records.firstPosition + UInt64(index)
            let recordCount = UInt32(end - index)

            batchBuffer.removeAll()
            batchBuffer.reserve(contentBytes)
            BatchHeader.encode(firstPosition: firstPosition, recordCount: recordCount,
                               baseAt: records.previousAt(ofRecordAt: index), at: batchBuffer.base)
            batchBuffer.count = BatchHeader.byteCount
            let start = records.range(ofRecordAt: index).lowerBound
            let stop = records.range(ofRecordAt: end - 1).upperBound
            batchBuffer.append(records.bytes.bytes(from: start, count: stop - start))
            precondition(batchBuffer.count == contentBytes, "the batch holds exactly its records")
            chain = ChainHash.next(previous: chain, batch: batchBuffer.bytes)

            // Compress straight into the write buffer, after room for the metadata.
            let bound = ZstdCompressor.bound(contentBytes)
            let metadataOffset = writeBuffer.count
            writeBuffer.reserve(BatchMetadata.byteCount + bound)
            let frameStart = writeBuffer.base + metadataOffset + BatchMetadata.byteCount
            let frameBytes = try compressor.compress(batchBuffer.bytes, into: frameStart, capacity: bound)
            precondition(frameBytes <= LogLimits.frameBytesMax, "a frame stays within the format's limit")
            let metadata = BatchMetadata(
                firstPosition: firstPosition, recordCount: recordCount, uncompressedBytes: UInt32(contentBytes),
                frameBytes: UInt32(frameBytes),
                frameChecksum: CRC32C.checksum(UnsafeRawBufferPointer(start: frameStart, count: frameBytes)),
                chainHash: chain)
            metadata.encode(at: writeBuffer.base + metadataOffset)
            writeBuffer.count = metadataOffset + BatchMetadata.byteCount + frameBytes
            let batchFileBytes = UInt64(BatchMetadata.byteCount + frameBytes)

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
                    if segmentDirty && options.synchronous { try current.synchronizeData() }
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
            index = end
        }
        if writeBuffer.count > 0 {
            try segment!.write(writeBuffer.bytes, at: writeStart)
            writeStart += UInt64(writeBuffer.count)
            segmentDirty = true
        }
        segmentSize = writeStart
        if options.synchronous {
            if segmentDirty { try segment!.synchronizeData() }
            if directoryDirty { try FileSystem.synchronizeDirectory(directory) }
        }
        result.head = LogHead(position: records.lastPosition, chainHash: chain)
        return result
    }
}
