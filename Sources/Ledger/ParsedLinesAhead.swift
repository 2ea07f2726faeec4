import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// One chunk of an import's lines (whole lines, cut just after a `\n`), parsed on a
/// second thread into the log's record fields (`EventLineParser.encode`): no `Event`, no
/// `String` per line.
final class ParsedChunk: @unchecked Sendable {
    /// A physical line and what parsing it gave.
    struct Line {
        enum Kind {
            case blank
            /// Parsed: its encoded event is `layout` in `arena`.
            case event
            /// Refused as `invalid`: its refusal is `refusals[index]`.
            case refused(index: Int)
        }

        var bytes: UnsafeRawBufferPointer
        var kind: Kind
        /// Where the event's record fields are in `arena` (for `.event`).
        var layout: EncodedEventLayout
        /// The identity hash of the event's tenant+id (0 for a line that is no event).
        var hash: UInt64
    }

    /// The chunk's lines, and the byte offset just past them in the whole input (set anew
    /// when the chunk's memory is reused for a later chunk: see `reuse(bytes:end:)`).
    @exclusivity(unchecked) private(set) var bytes: UnsafeRawBufferPointer
    @exclusivity(unchecked) private(set) var end: Int
    let hasher: IdentityHasher
    /// Written by the thread parsing the chunk, read once it is marked parsed under the board's
    /// lock (so never by two threads at once: no dynamic exclusivity checks, made per line
    /// otherwise).
    @exclusivity(unchecked) var lines: [Line] = []
    /// The parsed events' record fields (tenant, id, actor, payload fields), back to back.
    let arena: ByteArena
    @exclusivity(unchecked) var refusals: [Refusal] = []

    init(bytes: UnsafeRawBufferPointer, end: Int, hasher: IdentityHasher) {
        self.bytes = bytes
        self.end = end
        self.hasher = hasher
        // Encoded fields are shorter than their JSON but for canonical numbers in extras, which
        // may grow (the arena then grows too).
        arena = ByteArena(capacity: bytes.count)
    }

    /// Makes this chunk (parsed and read) the next one to parse, keeping its memory: fresh
    /// memory for every chunk cost a page fault per 4 KiB touched, a tenth of an import's CPU.
    func reuse(bytes: UnsafeRawBufferPointer, end: Int) {
        self.bytes = bytes
        self.end = end
        lines.removeAll(keepingCapacity: true)
        arena.removeAll()
        refusals.removeAll(keepingCapacity: true)
    }

    func parse(workspace: EventLineWorkspace) {
        var splitter = LineSplitter(bytes)
        // Room for lines of 100 bytes or more, kept when the chunk is reused: growing by
        // doubling copied the lines again and again (and counting them first read the chunk twice).
        lines.reserveCapacity(bytes.count / LedgerWriter.importLineBytesTypicalMin + 16)
        let empty = EncodedEventLayout.none
        while let (_, line) = splitter.next() {
            if EventLineParser.isBlank(line) {
                lines.append(Line(bytes: line, kind: .blank, layout: empty, hash: 0))
                continue
            }
            switch EventLineParser.encode(line, workspace: workspace, into: arena) {
            case .success(let layout):
                let hash = arena.withUnsafeBytes { arena in
                    let event = layout.event(in: arena)
                    return hasher.hash(tenant: event.tenant, id: event.id)
                }
                lines.append(Line(bytes: line, kind: .event, layout: layout, hash: hash))
            case .failure(let refusal):
                lines.append(Line(bytes: line, kind: .refused(index: refusals.count), layout: empty, hash: 0))
                refusals.append(refusal)
            }
        }
    }
}

/// A non-blank line of an import as `ParsedLinesAhead` hands it out.
struct AheadLine {
    /// The physical line number, from 1.
    var number: Int
    var bytes: UnsafeRawBufferPointer
    /// The identity hash of the event's tenant+id (0 for a line that is no event).
    var hash: UInt64
    /// The chunk holding the line's encoded event, and where it is in the chunk's arena.
    /// Unowned: a line is valid until the next is asked for, while `ParsedLinesAhead` holds
    /// its chunk (a counted reference cost a retain and a release per line).
    unowned(unsafe) let chunk: ParsedChunk
    let layout: EncodedEventLayout
    /// The `invalid` refusal of a line that is no event.
    let refusal: Refusal?

