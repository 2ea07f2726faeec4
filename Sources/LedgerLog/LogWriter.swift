#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one writer of a ledger directory: assigns positions, keeps the idempotency
/// index, and makes records durable in batches with group commit.
///
/// Appending is two-phase. `stage` (the caller serialises its calls) assigns the next
/// position, encodes the record into memory and indexes its tenant+id; it never waits
/// on I/O. `waitUntilDurable(through:)` returns once every record up to a position is
/// on disk: the first caller to arrive becomes the leader and writes *everything*
/// staged so far (split into batches) with one fdatasync; callers arriving meanwhile
/// wait and are usually covered by that flush, so concurrent appenders share syncs.
///
/// ```swift
/// let writer = try LogWriter.open(directory: path, create: true)
/// let position = try writer.stage(NewRecord(tenant: Array("acme".utf8), id: Array("e-1".utf8),
///                                           type: 7, at: 1_772_619_300_000_000,
///                                           actor: Array("u-admin".utf8), payload: bytes))
/// try writer.waitUntilDurable(through: position)   // now acknowledged
/// ```
///
/// Failure: an I/O error while flushing *poisons* the writer: the flush's leader gets
/// the error, and every later call (`stage`, `waitUntilDurable`, lookups) throws
/// `LogError.poisoned`. Records staged but never made durable are lost with the
/// writer, positions included: the caller must rebuild its state by reopening the
/// ledger, which cuts any torn tail and continues after the last complete batch.
///
/// Thread safety: every method may be called from any thread; `stage` calls must be
/// serialised by the caller (positions are assigned in call order).
public final class LogWriter: @unchecked Sendable {
    /// The ledger directory.
    public let directory: String
    /// The options the writer was opened with.
    public let options: LogOptions
    /// What was cut on open (a torn tail left by a crash), if anything.
    public let recovery: RecoveryReport?

    private let lockFile: FileDescriptor
    /// Guards every `var` below down to the leader-owned ones, and signals the end of a flush.
    private let state = ConditionLock()

    // Guarded by `state`. The lock is what keeps accesses exclusive, so the hot ones
    // skip Swift's dynamic exclusivity checks (measured: a few percent of `stage`).
    private var durable: LogHead
    @exclusivity(unchecked) private var lastStaged: UInt64
    /// Records after `flushing`, up to `lastStaged`.
    @exclusivity(unchecked) private var staged: StagedRecords
    /// Records the leader is writing (empty when no flush runs). Only read meanwhile.
    @exclusivity(unchecked) private var flushing: StagedRecords
    /// Encoded bytes in `staged` and `flushing`.
    @exclusivity(unchecked) private var stagedBytes = 0
    private var flushInProgress = false
    /// Callers of `waitUntilDurable` asleep until a flush covers them or makes them the
    /// next leader; each has a condition of its own, so the end of a flush wakes only
    /// those it made durable and one other to lead the next flush, not every waiter.
    @exclusivity(unchecked) private var waiters: [DurabilityWaiter] = []
    @exclusivity(unchecked) private var poison: LogError?
    @exclusivity(unchecked) private var isClosed = false
    @exclusivity(unchecked) private var index: IdempotencyIndex
    private var batches: BatchIndex
    private var segments: [SegmentEntry]
    private var syncs: UInt64 = 0
    private var flushNanoseconds: UInt64 = 0

    // Owned by the flush leader (one flush at a time).
    let sealer: BatchSealer

    // Guarded by `disk`: reading durable records back.
    private let disk = ConditionLock()
    private let fetcher = RecordFetcher()

    private init(directory: String, options: LogOptions, recovery: RecoveryReport?, lockFile: FileDescriptor,
                 head: LogHead, index: consuming IdempotencyIndex, batches: BatchIndex, segments: [SegmentEntry],
                 sealer: BatchSealer) {
        self.directory = directory
        self.options = options
        self.recovery = recovery
        self.lockFile = lockFile
        self.durable = head
        self.lastStaged = head.position
        self.staged = StagedRecords(firstPosition: head.position + 1)
        self.flushing = StagedRecords(firstPosition: head.position + 1)
        self.index = index
        self.batches = batches
        self.segments = segments
        self.sealer = sealer
    }

    deinit { close() }

