import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// One chunk of an import's lines (whole lines, cut just after a `\n`), parsed on a
/// second thread.
final class ParsedChunk: @unchecked Sendable {
    /// A physical line and its parse; `parsed` is nil for a blank line. `hash` is the
    /// identity hash of a parsed event's tenant+id (0 otherwise); `fields` where its
    /// payload's fields are in `fieldBytes` (empty otherwise).
    struct Line {
        var bytes: UnsafeRawBufferPointer
        var parsed: Result<Event, Refusal>?
        var hash: UInt64
        var fields: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    let hasher: IdentityHasher
    /// Byte offset just past the chunk in the whole input.
    let end: Int
    /// Written by the parsing thread only until `done` is left; read after waiting on it.
    var lines: [Line] = []
    /// Each parsed event's payload fields (`EventBinaryCodec.encodeFields`), back to back:
    /// encoded here, on the parsing thread, they are copied, not encoded, by the judging one.
    var fieldBytes: [UInt8] = []
    let done = DispatchGroup()

    init(bytes: UnsafeRawBufferPointer, end: Int, hasher: IdentityHasher) {
        self.bytes = bytes
        self.end = end
        self.hasher = hasher
    }

    func parse() {
        var splitter = LineSplitter(bytes)
        // Reserved once: growing by doubling copied the lines (events included) again and again.
        lines.reserveCapacity(splitter.countLines())
        fieldBytes.reserveCapacity(bytes.count / 2)
        while let (_, line) = splitter.next() {
            if EventLineParser.isBlank(line) {
                lines.append(Line(bytes: line, parsed: nil, hash: 0, fields: 0..<0))
                continue
            }
            let parsed = EventLineParser.parse(line)
            var hash: UInt64 = 0
            let fieldsStart = fieldBytes.count
            if case .success(let event) = parsed {
                hash = LedgerCodec.identityHash(of: event, with: hasher)
                EventBinaryCodec.encodeFields(of: event, parsed: true, into: &fieldBytes)
            }
            lines.append(Line(bytes: line, parsed: parsed, hash: hash, fields: fieldsStart..<fieldBytes.count))
        }
    }
}

/// A non-blank line of an import as `ParsedLinesAhead` hands it out (beside its parse).
struct AheadLine {
    /// The physical line number, from 1.
    var number: Int
    var bytes: UnsafeRawBufferPointer
    /// The identity hash of the event's tenant+id (0 for a line that is no event).
    var hash: UInt64
    /// The chunk holding the event's encoded payload fields, and where they are in it.
    let chunk: ParsedChunk
    let fields: Range<Int>

    /// Lends the event's payload fields, as `EventBinaryCodec.encodeFields` wrote them.
    func withFields<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try chunk.fieldBytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[fields])) }
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

    /// The next non-blank line and its parse (apart, so that the caller can move the event
    /// out); counts lines and blank lines in `summary`.
    mutating func nextEventLine(counting summary: inout ImportSummary) -> (AheadLine, Result<Event, Refusal>)? {
        while true {
            if current == nil || index == current!.lines.count {
                guard let next = ahead else { return nil }
                next.done.wait()
                current = next
                index = 0
                ahead = startChunk()
                continue
            }
            // Moved out, not copied: a copy would retain every string of the event here
            // and the chunk's release let them go again.
            var parsed: Result<Event, Refusal>? = nil
            swap(&parsed, &current!.lines[index].parsed)
            let line = current!.lines[index]
            index += 1
            lineNumber += 1
            guard let parsed else {
                summary.blankLines += 1
                continue
            }
            summary.lines += 1
            return (AheadLine(number: lineNumber, bytes: line.bytes, hash: line.hash, chunk: current!, fields: line.fields),
                    parsed)
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
        chunk.done.enter()
        queue.async {
            chunk.parse()
            chunk.done.leave()
        }
        return chunk
    }
}
