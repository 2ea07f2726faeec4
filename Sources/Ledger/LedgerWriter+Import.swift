import CPrefetch
import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// How an import treats refused lines.
public enum ImportMode: Sendable {
    /// All or nothing: if any line is refused, nothing is appended (the default).
    case atomic
    /// Appends every line that is accepted and reports the refused ones.
    case skipRefused
}

/// The outcome of one non-blank line of an import. Lines are numbered from 1 by
/// physical line (split on `\n`); blank lines get no outcome.
public struct LineOutcome: Sendable, Hashable {
    public var line: Int
    public var outcome: AppendOutcome
    public init(line: Int, outcome: AppendOutcome) {
        self.line = line
        self.outcome = outcome
    }
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var mode: ImportMode
    /// Non-blank lines read.
    public var lines = 0
    public var blankLines = 0
    public var appended = 0
    public var duplicates = 0
    public var refused: [RefusalCode: Int] = [:]
    public var refusedCount: Int { refused.values.reduce(0, +) }
    /// True when lines were accepted but nothing was written because the import is
    /// atomic and some line was refused.
    public var rolledBack = false
    /// Every line's outcome, in file order (when asked for).
    public var outcomes: [LineOutcome] = []
    /// The refused lines (number and refusal), in file order, at most `refusalsKeptMax`.
    public var refusals: [(line: Int, refusal: Refusal)] = []
    public var headBefore: UInt64 = 0
    public var headAfter: UInt64 = 0
    public var bytesRead = 0
    /// Wall-clock seconds of the import: reading, judging and making its events durable.
    public var seconds: Double = 0
    /// Wall-clock seconds spent afterwards on the automatic snapshots that came due
    /// (``LedgerOptions/snapshotEveryEvents``); 0 when none did.
    public var snapshotSeconds: Double = 0
}

extension LedgerWriter {
    /// How many refused lines a summary keeps in `refusals` (the report file and the
    /// rejects callback see all of them).
    public static let refusalsKeptMax = 1_000
    /// In `skipRefused` mode, appended events are made durable at least this often.
    static let importSyncEventsMax = 65_536
    /// Most encoded bytes an import stages before making them durable (a quarter of the log's
    /// staging limit; a single larger record is staged alone).
    static let importStagingBytesMaxDefault = LogLimits.stagedBytesMax / 4
    /// Fewer pending records than this are compressed by the flushes themselves, not ahead
    /// (a batch append of a few thousand events is one or two batches).
    static let sealAheadRecordsMin = 16_384
    /// An import sizes its tables for lines of at least this many bytes (they grow for more).
    static let importLineBytesTypicalMin = 100

