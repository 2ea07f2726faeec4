/// Compresses the batches an import's pending records will be written as, ahead of the flushes
/// that write them and on whichever threads ask: a helper thread compresses batches in order
/// while the importing thread stages and writes the earlier parts, and helps with the part it
/// needs next instead of waiting. A flush then copies each frame instead of compressing it
/// (compression was most of an import's writing step, and ran on two threads only while
/// everything else of it ran on one).
///
/// The cuts are the flush's own (`BatchSealer.cutBatches` over each part, as a flush of exactly
/// that part cuts it), and a frame is used only for a batch of the same first position, record
/// count, size and base time, so the bytes written are those a flush compresses itself. A flush
/// whose records differ (others were staged before the part) compresses as usual.
///
/// ```swift
/// let sealer = try PendingSealer(pending: pending, parts: parts, options: log.options)
/// DispatchQueue.global().async { sealer.help() }
/// for (part, range) in parts.enumerated() {
///     try sealer.complete(part: part)            // compresses what the helper has not taken
///     _ = try log.stage(pending, range: range, sealed: sealer)
///     try log.waitUntilDurable(through: ...)     // the flush copies the frames
/// }
/// sealer.stop()
/// ```
public final class PendingSealer: @unchecked Sendable {
    /// One batch to compress: its cut over the pending records, and its frame once made.
    struct Batch {
        var cut: BatchSealer.BatchCut
        var firstPosition: UInt64
        var baseAt: Int64
        /// Where the frame goes in `frameMemory` (room for the compression bound).
        var frameOffset: Int
        var frameBytes = 0
        var checksum: UInt32 = 0
    }

    private let records: StagedRecords
    private let options: LogOptions
    private var batches: [Batch] = []
    /// How many batches the parts are cut into.
    var batchCount: Int { batches.count }
    /// The index in `batches` just past each part's batches.
    private let partEnds: [Int]
    private let frameMemory: UnsafeMutableRawPointer
    private let frameMemoryBytes: Int
    private let lock = ConditionLock()
    /// Guarded by `lock`: the next batch to claim, which are done, the first failure, and
    /// whether the helper should stop.
    private var nextToClaim = 0
    private var isDone: [Bool]
    private var failure: LogError?
    private var isStopped = false
    /// Frames handed to flushes so far (for tests).
    private(set) var framesUsed = 0
    /// The importing thread's compressor and batch buffer (the helper makes its own).
    private let callerCompressor: ZstdCompressor
    private let callerBuffer = ByteBuffer(capacity: 1 << 20)

    /// Plans the batches of `parts` (consecutive ranges of `pending`, each to be staged and
    /// flushed alone) as `options` cuts them.
    public init(pending: PendingRecords, parts: [Range<Int>], options: LogOptions) throws(LogError) {
        records = pending.records
        self.options = options
        var ends: [Int] = []
        var offset = 0
        for part in parts {
            for cut in BatchSealer.cutBatches(records, range: part, options: options) {
                batches.append(Batch(cut: cut, firstPosition: records.firstPosition + UInt64(cut.records.lowerBound),
                                     baseAt: records.previousAt(ofRecordAt: cut.records.lowerBound), frameOffset: offset))
                offset += ZstdCompressor.bound(cut.contentBytes)
            }
            ends.append(batches.count)
        }
        partEnds = ends
        // Address space for every bound; only the pages the frames fill are ever touched.
        frameMemoryBytes = max(offset, 1)
        frameMemory = UnsafeMutableRawPointer.allocate(byteCount: frameMemoryBytes, alignment: 16)
        isDone = Array(repeating: false, count: batches.count)
        callerCompressor = try ZstdCompressor(options: options)
    }

    deinit { frameMemory.deallocate() }

    /// A helper thread's work: compresses unclaimed batches in order until every batch is
    /// claimed, `stop()` is called, or a compression fails (the failure is reported to
    /// `complete(part:)`).
    public func help() {
        let compressor: ZstdCompressor
        do throws(LogError) {
            compressor = try ZstdCompressor(options: options)
        } catch {
            lock.lock()
            failure = failure ?? error
            lock.broadcast()
            lock.unlock()
            return
        }
        let buffer = ByteBuffer(capacity: 1 << 20)
        lock.lock()
        while !isStopped && failure == nil && nextToClaim < batches.count {
            let index = nextToClaim
            nextToClaim += 1
            compressLocked(index, compressor: compressor, buffer: buffer)
        }
        lock.unlock()
    }

    /// Stops the helper after the batch it is compressing.
    public func stop() {
        lock.lock()
        isStopped = true
        lock.unlock()
    }

    /// Returns once every batch of `part` is compressed: compresses here those the helper has
    /// not claimed, then waits for the ones it has. Throws the first compression failure.
    public func complete(part: Int) throws(LogError) {
        let end = partEnds[part]
        lock.lock()
        defer { lock.unlock() }
        while nextToClaim < end && failure == nil {
            let index = nextToClaim
            nextToClaim += 1
            compressLocked(index, compressor: callerCompressor, buffer: callerBuffer)
        }
        let start = part == 0 ? 0 : partEnds[part - 1]
        while failure == nil && !isDone[start..<end].allSatisfy({ $0 }) { lock.wait() }
        if let failure { throw failure }
    }

    /// The frame compressed ahead for the batch starting at `firstPosition`, if one of that
    /// many records, size and base time is done.
    func frame(firstPosition: UInt64, recordCount: Int, contentBytes: Int, baseAt: Int64)
        -> (frame: UnsafeRawBufferPointer, checksum: UInt32)?
    {
        lock.lock()
        defer { lock.unlock() }
        // Batches are in position order: a binary search finds the one starting there.
        var low = 0
        var high = batches.count
        while low < high {
            let middle = (low + high) / 2
            if batches[middle].firstPosition < firstPosition { low = middle + 1 } else { high = middle }
        }
        guard low < batches.count, isDone[low] else { return nil }
        let batch = batches[low]
        guard batch.firstPosition == firstPosition, batch.cut.records.count == recordCount,
              batch.cut.contentBytes == contentBytes, batch.baseAt == baseAt
        else { return nil }
        framesUsed += 1
        return (UnsafeRawBufferPointer(start: frameMemory + batch.frameOffset, count: batch.frameBytes), batch.checksum)
    }

    /// Compresses batch `index` (claimed by the caller) with the lock released meanwhile.
    /// Caller holds the lock.
    private func compressLocked(_ index: Int, compressor: ZstdCompressor, buffer: ByteBuffer) {
        let batch = batches[index]
        lock.unlock()
        BatchSealer.assembleBatch(records, batch.cut, in: buffer)
        let start = frameMemory + batch.frameOffset
        let result: Result<Int, LogError>
        do throws(LogError) {
            result = .success(try compressor.compress(buffer.bytes, into: start, capacity: ZstdCompressor.bound(batch.cut.contentBytes)))
        } catch {
            result = .failure(error)
        }
        var checksum: UInt32 = 0
        if case .success(let bytes) = result {
            precondition(bytes <= LogLimits.frameBytesMax, "a frame stays within the format's limit")
            checksum = CRC32C.checksum(UnsafeRawBufferPointer(start: start, count: bytes))
        }
        lock.lock()
        switch result {
        case .success(let bytes):
            batches[index].frameBytes = bytes
            batches[index].checksum = checksum
            isDone[index] = true
        case .failure(let error):
            failure = failure ?? error
        }
        lock.broadcast()
    }
}
