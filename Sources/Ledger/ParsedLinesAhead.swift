import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// One chunk of an import's lines (whole lines, cut just after a `\n`), parsed on a
/// second thread.
final class ParsedChunk: @unchecked Sendable {
    /// A physical line and its parse; `parsed` is nil for a blank line. `hash` is the
    /// identity hash of a parsed event's tenant+id (0 otherwise).
    struct Line {
        var bytes: UnsafeRawBufferPointer
        var parsed: Result<Event, Refusal>?
        var hash: UInt64
    }

    let bytes: UnsafeRawBufferPointer
    let hasher: IdentityHasher
    /// Byte offset just past the chunk in the whole input.
    let end: Int
    /// Written by the parsing thread only until `done` is left; read after waiting on it.
    var lines: [Line] = []
    let done = DispatchGroup()

    init(bytes: UnsafeRawBufferPointer, end: Int, hasher: IdentityHasher) {
        self.bytes = bytes
        self.end = end
        self.hasher = hasher
    }

    func parse() {
        var splitter = LineSplitter(bytes)
        while let (_, line) = splitter.next() {
            if EventLineParser.isBlank(line) {
                lines.append(Line(bytes: line, parsed: nil, hash: 0))
                continue
            }
            let parsed = EventLineParser.parse(line)
            var hash: UInt64 = 0
            if case .success(let event) = parsed { hash = LedgerCodec.identityHash(of: event, with: hasher) }
            lines.append(Line(bytes: line, parsed: parsed, hash: hash))
        }
    }
}

/// The same lines as ``LineSplitter`` with `nextEventLine`, but parsed one chunk ahead
/// on a second thread, so that parsing overlaps judging; each event comes with the
/// identity hash of its tenant+id (`hasher`'s, computed on that thread too). Call
/// `finish()` before the input's bytes go away (a chunk may still be parsing).
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

    /// The next non-blank line with its number, parse and identity hash (0 for a line that
    /// is no event); counts lines and blank lines in `summary`.
    mutating func nextEventLine(counting summary: inout ImportSummary) -> (Int, UnsafeRawBufferPointer, Result<Event, Refusal>, UInt64)? {
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
            return (lineNumber, line.bytes, parsed, line.hash)
        }
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
