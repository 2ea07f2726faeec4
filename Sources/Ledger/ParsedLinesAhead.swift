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

    let bytes: UnsafeRawBufferPointer
    let hasher: IdentityHasher
    /// Byte offset just past the chunk in the whole input.
    let end: Int
    /// Written by the parsing thread only until `done` is left; read after waiting on it (so
    /// never by two threads at once: no dynamic exclusivity checks, made per line otherwise).
    @exclusivity(unchecked) var lines: [Line] = []
    /// The parsed events' record fields (tenant, id, actor, payload fields), back to back.
    let arena: ByteArena
    @exclusivity(unchecked) var refusals: [Refusal] = []
    let done = DispatchGroup()

    init(bytes: UnsafeRawBufferPointer, end: Int, hasher: IdentityHasher) {
        self.bytes = bytes
        self.end = end
        self.hasher = hasher
        // Encoded fields are shorter than their JSON but for canonical numbers in extras, which
        // may grow (the arena then grows too).
        arena = ByteArena(capacity: bytes.count)
    }

    func parse(workspace: EventLineWorkspace) {
        var splitter = LineSplitter(bytes)
        // Reserved once: growing by doubling copied the lines again and again.
        lines.reserveCapacity(splitter.countLines())
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
    let chunk: ParsedChunk
    let layout: EncodedEventLayout
    /// The `invalid` refusal of a line that is no event.
    let refusal: Refusal?

    /// Lends the line's event (encoded), or returns the refusal of a line that is none.
    func judged(_ judge: (EncodedEvent) throws -> AppendOutcome) rethrows -> AppendOutcome {
        if let refusal { return .refused(refusal) }
        return try chunk.arena.withUnsafeBytes { arena in try judge(layout.event(in: arena)) }
    }
}

/// The same lines as ``LineSplitter`` with `nextEventLine`, but parsed one chunk ahead
/// on a second thread, so that parsing overlaps judging; each event comes with the
/// identity hash of its tenant+id (`hasher`'s) and its payload's fields encoded, both
/// computed on that thread too. Call `finish()` before the input's bytes go away (a chunk
/// may still be parsing).
struct ParsedLinesAhead {
    /// Bytes per chunk (rounded up to the end of a line): large enough that handing a
    /// chunk over costs nothing per line, small enough to keep both threads busy.
    static let chunkBytes = 1 << 20

    let bytes: UnsafeRawBufferPointer
    let hasher: IdentityHasher
    private let queue = DispatchQueue(label: "ledger.import.parse")
    /// The parsing thread's memory, reused from line to line (used by one chunk at a time:
    /// the queue is serial).
    private let workspace = EventLineWorkspace()
    /// Where the next chunk to start parsing begins.
    private var nextChunkStart = 0
    private var current: ParsedChunk?
    private var ahead: ParsedChunk?
    private var index = 0
    private var lineNumber = 0

    init(_ bytes: UnsafeRawBufferPointer, hasher: IdentityHasher) {
        self.bytes = bytes
        self.hasher = hasher
        ahead = startChunk()
    }

    /// Byte offset just past the lines handed out so far (at chunk granularity).
    var offset: Int { current?.end ?? 0 }

    /// The next non-blank line; counts lines and blank lines in `summary`.
    mutating func nextEventLine(counting summary: inout ImportSummary) -> AheadLine? {
        while true {
            if current == nil || index == current!.lines.count {
                guard let next = ahead else { return nil }
                next.done.wait()
                current = next
                index = 0
                ahead = startChunk()
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

    /// Waits for the chunk being parsed, if any.
    func finish() {
        ahead?.done.wait()
    }

    private mutating func startChunk() -> ParsedChunk? {
        guard nextChunkStart < bytes.count, let base = bytes.baseAddress else { return nil }
        let start = nextChunkStart
        var end = min(start + Self.chunkBytes, bytes.count)
        if end < bytes.count {
            if let found = memchr(base + end, 0x0A, bytes.count - end) {
                end = base.distance(to: UnsafeRawPointer(found)) + 1
            } else {
                end = bytes.count
            }
        }
        nextChunkStart = end
        let chunk = ParsedChunk(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), end: end, hasher: hasher)
        let workspace = self.workspace
        chunk.done.enter()
        queue.async {
            chunk.parse(workspace: workspace)
            chunk.done.leave()
        }
        return chunk
    }
}