    /// Opens a ledger directory for writing.
    ///
    /// Takes the directory's lock (`LogError.locked` after about 100 ms of retries if
    /// another writer holds it: a child process being spawned holds copies of its parent's
    /// descriptors until it execs, so a reopen right after `close` while another thread
    /// spawns a process may find the lock briefly held), checks the whole log (every
    /// checksum, the hash chain, positions, framing),
    /// rebuilds the idempotency index, and cuts a torn tail left by a crash (see
    /// `recovery`). Anything else that does not check out throws `LogError.corrupt`.
    ///
    /// - Parameters:
    ///   - create: create the ledger if the directory is missing or empty.
    ///   - onRecord: called with every record during the opening scan, so a caller can
    ///     rebuild its own state in the same pass over the log.
    public static func open(directory: String, options: LogOptions = .init(), create: Bool = false,
                            onRecord: ((RecordView) throws -> Void)? = nil) throws -> LogWriter {
        try options.validate()
        if !FileSystem.isDirectory(directory) {
            guard create else { throw LogError.notALedger(directory: directory, reason: "no such directory") }
            try FileSystem.createDirectories(directory)
            try FileSystem.synchronizeDirectory(FileSystem.parentDirectory(directory))
        }
        // Check before creating LOCK, so that a directory that is no ledger is left untouched.
        let formatPath = LedgerDirectory.path(directory, LedgerDirectory.formatFileName)
        if !FileSystem.exists(formatPath) {
            guard create else { throw LogError.notALedger(directory: directory, reason: "no \(LedgerDirectory.formatFileName) file") }
            guard try LedgerDirectory.isEmptyForCreation(directory) else {
                throw LogError.notALedger(directory: directory, reason: "the directory is not empty and holds no ledger")
            }
        } else {
            try LedgerDirectory.checkFormat(directory)
        }
        let lockFile = try FileDescriptor.open(LedgerDirectory.path(directory, LedgerDirectory.lockFileName),
                                               flags: O_RDWR | O_CREAT)
        // A process being spawned by another thread holds copies of this process's descriptors
        // (the LOCK of a writer just closed among them) until it execs: a few retries over
        // about 100 ms tell that moment from a writer that really holds the lock.
        var locked = try lockFile.tryLockExclusive()
        var retries = 0
        while !locked && retries < 10 {
            usleep(10_000)
            retries += 1
            locked = try lockFile.tryLockExclusive()
        }
        guard locked else { throw LogError.locked(directory: directory) }
        // Under the lock: another writer may have created the ledger meanwhile.
        if !FileSystem.exists(formatPath) {
            guard try LedgerDirectory.isEmptyForCreation(directory) else {
                throw LogError.notALedger(directory: directory, reason: "the directory is not empty and holds no ledger")
            }
            try LedgerDirectory.writeFormatFile(directory)
        }
        try LedgerDirectory.checkFormat(directory)

        var segments = try LedgerDirectory.segments(in: directory)
        let scanner = LogScanner()
        var index = IdempotencyIndex(expectedCount: Int(scanner.estimateRecordCount(segments: segments)),
                                     hashBits: options.keyHashBitsForTesting)
        var batches = BatchIndex()
        let summary = try scanner.scan(
            segments: segments, depth: .records, checkChain: true,
            onBatch: { segmentIndex, offset, metadata, _ in
                batches.append(firstPosition: metadata.firstPosition, segmentIndex: segmentIndex, offset: offset)
            },
            onRecord: { record in
                index.insert(hash: index.hash(tenant: record.tenant, id: record.id), position: record.position)
                try onRecord?(record)
            })

        var recovery: RecoveryReport?
        if let tail = summary.tornTail {
            guard options.cutTornTail else { throw LogError.torn(tail) }
            recovery = try cut(tail, options: options)
            if recovery!.segmentRemoved { segments.removeLast() }
        }
        let sealer = try BatchSealer(directory: directory, options: options)
        if let last = segments.last { try sealer.continueSegment(path: last.path) }
        return LogWriter(directory: directory, options: options, recovery: recovery, lockFile: lockFile,
                         head: summary.head, index: index, batches: batches, segments: segments, sealer: sealer)
    }

    /// Cuts a torn tail: truncates the segment to the tail's offset (removes it when
    /// nothing would remain) and makes that durable.
    private static func cut(_ tail: TornTail, options: LogOptions) throws(LogError) -> RecoveryReport {
        if tail.offset == 0 {
            try FileSystem.remove(tail.file)
            try FileSystem.synchronizeDirectory(FileSystem.parentDirectory(tail.file))
            return RecoveryReport(tornTail: tail, segmentRemoved: true)
        }
        let file = try FileDescriptor.open(tail.file, flags: O_WRONLY)
        try file.truncate(to: tail.offset)
        try file.synchronizeData()
        return RecoveryReport(tornTail: tail, segmentRemoved: false)
    }

    /// The last durable position and its chain hash.
    public var durableHead: LogHead { state.withLock { durable } }

    /// The last position assigned by `stage` (equal to the durable head's after open).
    public var lastStagedPosition: UInt64 { state.withLock { lastStaged } }

    /// How many flushes have written and synced records (each one fdatasync, or none
    /// when `options.synchronous` is false). Fewer than appends under group commit.
    public var syncCount: UInt64 { state.withLock { syncs } }