    /// Lends the line's event (encoded), or returns the refusal of a line that is none.
    func judged(_ judge: (EncodedEvent) throws -> AppendOutcome) rethrows -> AppendOutcome {
        if let refusal { return .refused(refusal) }
        return try chunk.arena.withUnsafeBytes { arena in try judge(layout.event(in: arena)) }
    }
}

/// The same lines as ``LineSplitter`` with `nextEventLine`, parsed (into encoded events, with
/// each event's identity hash of tenant+id, `hasher`'s) by two threads: a helper parses
/// chunks ahead, and the calling thread, rather than wait for the chunk it needs, parses
/// the next one nobody has started. Lines come out in order whoever parsed them, and parsing
/// overlaps judging however their costs compare. Call `finish()` before the input's bytes go
/// away (a chunk may still be parsing).
struct ParsedLinesAhead {
    /// Bytes per chunk (rounded up to the end of a line): large enough that handing a
    /// chunk over costs nothing per line, small enough to keep both threads busy.
    static let chunkBytes = 1 << 20
    /// Most chunks parsed ahead of the one being read, bounding memory (a chunk's parse
    /// holds about twice its input).
    static let chunksAheadMax = 4

    let bytes: UnsafeRawBufferPointer
    private let board: ChunkBoard
    /// The calling thread's parsing memory (the helper has its own).
    private let workspace = EventLineWorkspace()
    private var current: ParsedChunk?
    private var chunkIndex = -1
    private var index = 0
    private var lineNumber = 0

    /// Lines of `bytes`; without `helper` (tests), the calling thread parses every chunk.
    init(_ bytes: UnsafeRawBufferPointer, hasher: IdentityHasher, helper: Bool = true) {
        self.bytes = bytes
        board = ChunkBoard(bytes: bytes, hasher: hasher, chunkBytes: Self.chunkBytes, aheadMax: Self.chunksAheadMax)
        if helper { board.startHelper() }
    }

    /// Byte offset just past the lines handed out so far (at chunk granularity).
    private(set) var offset = 0

    /// The next non-blank line; counts lines and blank lines in `summary`. The line is valid
    /// until the next call (its chunk's memory is then reused).
    mutating func nextEventLine(counting summary: inout ImportSummary) -> AheadLine? {
        while true {
            if current == nil || index == current!.lines.count {
                chunkIndex += 1
                guard let next = board.chunk(at: chunkIndex, workspace: workspace) else {
                    current = nil
                    offset = bytes.count
                    return nil
                }
                current = next
                offset = next.end
                index = 0
                continue
            }
            let chunk = current!
            let line = chunk.lines[index]
            index += 1
            lineNumber += 1
            let refusal: Refusal?
            switch line.kind {
            case .blank:
                summary.blankLines += 1
                continue
            case .event: refusal = nil
            case .refused(let refusalIndex): refusal = chunk.refusals[refusalIndex]
            }
            summary.lines += 1
            return AheadLine(number: lineNumber, bytes: line.bytes, hash: line.hash, chunk: chunk, layout: line.layout,
                             refusal: refusal)
        }
    }

    /// The identity hash of the line `nextEventLine` hands out next, when it is in the current
    /// chunk (0 for a blank or refused line), for prefetching what its look-ups will read.
    var nextHash: UInt64? {
        guard let current, index < current.lines.count else { return nil }
        return current.lines[index].hash
    }

    /// Stops the helper and waits for it (and for the chunk it may be parsing).
    func finish() {
        board.stopHelper()
    }
}

/// The chunks of one input and who parses which, shared by the reading thread and the helper
/// under one lock (taken once per chunk of about a thousand lines, never per line).
final class ChunkBoard: @unchecked Sendable {
    enum State { case pending, claimed, done }

