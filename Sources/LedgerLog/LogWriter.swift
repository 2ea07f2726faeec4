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
/// With a gathering window (`LogOptions.commitGatherMicroseconds`), when the last flushes
/// were shared by n appenders the next leader first *gathers*: it waits, at most that
/// long, until n appenders are waiting, so that those the last flush released, staging
/// their next record, join this flush instead of the one after it.
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
    /// The hash of tenant+id that the idempotency index uses: hashes computed with it may be
    /// passed to `position(tenant:id:hash:)` and `stage(tenant:id:hash:...)` (computed ahead,
    /// on another thread).
    public let identityHasher: IdentityHasher

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
    /// How many callers of `waitUntilDurable` the next leader gathers before it flushes: at
    /// the end of each flush, the callers it covered or left waiting (its leader included),
    /// or one less than before if that is more. A flush that met only a few callers (a
    /// loaded machine) so does not make the next ones stop gathering; when appenders leave
    /// for good, the target comes down by one per flush.
    @exclusivity(unchecked) private var gatherTarget = 1
    /// Tasks in the async `waitUntilDurable`, resumed by the flush that covers them.
    @exclusivity(unchecked) private var asyncWaiters: [AsyncDurabilityWaiter] = []
    /// The leader while it gathers (nil otherwise): arrivals and `close` wake it.
    @exclusivity(unchecked) private var gatherer: DurabilityWaiter?
    /// The flush thread of async callers while it runs (its condition), else nil.
    @exclusivity(unchecked) private var flusher: DurabilityWaiter?
    /// Waiters marked woken at the end of a flush, signalled once the lock is released
    /// (`unlockAndSignal`): a thread signalled while the lock is held only wakes to block on it.
    @exclusivity(unchecked) private var wokenToSignal: [DurabilityWaiter] = []
    /// Async waiters to resume once the lock is released, with the error if any.
    @exclusivity(unchecked) private var toResume: [PendingResume] = []
    @exclusivity(unchecked) private var poison: LogError?
    @exclusivity(unchecked) private var isClosed = false
    @exclusivity(unchecked) private var index: IdempotencyIndex
    private var batches: BatchIndex
    private var segments: [SegmentEntry]
    private var syncs: UInt64 = 0
    private var flushNanoseconds: UInt64 = 0
    private var syncNanoseconds: UInt64 = 0

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
        self.identityHasher = index.hasher
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

    /// The part of `flushingNanoseconds` spent waiting for fdatasync (and the directory's
    /// fsync when a flush created a segment): the disk's own share of a commit.
    public var syncingNanoseconds: UInt64 { state.withLock { syncNanoseconds } }

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
        try stage(tenant: tenant, id: id, hash: identityHasher.hash(tenant: tenant, id: id), type: type, at: at,
                  actor: actor, payload: payload)
    }

    /// Phase 1 of an append with the key's hash computed ahead by `identityHasher` (it must be
    /// that hash: a wrong one would hide the record from `position`).
    /// `payloadTail`, when given, is the rest of the payload after `payload` (one payload in the
    /// record: a caller with it in two pieces need not join them first).
    public func stage(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, hash: UInt64, type: UInt16, at: Int64,
                      actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer,
                      payloadTail: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws(LogError) -> UInt64 {
        assert(hash == identityHasher.hash(tenant: tenant, id: id), "the hash of tenant+id is the index's")
        let encodedBytes = try RecordCodec.checkLimits(tenant: tenant.count, id: id.count, type: type,
                                                       actor: actor.count, payload: payload.count + payloadTail.count)
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
        records.append(tenant: tenant, id: id, type: type, at: at, actor: actor, payload: payload, payloadTail: payloadTail)
        stagedBytes += records.bytes.count - bytesBefore
        index.insert(hash: hash, position: position)
        lastStaged = position
        return position
    }

    /// How many records ahead `stage(_:range:sealed:)` prefetches index slots.
    static let indexPrefetchDistance = 8

    /// Encoded bytes staged and not yet durable (what `LogLimits.stagedBytesMax` bounds).
    public var stagedByteCount: Int { state.withLock { stagedBytes } }

    /// An empty run of records to encode now and stage later, placed after the last staged
    /// record: the caller must stage nothing else until it has staged them (see
    /// ``PendingRecords``).
    public func makePendingRecords() -> PendingRecords {
        state.withLock { PendingRecords(firstPosition: lastStaged + 1, baseAt: staged.lastAt) }
    }

    /// Stages the pending records at `range` (each gets the position it was made for) by
    /// copying their encoded bytes, and indexes them. With `sealed`, the flush writing them uses
    /// the batches it compressed ahead (see ``PendingSealer``). Returns the last one's position. The
    /// ranges staged must follow one another from 0, with nothing else staged in between:
    /// a violation is a programmer error and stops the process.
    ///
    /// Throws `stagingFull` (make the staged records durable first: nothing of `range` is
    /// staged then), `poisoned` or `closed`.
    public func stage(_ pending: PendingRecords, range: Range<Int>, sealed sealer: PendingSealer? = nil) throws(LogError) -> UInt64 {
        precondition(!range.isEmpty && range.upperBound <= pending.count, "a range of the pending records")
        let records = pending.records
        let start = records.range(ofRecordAt: range.lowerBound).lowerBound
        let byteCount = records.range(ofRecordAt: range.upperBound - 1).upperBound - start
        state.lock()
        defer { state.unlock() }
        try checkUsable()
        let first = pending.position(ofRecordAt: range.lowerBound)
        precondition(first == lastStaged + 1, "pending record \(range.lowerBound) is for position \(first), not \(lastStaged + 1)")
        precondition(records.previousAt(ofRecordAt: range.lowerBound) == staged.lastAt,
                     "pending records follow the last staged one's time")
        guard stagedBytes + byteCount <= LogLimits.stagedBytesMax else {
            throw .stagingFull(bytes: stagedBytes + byteCount, limit: LogLimits.stagedBytesMax)
        }
        let target = staged
        target.append(copiesOf: range, of: records)
        if let sealer { target.attach(sealer) }
        stagedBytes += byteCount
        // Room for every pending record still to come, at once.
        index.reserve(additional: pending.count - range.lowerBound)
        let hashes = pending.hashes
        for offset in range {
            // Each insert misses the caches; the slots of the next few are fetched meanwhile.
            if offset + Self.indexPrefetchDistance < range.upperBound {
                index.prefetch(hash: hashes[offset + Self.indexPrefetchDistance])
            }
            let position = records.firstPosition + UInt64(offset)
            assert(hashes[offset] == records.keyHash(at: position, with: identityHasher), "the hash of tenant+id is the index's")
            index.insert(hash: hashes[offset], position: position)
        }
        lastStaged = first + UInt64(range.count) - 1
        return lastStaged
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
        try position(tenant: tenant, id: id, hash: identityHasher.hash(tenant: tenant, id: id))
    }

    /// As `position(tenant:id:)`, with the key's hash computed ahead by `identityHasher`.
    public func position(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, hash: UInt64) throws(LogError) -> UInt64? {
        assert(hash == identityHasher.hash(tenant: tenant, id: id), "the hash of tenant+id is the index's")
        var found: UInt64?
        var durableCandidates: [(position: UInt64, location: BatchLocation, path: String)] = []
        try state.withLock { () throws(LogError) in
            try checkUsable()
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
        defer { unlockAndSignal() }
        precondition(position <= lastStaged, "position \(position) was never staged (last staged: \(lastStaged))")
        var waiter: DurabilityWaiter? = nil
        while true {
            try checkUsable()
            if durable.position >= position { return }
            if flushInProgress || gatherer != nil {
                let sleeper = waiter ?? DurabilityWaiter(position: position)
                waiter = sleeper
                sleeper.woken = false
                waiters.append(sleeper)
                wakeGathererIfComplete()
                while !sleeper.woken { state.wait(on: sleeper.condition) }
                continue
            }
            if gatherTarget > waitingCallers + 1 && options.commitGatherMicroseconds > 0 {
                let sleeper = waiter ?? DurabilityWaiter(position: position)
                waiter = sleeper
                gather(as: sleeper)
                try checkUsable()
            }
            try lead(byCaller: true)
        }
    }

    /// Phase 2 of an append for async code: suspends the task (never blocks its thread)
    /// until every record up to `position` is durable. The flushes are made by a thread of
    /// the writer's own (started on demand, ended after about 100 ms without work), or by a
    /// blocking caller's flush when one covers the position; concurrent tasks share syncs
    /// and gather as blocking callers do. Not cancellable: a staged record is made durable
    /// whatever becomes of the task.
    ///
    /// Throws `poisoned` (a flush failed: its I/O error is in the reason) or `closed`.
    public func waitUntilDurable(through position: UInt64) async throws(LogError) {
        do {
            let handedOver = try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<ResumeHandOver, any Error>) in
                state.lock()
                precondition(position <= lastStaged, "position \(position) was never staged (last staged: \(lastStaged))")
                if let error = unusableError {
                    state.unlock()
                    return continuation.resume(throwing: error)
                }
                if durable.position >= position {
                    state.unlock()
                    return continuation.resume(returning: ResumeHandOver())
                }
                asyncWaiters.append(AsyncDurabilityWaiter(position: position, continuation: continuation))
                wakeGathererIfComplete()
                var start: DurabilityWaiter?
                if let flusher {
                    if !flushInProgress && gatherer == nil { flusher.wake() }
                } else {
                    start = DurabilityWaiter(position: .max)
                    flusher = start
                }
                state.unlock()
                if let start { Self.startThread { self.runFlusher(start) } }
            }
            handedOver.resumeAll()
        } catch let error as LogError {
            throw error
        } catch {
            preconditionFailure("only LogError resumes a durability wait: \(error)")
        }
    }

    /// Whether the flush thread of async callers runs (for tests).
    var flushThreadIsRunning: Bool { state.withLock { flusher != nil } }

    /// Callers of `waitUntilDurable` waiting (blocking and async), the gatherer excepted.
    private var waitingCallers: Int { waiters.count + asyncWaiters.count }

    /// Callers waiting, counting a gatherer that is itself a caller (not the flush thread).
    private var gatheredCallers: Int { waitingCallers + (gatherer != nil && gatherer !== flusher ? 1 : 0) }

    /// Wakes the gatherer if `gatherTarget` callers are now waiting (lock held).
    private func wakeGathererIfComplete() {
        if let gatherer, gatheredCallers >= gatherTarget { gatherer.wake() }
    }

    /// The flush thread of async callers: flushes whenever async callers wait and no other
    /// flush runs or gathers (gathering first, as a blocking leader does); ends when the writer
    /// is closed or poisoned, or after about 100 ms without anything to flush.
    private func runFlusher(_ me: DurabilityWaiter) {
        state.lock()
        while poison == nil && !isClosed {
            if asyncWaiters.isEmpty || flushInProgress || gatherer != nil {
                me.woken = false
                let signalled = state.wait(on: me.condition, deadline: ConditionLock.monotonicNanoseconds() + 100_000_000)
                if !signalled && asyncWaiters.isEmpty && !flushInProgress && gatherer == nil { break }
                continue
            }
            if gatherTarget > waitingCallers && options.commitGatherMicroseconds > 0 {
                // No other flush can start meanwhile (arrivals see a gatherer and wait).
                gather(as: me)
                if poison != nil || isClosed { break }
            }
            // A failed flush poisons the writer; `wakeWaiters` has resumed every async waiter.
            do throws(LogError) { try lead(byCaller: false) } catch {}
            unlockAndSignal()  // resume the tasks made durable now, not when the thread ends
            state.lock()
        }
        flusher = nil
        unlockAndSignal()
    }

    /// Runs `body` on a new detached thread.
    private static func startThread(_ body: @escaping () -> Void) {
        final class Box { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }

    /// Before a flush (lock held, no flush running): waits until `gatherTarget` callers
    /// wait, or the gathering window is over, or the writer is closed. Meanwhile
    /// arrivals stage and wait as they would during a flush; the one that completes the
    /// count wakes the gatherer.
    private func gather(as sleeper: DurabilityWaiter) {
        let deadline = ConditionLock.monotonicNanoseconds() + UInt64(options.commitGatherMicroseconds) * 1_000
        gatherer = sleeper
        defer { gatherer = nil }
        while gatheredCallers < gatherTarget && poison == nil && !isClosed {
            if !state.wait(on: sleeper.condition, deadline: deadline) { return }
        }
    }

    /// At the end of a flush (lock held): marks woken the waiters it made durable, and one
    /// that it did not, to lead the next flush; everyone when the writer is poisoned or
    /// closed. They are signalled by `unlockAndSignal`.
    private func wakeWaiters() {
        let everyone = poison != nil || isClosed
        if everyone {
            for waiter in [gatherer, flusher] { if let waiter { markWoken(waiter) } }
        }
        resumeAsyncWaiters(everyone: everyone)
        guard !waiters.isEmpty else { return }
        // The next leader first: the sooner the next flush starts, the more syncs overlap
        // the staging of those just made durable.
        if !everyone && !flushInProgress,
           let next = waiters.firstIndex(where: { $0.position > durable.position }) {
            markWoken(waiters[next])
            waiters.remove(at: next)
        }
        var kept = 0
        for index in waiters.indices {
            let waiter = waiters[index]
            if everyone || waiter.position <= durable.position {
                markWoken(waiter)
            } else {
                waiters[kept] = waiter
                kept += 1
            }
        }
        waiters.removeLast(waiters.count - kept)
    }

    /// Part of `wakeWaiters`: queues for resumption the async waiters now durable (all of
    /// them, with the error, when `everyone`), and wakes the flush thread if some remain.
    private func resumeAsyncWaiters(everyone: Bool) {
        guard !asyncWaiters.isEmpty else { return }
        let error = everyone ? unusableError : nil
        var kept = 0
        for index in asyncWaiters.indices {
            let waiter = asyncWaiters[index]
            if everyone || waiter.position <= durable.position {
                toResume.append((waiter, error))
            } else {
                asyncWaiters[kept] = waiter
                kept += 1
            }
        }
        asyncWaiters.removeLast(asyncWaiters.count - kept)
        if kept > 0, !flushInProgress, let flusher {
            markWoken(flusher, first: true)
        }
    }

    /// Runs one flush as the leader; called and returns with the lock held. `byCaller`:
    /// the leader is a caller of `waitUntilDurable` (not the flush thread).
    private func lead(byCaller: Bool) throws(LogError) {
        precondition(!flushInProgress && flushing.count == 0, "one flush at a time")
        flushInProgress = true
        swap(&staged, &flushing)
        staged.removeAll(nextPosition: lastStaged + 1, baseAt: flushing.lastAt)
        let previous = durable
        let records = flushing
        let segmentCount = segments.count
        state.unlock()
        let result: Result<FlushResult, LogError>
        let began = ConditionLock.monotonicNanoseconds()
        do throws(LogError) {
            result = .success(try sealer.flush(records, after: previous, segmentCount: segmentCount))
        } catch {
            result = .failure(error)
        }
        let flushTook = ConditionLock.monotonicNanoseconds() &- began
        state.lock()
        flushNanoseconds &+= flushTook
        flushInProgress = false
        gatherTarget = max(waitingCallers + (byCaller ? 1 : 0), gatherTarget - 1)
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
            syncNanoseconds &+= flushed.syncNanoseconds
        case .failure(let error):
            poison = .poisoned(reason: error.description)
            throw error
        }
    }

    /// Marks `waiter` woken, to be signalled by `unlockAndSignal` (lock held).
    private func markWoken(_ waiter: DurabilityWaiter, first: Bool = false) {
        waiter.woken = true
        if first { wokenToSignal.insert(waiter, at: 0) } else { wokenToSignal.append(waiter) }
    }

    /// Releases the lock, then signals the waiters `wakeWaiters` marked.
    private func unlockAndSignal() {
        guard !wokenToSignal.isEmpty || !toResume.isEmpty else { return state.unlock() }
        var signalling: [DurabilityWaiter] = []
        swap(&signalling, &wokenToSignal)
        var resuming: [PendingResume] = []
        swap(&resuming, &toResume)
        state.unlock()
        for waiter in signalling { waiter.signal() }
        if resuming.isEmpty { return }
        if resuming.allSatisfy({ $0.error == nil }) {
            // Made durable: the first task resumes the others (ResumeHandOver), so that this
            // thread, the flush thread most often, goes on to the next flush at once.
            resuming[0].waiter.continuation.resume(returning: ResumeHandOver(resuming, from: 1))
            return
        }
        for (waiter, error) in resuming {
            if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume(returning: ResumeHandOver()) }
        }
    }

    private func checkUsable() throws(LogError) {
        if let error = unusableError { throw error }
    }

    /// `poisoned` or `closed` when the writer is, else nil (lock held).
    private var unusableError: LogError? {
        if let poison { return poison }
        return isClosed ? .closed : nil
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
        unlockAndSignal()
        if wasClosed { return }
        sealer.close()
        lockFile.close()
    }
}