    /// Imports a JSON Lines file (EVENTS.md section 1) through the rules.
    ///
    /// - Parameters:
    ///   - path: the file; `-` is not special here (the CLI handles stdin).
    ///   - mode: `.atomic` (default) appends nothing when any line is refused.
    ///   - keepOutcomes: collect every line's outcome in the summary (for `--report`).
    ///   - rejected: called for each refused line with its number, its bytes and the refusal.
    ///   - progress: called now and then with (bytes done, bytes total).
    public func importFile(
        path: String,
        mode: ImportMode = .atomic,
        keepOutcomes: Bool = false,
        rejected: ((Int, UnsafeRawBufferPointer, Refusal) -> Void)? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> ImportSummary {
        if let mapped = MappedInput(path: path) {
            defer { mapped.unmap() }
            return try importLines(mapped.bytes, mode: mode, keepOutcomes: keepOutcomes, rejected: rejected, progress: progress)
        }
        // Not a regular file that maps (a pipe, say): read it whole. (Foundation's
        // `Data(contentsOf:)` refuses a named pipe, claiming a permission problem.)
        let bytes = try MappedInput.readWhole(path: path)
        return try bytes.withUnsafeBytes { bytes in
            try importLines(bytes, mode: mode, keepOutcomes: keepOutcomes, rejected: rejected, progress: progress)
        }
    }

    /// Imports JSON Lines held in memory. See ``importFile(path:mode:keepOutcomes:rejected:progress:)``.
    public func importLines(
        _ bytes: UnsafeRawBufferPointer,
        mode: ImportMode = .atomic,
        keepOutcomes: Bool = false,
        rejected: ((Int, UnsafeRawBufferPointer, Refusal) -> Void)? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> ImportSummary {
        let started = DispatchTime.now().uptimeNanoseconds
        var summary = ImportSummary(mode: mode)
        summary.bytesRead = bytes.count
        var recorder = OutcomeRecorder(keepOutcomes: keepOutcomes, rejected: rejected)
        switch mode {
        case .atomic:
            try importAtomically(bytes, summary: &summary, recorder: &recorder, progress: progress)
        case .skipRefused:
            try importSkippingRefused(bytes, summary: &summary, recorder: &recorder, progress: progress)
        }
        summary.outcomes = recorder.outcomes
        summary.refusals = recorder.refusals
        let imported = DispatchTime.now().uptimeNanoseconds
        summary.seconds = Double(imported - started) / 1e9
        // Snapshots due now are the writer's upkeep, timed apart from the import itself.
        try snapshotIfDue(durableThrough: summary.headAfter)
        summary.snapshotSeconds = Double(DispatchTime.now().uptimeNanoseconds - imported) / 1e9
        return summary
    }

    private func importSkippingRefused(
        _ bytes: UnsafeRawBufferPointer, summary: inout ImportSummary,
        recorder: inout OutcomeRecorder, progress: ((Int, Int) -> Void)?
    ) throws {
        summary.headBefore = log.durableHead.position
        var lines = ParsedLinesAhead(bytes, hasher: log.identityHasher)
        defer { lines.finish() }
        var stagedSinceSync = 0
        lock.lock()
        var locked = true
        defer { if locked { lock.unlock() } }
        while let line = lines.nextEventLine(counting: &summary) {
            let outcome = try line.judged { try stageLocked($0, hash: line.hash) }
            summary.count(outcome)
            recorder.record(line: line.number, bytes: line.bytes, outcome: outcome)
            if case .appended = outcome {
                stagedSinceSync += 1
                // Durable every so many events, or bytes: the log's staging limit must never
                // refuse the next one (large events would reach it long before the count).
                if stagedSinceSync >= Self.importSyncEventsMax || log.stagedByteCount >= importStagingBytesMax {
                    let through = log.lastStagedPosition
                    lock.unlock()
                    locked = false
                    try log.waitUntilDurable(through: through)
                    progress?(lines.offset, bytes.count)
                    lock.lock()
                    locked = true
                    stagedSinceSync = 0
                }
            }
        }
        let through = log.lastStagedPosition
        lock.unlock()
        locked = false
        try log.waitUntilDurable(through: through)
        progress?(bytes.count, bytes.count)
        summary.headAfter = log.durableHead.position
    }

    /// Two steps: judge every line against a copy of the state (and an overlay index
    /// of this import's own lines), encoding each accepted one as the log's record at once;
    /// then, only if none was refused, stage those records (a copy of their bytes).
    private func importAtomically(
        _ bytes: UnsafeRawBufferPointer, summary: inout ImportSummary,
        recorder: inout OutcomeRecorder, progress: ((Int, Int) -> Void)?
    ) throws {
        lock.lock()
        var locked = true
        defer { if locked { lock.unlock() } }
        summary.headBefore = log.lastStagedPosition
        var trial = state
        // The accepted events as the log's records, encoded now: holding the events instead
        // (and encoding them after judging) copied each one twice more, retaining its strings,
        // and took three times the memory.
        let pending = log.makePendingRecords()
        // Sized up front for about as many lines as the input likely holds (lines of over 100
        // bytes: an event line is rarely shorter), so that neither the overlay nor the records
        // are re-placed or copied as they grow; more lines make them grow. (Counting the lines
        // first read the whole input on this thread before parsing started: 35 ms per 1M lines.)
        // Past 1 GiB the buffer grows as it fills: an address space reserved for a huge input
        // could be refused outright, and the copies of doubling are a small share there.
        let linesExpected = bytes.count / Self.importLineBytesTypicalMin + 16
        pending.reserve(records: linesExpected, bytes: min(bytes.count, 1 << 30))
        var overlay = PendingIdentities(capacityFor: linesExpected)
        var linesSinceProgress = 0
        var lines = ParsedLinesAhead(bytes, hasher: log.identityHasher)
        defer { lines.finish() }
        while let line = lines.nextEventLine(counting: &summary) {
            // The next line's slot arrives from memory while this line is judged.
            if let next = lines.nextHash { overlay.prefetch(hash: next) }
            let outcome = try line.judged { event in
                try judgePending(event, hash: line.hash, state: &trial, pending: pending, overlay: &overlay)
            }
            summary.count(outcome)
            recorder.record(line: line.number, bytes: line.bytes, outcome: outcome)
            linesSinceProgress += 1
            if linesSinceProgress >= 65_536 {
                linesSinceProgress = 0
                // Judging is the first half of an atomic import's work; staging the second.
                progress?(lines.offset / 2, bytes.count)
            }
        }
        if summary.refusedCount > 0 {
            summary.rolledBack = summary.appended > 0
            summary.headAfter = summary.headBefore
            return
        }
        // Every line is judged; now write. Staged records are made durable every
        // `importSyncEventsMax` events or `importStagingBytesMax` bytes so that staging stays bounded: a crash in the middle
        // leaves a prefix of this import in the log, and re-running the import appends the
        // rest (the prefix reads as duplicates).
        // The flushes stay on this thread: a flush seals everything staged, so flushing
        // while staging would cut batches (and so the chain hash) by timing.
        try stagePendingLocked(pending) { staged in
            progress?(bytes.count / 2 + bytes.count / 2 * staged / pending.count, bytes.count)
        }
        state = trial
        let through = log.lastStagedPosition
        lock.unlock()
        locked = false
        try log.waitUntilDurable(through: through)
        progress?(bytes.count, bytes.count)
        summary.headAfter = log.durableHead.position
    }

    /// Stages judged records in parts of at most `importSyncEventsMax` records and
    /// `importStagingBytesMax` bytes, making each part but the last durable before the next
    /// (`afterPart` gets the records staged so far). Bounding the parts by bytes too means the
    /// log's staging limit never refuses one: a refusal after earlier parts were made durable
    /// would leave them in the log but not in the state. When there are several batches to
    /// write, they are compressed ahead (`PendingSealer`): a helper thread compresses the
    /// next parts' batches while this one stages and writes the current part, and this one
    /// compresses what the helper has not reached before staging a part; the flushes copy the
    /// frames. Caller holds `lock`.
    func stagePendingLocked(_ pending: PendingRecords, afterPart: (Int) -> Void = { _ in }) throws {
        var parts: [Range<Int>] = []
        var start = 0
        while start < pending.count {
            let end = pending.end(ofRunFrom: start, recordsMax: Self.importSyncEventsMax, bytesMax: importStagingBytesMax)
            parts.append(start..<end)
            start = end
        }
        var sealer: PendingSealer? = nil
        if pending.count >= Self.sealAheadRecordsMin {
            let planned = try PendingSealer(pending: pending, parts: parts, options: log.options)
            DispatchQueue.global().async { planned.help() }
            sealer = planned
        }
        defer { sealer?.stop() }
        for (index, part) in parts.enumerated() {
            try sealer?.complete(part: index)
            let position = try log.stage(pending, range: part, sealed: sealer)
            if index < parts.count - 1 {
                try log.waitUntilDurable(through: position)
                afterPart(part.upperBound)
            }
        }
    }

    /// An atomic import's judgement of one parsed event: a duplicate or conflict of the log
    /// or of the import's earlier lines, a refusal of the rules, or accepted: applied to
    /// `state` and encoded into `pending`. Caller holds `lock`.
    func judgePending(_ event: EncodedEvent, hash: UInt64, state: inout DomainState, pending: PendingRecords,
                      overlay: inout PendingIdentities) throws -> AppendOutcome {
        if let existing = try log.position(tenant: event.tenant, id: event.id, hash: hash) {
            let (stored, _) = try LedgerCodec.decode(try log.record(at: existing))
            return LedgerCodec.sameIdOutcome(event.event(), stored: stored, position: existing)
        }
        if let earlier = overlay.first(hash: hash, where: { pending.hasKey(at: $0, tenant: event.tenant, id: event.id) }) {
            let stored = try pending.withRecord(at: earlier) { try LedgerCodec.decode($0).0 }
            return LedgerCodec.sameIdOutcome(event.event(), stored: stored, position: pending.position(ofRecordAt: earlier))
        }
        // `state` is the caller's local copy (not a class's property), so these calls work on
        // it in place.
        switch state.decide(event) {
        case .failure(let refusal):
            return .refused(refusal)
        case .success(let decision):
            let index = pending.count
            // The payload is the effect, then the fields the parser encoded: two pieces, not joined.
            payloadScratch.removeAll(keepingCapacity: true)
            state.encodeEffect(of: decision, type: event.type, into: &payloadScratch)
            try payloadScratch.withUnsafeBytes { effect in
                try pending.append(tenant: event.tenant, id: event.id, hash: hash, type: UInt16(event.type.rawValue),
                                   at: event.at.microseconds, actor: event.actor, payload: effect, payloadTail: event.fields)
            }
            state.apply(event, decision)
            overlay.insert(hash: hash, index: index)
            return .appended(position: pending.position(ofRecordAt: index))
        }
    }
}

extension LineSplitter {
    /// The next non-blank line, parsed; counts lines and blank lines in `summary`.
    mutating func nextEventLine(counting summary: inout ImportSummary) -> (Int, UnsafeRawBufferPointer, Result<Event, Refusal>)? {
        while let (lineNumber, line) = next() {
            if EventLineParser.isBlank(line) {
                summary.blankLines += 1
                continue
            }
            summary.lines += 1
            return (lineNumber, line, EventLineParser.parse(line))
        }
        return nil
    }
}

/// An atomic import's accepted events by tenant+id, before they are staged: an
/// open-addressing table (linear probing) of the log's identity hashes, computed on the
/// parsing thread, and indexes into the import's pending events. It stores no keys: the
/// caller confirms a hash match by comparing names. (A `Dictionary` keyed by the two names
/// hashed both strings again with SipHash on the judging thread: a tenth of its time.)
struct PendingIdentities {
    /// 0: empty; else the pending index + 1.
    private var slots: [(hash: UInt64, indexPlusOne: Int)]
    private var mask: Int
    private var count = 0

    /// Room for `count` entries at a load of at most three quarters before it grows.
    init(capacityFor count: Int) {
        var capacity = 16
        while capacity / 4 * 3 < count { capacity *= 2 }
        slots = Array(repeating: (0, 0), count: capacity)
        mask = capacity - 1
    }

    /// The index stored under `hash` for which `matches` holds, or nil. (A key is inserted
    /// once at most: a second line with it is a duplicate or a conflict, never pending.)
    func first(hash: UInt64, where matches: (Int) -> Bool) -> Int? {
        var slot = Self.start(hash) & mask
        while slots[slot].indexPlusOne != 0 {
            if slots[slot].hash == hash, matches(slots[slot].indexPlusOne - 1) { return slots[slot].indexPlusOne - 1 }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Asks the processor to fetch the first slot `hash` probes: the table (32 MB for 1M lines)
    /// is larger than the caches, and the look-up waiting on memory for it took about a seventh
    /// of the judging thread's samples.
    func prefetch(hash: UInt64) {
        let slot = Self.start(hash) & mask
        slots.withUnsafeBufferPointer { ledger_prefetch($0.baseAddress! + slot) }
    }

    mutating func insert(hash: UInt64, index: Int) {
        if count + 1 > slots.count / 4 * 3 { grow() }
        Self.place((hash, index + 1), in: &slots, mask: mask)
        count += 1
    }

    /// Doubles the slots, placing every entry again by its hash.
    private mutating func grow() {
        var grown = Array(repeating: (hash: UInt64(0), indexPlusOne: 0), count: slots.count * 2)
        let grownMask = grown.count - 1
        for entry in slots where entry.indexPlusOne != 0 { Self.place(entry, in: &grown, mask: grownMask) }
        slots = grown
        mask = grownMask
    }

    private static func place(_ entry: (hash: UInt64, indexPlusOne: Int), in slots: inout [(hash: UInt64, indexPlusOne: Int)], mask: Int) {
        var slot = start(entry.hash) & mask
        while slots[slot].indexPlusOne != 0 { slot = (slot + 1) & mask }
        slots[slot] = entry
    }

    /// The hash's bits spread over the low ones (tests truncate hashes to force collisions).
    private static func start(_ hash: UInt64) -> Int {
        var value = hash &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
        return Int(truncatingIfNeeded: value)
    }
}

/// A regular file mapped read-only, for reading once from start to end. (Foundation's
/// `Data(contentsOf:options: .alwaysMapped)` copied the whole file here: 7 % of an import.)
struct MappedInput {
    let bytes: UnsafeRawBufferPointer
    private let address: UnsafeMutableRawPointer

    /// Nil when the path is not a regular file, is empty, or cannot be mapped (the caller reads it instead).
    init?(path: String) {
        // Checked before opening: opening a pipe would block until a writer comes, and
        // closing it again would cut that writer off.
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        // Nothing to map in an empty file (and a file of the kernel's, under /proc, says 0
        // however much it holds): the caller reads it until its end instead.
        let size = Int(status.st_size)
        guard size > 0 else { return nil }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else { return nil }
        _ = madvise(mapped, size, MADV_SEQUENTIAL)
        bytes = UnsafeRawBufferPointer(start: mapped, count: size)
        address = mapped
    }

    func unmap() {
        munmap(address, bytes.count)
    }

    /// Reads a file of any kind until its end.
    static func readWhole(path: String) throws -> [UInt8] {
        func failure(_ action: String) -> LedgerError {
            .file(path: path, reason: "cannot read: \(action) failed: \(String(cString: strerror(errno)))")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure("read")
            }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<got])
        }
    }
}

/// Splits JSON Lines on `\n`, numbering lines from 1 by physical line.
struct LineSplitter {
    let bytes: UnsafeRawBufferPointer
    /// Byte offset of the next line's start.
    private(set) var offset = 0
    private var lineNumber = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// How many lines `next()` returns in all (blank ones included).
    func countLines() -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        var count = 0
        var start = 0
        while start < bytes.count, let found = memchr(base + start, 0x0A, bytes.count - start) {
            count += 1
            start = base.distance(to: UnsafeRawPointer(found)) + 1
        }
        return start < bytes.count ? count + 1 : count
    }

