import Dispatch

/// Batches read from disk and decompressed on a second thread while the calling thread
/// decodes and consumes the previous ones (`LogReader.forEach(from:through:readingAhead:_:)`):
/// in a replay, zstd takes about as long as decoding and folding, so the two overlap.
///
/// A ring of `slotCount` buffers: the reading thread fills slot `produced % slotCount` once
/// the consumer has released it, the consumer decodes slot `consumed % slotCount` once it is
/// filled. The counters, the end and the failure are guarded by `lock`; a slot's buffer and
/// batch belong to whichever side the counters give it to, so no byte is touched by both.
final class ReadAheadRing: @unchecked Sendable {
    static let slotCount = 4

    /// Where a slot's batch comes from, for the consumer's record decoding and its errors.
    struct Batch {
        var metadata: BatchMetadata
        var file: String
        var offset: UInt64
    }

    /// Thrown inside the reading thread's scan when the consumer has stopped.
    private struct Stopped: Error {}

    let segments: [SegmentEntry]
    let from: UInt64
    let through: UInt64
    private let buffers = (0..<ReadAheadRing.slotCount).map { _ in ByteBuffer(capacity: 1 << 20) }
    private var batches = [Batch?](repeating: nil, count: ReadAheadRing.slotCount)
    private let lock = ConditionLock()
    private let done = DispatchGroup()
    // Guarded by `lock`.
    private var produced = 0
    private var consumed = 0
    private var finished = false
    private var failure: (any Error)?
    private var stopped = false

    init(segments: [SegmentEntry], from: UInt64, through: UInt64) {
        self.segments = segments
        self.from = from
        self.through = through
    }

    /// Starts the reading thread.
    func start() {
        done.enter()
        DispatchQueue(label: "ledger.log.read-ahead").async { [self] in
            produce()
            done.leave()
        }
    }

    /// The reading thread: scans the batches in range (checks and decompression as
    /// `LogReader.forEach` does them), copying each into the next free slot.
    private func produce() {
        let scanner = LogScanner()
        var error: (any Error)?
        do {
            _ = try scanner.scan(segments: segments, from: from, through: through, depth: .records, checkChain: false,
                                 checkFrameChecksums: false, decodingRecords: false,
                                 onBatch: { segmentIndex, offset, metadata, content in
                                     guard let content else { return }
                                     try self.fill(content, Batch(metadata: metadata, file: self.segments[segmentIndex].path,
                                                                  offset: offset))
                                 })
        } catch is Stopped {
        } catch let thrown {
            error = thrown
        }
        lock.lock()
        finished = true
        failure = error
        lock.broadcast()
        lock.unlock()
    }

    private func fill(_ content: UnsafeRawBufferPointer, _ batch: Batch) throws {
        lock.lock()
        while produced - consumed == Self.slotCount && !stopped { lock.wait() }
        let isStopped = stopped
        let slot = produced % Self.slotCount
        lock.unlock()
        if isStopped { throw Stopped() }
        let buffer = buffers[slot]
        buffer.ensureCapacity(discarding: content.count)
        buffer.base.copyMemory(from: content.baseAddress!, byteCount: content.count)
        buffer.count = content.count
        batches[slot] = batch
        lock.lock()
        produced += 1
        lock.broadcast()
        lock.unlock()
    }

    /// The calling thread: decodes each batch's records in order and passes those in range
    /// to `body`; then throws what the reading thread met, if anything (after the records of
    /// every batch before it, as a one-thread scan does). Stops the reading thread and waits
    /// for it before returning or throwing, whatever `body` throws.
    func consume(_ body: (RecordView) throws -> Void) throws {
        try consumeBatches { try $0.forEach(from: from, through: through, body) }
    }

    /// The calling thread: passes each batch read ahead to `body`, in order (its bytes valid
    /// during the call); then throws what the reading thread met, as `consume` does.
    func consumeBatches(_ body: (BatchRecords) throws -> Void) throws {
        defer {
            lock.lock()
            stopped = true
            lock.broadcast()
            lock.unlock()
            done.wait()
        }
        while true {
            lock.lock()
            while consumed == produced && !finished { lock.wait() }
            if consumed == produced {
                let failure = failure
                lock.unlock()
                if let failure { throw failure }
                return
            }
            let slot = consumed % Self.slotCount
            lock.unlock()
            let batch = batches[slot]!
            try body(BatchRecords(content: buffers[slot].bytes, metadata: batch.metadata, file: batch.file, offset: batch.offset))
            lock.lock()
            consumed += 1
            lock.broadcast()
            lock.unlock()
        }
    }
}