    let bytes: UnsafeRawBufferPointer
    let hasher: IdentityHasher
    let chunkBytes: Int
    let aheadMax: Int
    private let condition = NSCondition()
    /// The chunks cut so far (nil once the reader has moved past one), and their states.
    private var chunks: [ParsedChunk?] = []
    private var states: [State] = []
    /// Chunks the reader has moved past, whose memory the next chunks reuse.
    private var spare: [ParsedChunk] = []
    private var nextChunkStart = 0
    /// The chunk the reader asked for last.
    private var readerIndex = 0
    private var isStopped = false
    private let helperDone = DispatchGroup()

    init(bytes: UnsafeRawBufferPointer, hasher: IdentityHasher, chunkBytes: Int, aheadMax: Int) {
        self.bytes = bytes
        self.hasher = hasher
        self.chunkBytes = chunkBytes
        self.aheadMax = aheadMax
    }

    func startHelper() {
        helperDone.enter()
        DispatchQueue.global().async {
            self.runHelper(workspace: EventLineWorkspace())
            self.helperDone.leave()
        }
    }

    /// Stops the helper, if started, and waits for it.
    func stopHelper() {
        condition.lock()
        isStopped = true
        condition.broadcast()
        condition.unlock()
        helperDone.wait()
    }

    /// The parsed chunk `index` (chunks are asked for in order), parsed here if nobody has
    /// started it; while the helper parses it, the next unstarted chunk is parsed here instead
    /// of waiting. Nil past the input's end.
    func chunk(at index: Int, workspace: EventLineWorkspace) -> ParsedChunk? {
        condition.lock()
        defer { condition.unlock() }
        if index > 0 && index - 1 < chunks.count, let finished = chunks[index - 1] {
            chunks[index - 1] = nil
            spare.append(finished)
        }
        readerIndex = index
        condition.broadcast()
        while true {
            if index == chunks.count && !cutChunk() { return nil }
            switch states[index] {
            case .done:
                return chunks[index]
            case .pending:
                parseLocked(index, workspace: workspace)
            case .claimed:
                if let other = firstPending(from: index + 1) {
                    parseLocked(other, workspace: workspace)
                } else {
                    condition.wait()
                }
            }
        }
    }

    private func runHelper(workspace: EventLineWorkspace) {
        condition.lock()
        defer { condition.unlock() }
        while !isStopped {
            if let next = firstPending(from: readerIndex) {
                parseLocked(next, workspace: workspace)
            } else if nextChunkStart >= bytes.count && chunks.count <= readerIndex + aheadMax {
                return  // every chunk is cut and none is pending
            } else {
                condition.wait()
            }
        }
    }

    /// The first pending chunk from `start` within the window of the reader's chunk, cutting
    /// new chunks as needed; nil when there is none. Caller holds the lock.
    private func firstPending(from start: Int) -> Int? {
        var candidate = start
        while candidate <= readerIndex + aheadMax {
            if candidate == chunks.count && !cutChunk() { return nil }
            if states[candidate] == .pending { return candidate }
            candidate += 1
        }
        return nil
    }

    /// Parses chunk `index` with the lock released meanwhile. Caller holds the lock.
    private func parseLocked(_ index: Int, workspace: EventLineWorkspace) {
        states[index] = .claimed
        let chunk = chunks[index]!
        condition.unlock()
        chunk.parse(workspace: workspace)
        condition.lock()
        states[index] = .done
        condition.broadcast()
    }

    /// Cuts the next chunk (whole lines, about `chunkBytes`); false at the input's end.
    /// Caller holds the lock.
    private func cutChunk() -> Bool {
        guard nextChunkStart < bytes.count, let base = bytes.baseAddress else { return false }
        let start = nextChunkStart
        var end = min(start + chunkBytes, bytes.count)
        if end < bytes.count {
            if let found = memchr(base + end, 0x0A, bytes.count - end) {
                end = base.distance(to: UnsafeRawPointer(found)) + 1
            } else {
                end = bytes.count
            }
        }
        nextChunkStart = end
        let lines = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if let reused = spare.popLast() {
            reused.reuse(bytes: lines, end: end)
            chunks.append(reused)
        } else {
            chunks.append(ParsedChunk(bytes: lines, end: end, hasher: hasher))
        }
        states.append(.pending)
        return true
    }
}