    mutating func next() -> (Int, UnsafeRawBufferPointer)? {
        guard offset < bytes.count else { return nil }
        lineNumber += 1
        let start = offset
        var end = start
        if let base = bytes.baseAddress,
           let found = memchr(base + start, 0x0A, bytes.count - start) {
            end = base.distance(to: UnsafeRawPointer(found))
            offset = end + 1
        } else {
            end = bytes.count
            offset = bytes.count
        }
        return (lineNumber, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }
}

/// Collects outcomes for the summary and hands refused lines to the caller.
struct OutcomeRecorder {
    let keepOutcomes: Bool
    let rejected: ((Int, UnsafeRawBufferPointer, Refusal) -> Void)?
    var outcomes: [LineOutcome] = []
    var refusals: [(line: Int, refusal: Refusal)] = []

    init(keepOutcomes: Bool, rejected: ((Int, UnsafeRawBufferPointer, Refusal) -> Void)?) {
        self.keepOutcomes = keepOutcomes
        self.rejected = rejected
    }

    mutating func record(line: Int, bytes: UnsafeRawBufferPointer, outcome: AppendOutcome) {
        if keepOutcomes { outcomes.append(LineOutcome(line: line, outcome: outcome)) }
        if case .refused(let refusal) = outcome {
            if refusals.count < LedgerWriter.refusalsKeptMax { refusals.append((line, refusal)) }
            rejected?(line, bytes, refusal)
        }
    }
}

extension ImportSummary {
    mutating func count(_ outcome: AppendOutcome) {
        switch outcome {
        case .appended: appended += 1
        case .duplicate: duplicates += 1
        case .refused(let refusal): refused[refusal.code, default: 0] += 1
        }
    }
}