    /// Wall-clock nanoseconds spent inside flushes (encode, compress, write, fdatasync) since
    /// open: compared with elapsed time, how busy group commit keeps the disk.
    public var flushingNanoseconds: UInt64 { state.withLock { flushNanoseconds } }

    /// Bytes the idempotency index occupies (for memory accounting).
    public var indexBytes: Int { state.withLock { index.bytes } }

    /// Phase 1 of an append: assigns the next position and buffers the record.
    /// Cheap (no I/O); the caller serialises calls. The record is not durable until
    /// `waitUntilDurable(through:)` returns for its position.
    ///
    /// Throws `recordTooLarge`, `stagingFull` (wait until durable first), `poisoned` or `closed`.
    public func stage(_ record: NewRecord) throws -> UInt64 {
        try record.tenant.withUnsafeBytes { tenant in
            try record.id.withUnsafeBytes { id in
                try record.actor.withUnsafeBytes { actor in
                    try record.payload.withUnsafeBytes { payload in
                        try stage(tenant: tenant, id: id, type: record.type, at: record.at, actor: actor, payload: payload)
                    }
                }
            }
        }
    }

    /// Phase 1 of an append from borrowed bytes (no allocation once warmed up).
    public func stage(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, type: UInt16, at: Int64,
                      actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws(LogError) -> UInt64 {
        let encodedBytes = try RecordCodec.checkLimits(tenant: tenant.count, id: id.count, type: type,
                                                       actor: actor.count, payload: payload.count)
        state.lock()
        defer { state.unlock() }
        try checkUsable()
        guard stagedBytes + encodedBytes <= LogLimits.stagedBytesMax else {
            throw .stagingFull(bytes: stagedBytes + encodedBytes, limit: LogLimits.stagedBytesMax)
        }
        let position = lastStaged + 1
        let records = staged
        precondition(records.firstPosition + UInt64(records.count) == position, "staged records are contiguous")
        let bytesBefore = records.bytes.count
        records.append(tenant: tenant, id: id, type: type, at: at, actor: actor, payload: payload)
        stagedBytes += records.bytes.count - bytesBefore
        index.insert(hash: index.hash(tenant: tenant, id: id), position: position)
        lastStaged = position
        return position
    }

    /// The lowest position holding a record with this tenant and id (byte for byte),
    /// durable or staged, or nil.
    public func position(tenant: [UInt8], id: [UInt8]) throws -> UInt64? {
        try tenant.withUnsafeBytes { tenant in
            try id.withUnsafeBytes { id in try position(tenant: tenant, id: id) }
        }
    }

    /// The lowest position holding a record with this tenant and id, or nil.
    ///
    /// The index holds hashes only: each hash match is confirmed by comparing the
    /// record's bytes (in memory when staged, else read back from disk), so a hash
    /// collision never returns a wrong position.
    public func position(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) throws(LogError) -> UInt64? {
        var found: UInt64?
        var durableCandidates: [(position: UInt64, location: BatchLocation, path: String)] = []
        try state.withLock { () throws(LogError) in
            try checkUsable()
            let hash = index.hash(tenant: tenant, id: id)
            index.forEachCandidate(hash: hash) { position in
                if position <= durable.position {
                    let location = batches.locate(position)
                    durableCandidates.append((position, location, segments[location.segmentIndex].path))
                } else if found.map({ position < $0 }) ?? true {
                    let records = flushing.contains(position) ? flushing : staged
                    if records.hasKey(at: position, tenant: tenant, id: id) { found = position }
                }
            }
        }
        if durableCandidates.isEmpty { return found }
        durableCandidates.sort { $0.position < $1.position }
        return try disk.withLock { () throws(LogError) -> UInt64? in
            for candidate in durableCandidates {
                let matches = try fetcher.withRecord(at: candidate.position, location: candidate.location,
                                                     segmentPath: candidate.path) { record in
                    record.tenant.elementsEqual(tenant) && record.id.elementsEqual(id)
                }
                if matches { return candidate.position }
            }
            return found
        }
    }

    /// The record at `position`, staged or durable.
    public func record(at position: UInt64) throws(LogError) -> LogRecord {
        var inMemory: LogRecord?
        var onDisk: (location: BatchLocation, path: String)?
        try state.withLock { () throws(LogError) in
            try checkUsable()
            guard position >= 1 && position <= lastStaged else {
                throw .positionOutOfRange(position: position, head: lastStaged)
            }
            if position <= durable.position {
                let location = batches.locate(position)
                onDisk = (location, segments[location.segmentIndex].path)
            } else {
                inMemory = (flushing.contains(position) ? flushing : staged).view(at: position).materialize()
            }
        }
        if let inMemory { return inMemory }
        return try disk.withLock { () throws(LogError) -> LogRecord in
            try fetcher.withRecord(at: position, location: onDisk!.location, segmentPath: onDisk!.path) { $0.materialize() }
        }
    }

    /// Phase 2 of an append: returns once every record up to `position` is durable
    /// (written and fdatasynced). Group commit: if no flush is running, the caller
    /// becomes the leader and flushes everything staged; otherwise it waits for the
    /// running flush and then checks again. Thread-safe.
    ///
    /// Throws the I/O error that failed the flush (the leader), `poisoned` (anyone after
    /// a failed flush) or `closed`.
    public func waitUntilDurable(through position: UInt64) throws(LogError) {
        state.lock()
        defer { state.unlock() }
        precondition(position <= lastStaged, "position \(position) was never staged (last staged: \(lastStaged))")
        var waiter: DurabilityWaiter? = nil
        while true {
            try checkUsable()
            if durable.position >= position { return }
            if flushInProgress {
                let sleeper = waiter ?? DurabilityWaiter(position: position)
                waiter = sleeper
                sleeper.woken = false
                waiters.append(sleeper)
                while !sleeper.woken { state.wait(on: sleeper.condition) }
                continue
            }
            try lead()
        }
    }

    /// At the end of a flush (lock held): wakes the waiters it made durable, and one that
    /// it did not, to lead the next flush; everyone when the writer is poisoned or closed.
    private func wakeWaiters() {
        guard !waiters.isEmpty else { return }
        let everyone = poison != nil || isClosed
        // The next leader first: the sooner the next flush starts, the more syncs overlap
        // the staging of those just made durable.
        if !everyone && !flushInProgress,
           let next = waiters.firstIndex(where: { $0.position > durable.position }) {
            waiters[next].wake()
            waiters.remove(at: next)
        }
        var kept = 0
        for index in waiters.indices {
            let waiter = waiters[index]
            if everyone || waiter.position <= durable.position {
                waiter.wake()
            } else {
                waiters[kept] = waiter
                kept += 1
            }
        }
        waiters.removeLast(waiters.count - kept)
    }

    /// Runs one flush as the leader; called and returns with the lock held.
    private func lead() throws(LogError) {
        precondition(!flushInProgress && flushing.count == 0, "one flush at a time")
        flushInProgress = true
        swap(&staged, &flushing)
        staged.removeAll(nextPosition: lastStaged + 1, baseAt: flushing.lastAt)
        let previous = durable
        let records = flushing
        let segmentCount = segments.count
        state.unlock()
        let result: Result<FlushResult, LogError>
        let began = Self.monotonicNanoseconds()
        do throws(LogError) {
            result = .success(try sealer.flush(records, after: previous, segmentCount: segmentCount))
        } catch {
            result = .failure(error)
        }
        let flushTook = Self.monotonicNanoseconds() &- began
        state.lock()
        flushNanoseconds &+= flushTook
        flushInProgress = false
        state.broadcast()
        defer { wakeWaiters() }
        switch result {
        case .success(let flushed):
            for created in flushed.createdSegments { segments.append(created) }
            for batch in flushed.batches {
                batches.append(firstPosition: batch.firstPosition, segmentIndex: batch.segmentIndex, offset: batch.offset)
            }
            durable = flushed.head
            stagedBytes -= flushing.bytes.count
            flushing.removeAll(nextPosition: flushed.head.position + 1, baseAt: 0)
            syncs += 1
        case .failure(let error):
            poison = .poisoned(reason: error.description)
            throw error
        }
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    private func checkUsable() throws(LogError) {
        if let poison { throw poison }
        if isClosed { throw .closed }
    }

    /// Closes the writer and releases the directory lock. Waits for a running flush;
    /// records staged but not yet durable are discarded. Later calls throw `closed`.
    public func close() {
        state.lock()
        while flushInProgress { state.wait() }
        let wasClosed = isClosed
        isClosed = true
        state.broadcast()
        wakeWaiters()
        state.unlock()
        if wasClosed { return }
        sealer.close()
        lockFile.close()
    }
}

/// One sleeping caller of `waitUntilDurable`: its position and its own condition variable
/// (used with the writer's `state` mutex). `woken` is set under that mutex.
final class DurabilityWaiter {
    let position: UInt64
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    var woken = false

    init(position: UInt64) {
        self.position = position
        let result = pthread_cond_init(condition, nil)
        precondition(result == 0, "pthread_cond_init failed: \(result)")
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Marks it woken and signals it; the writer's `state` lock must be held.
    func wake() {
        woken = true
        let result = pthread_cond_signal(condition)
        precondition(result == 0, "pthread_cond_signal failed: \(result)")
    }
}
