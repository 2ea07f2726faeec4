/// The earliest and latest business time (`at`) of every chunk of `chunkEvents` consecutive log
/// positions, so that a query as of a time T reads only the chunks that hold an event with
/// `at` <= T. Events need not arrive in `at` order, so a chunk far after T may still hold a late
/// event of before T: the index says so, and such chunks are read.
///
/// Chunk k covers positions `k * chunkEvents + 1 ... (k + 1) * chunkEvents` (the last one up to
/// `lastPosition`). Stored in snapshot files as the section ``SnapshotSectionKind/timeIndex``:
///
/// ```
/// version        varint (TimeIndex.version)
/// chunk events   varint (>= 1)
/// last position  varint
/// per chunk (ceil(last position / chunk events) of them):
///                earliest at (zigzag varint), latest - earliest (varint)
/// ```
public struct TimeIndex: Sendable, Equatable {
    public static let version: UInt32 = 1
    /// The chunk size this build writes: 4,096 events, about 75 KB of log, so a time query
    /// reads at most that much more than it needs around each late event.
    public static let chunkEventsDefault: UInt64 = 4_096

    public let chunkEvents: UInt64
    /// The last position the index covers (0: none).
    public private(set) var lastPosition: UInt64 = 0
    private var earliest: [Int64] = []
    private var latest: [Int64] = []

    public init(chunkEvents: UInt64 = TimeIndex.chunkEventsDefault) {
        precondition(chunkEvents >= 1, "a chunk holds at least one event")
        self.chunkEvents = chunkEvents
    }

    /// The latest business time of the events at positions <= lastPosition (nil: none).
    public var latestAt: Int64? { latest.max() }

    /// Adds the event at the next position (`lastPosition + 1`).
    public mutating func add(position: UInt64, at: Int64) {
        precondition(position == lastPosition + 1, "positions are added in order, without gaps")
        if lastPosition % chunkEvents == 0 {
            earliest.append(at)
            latest.append(at)
        } else {
            let chunk = earliest.count - 1
            if at < earliest[chunk] { earliest[chunk] = at }
            if at > latest[chunk] { latest[chunk] = at }
        }
        lastPosition += 1
    }

    /// The position ranges within `from ... through` (clamped to the index) whose chunks may
    /// hold an event with `at` <= `time`, adjacent chunks merged. Positions after
    /// `lastPosition` are not covered: the caller reads them all.
    public func ranges(atOrBefore time: Int64, from: UInt64, through: UInt64) -> [ClosedRange<UInt64>] {
        let last = min(through, lastPosition)
        guard from >= 1, from <= last else { return [] }
        var ranges: [ClosedRange<UInt64>] = []
        var chunk = Int((from - 1) / chunkEvents)
        while chunk < earliest.count {
            let chunkFirst = UInt64(chunk) * chunkEvents + 1
            if chunkFirst > last { break }
            if earliest[chunk] <= time {
                let lower = max(chunkFirst, from)
                let upper = min(chunkFirst + chunkEvents - 1, last)
                if let previous = ranges.last, previous.upperBound + 1 == lower {
                    ranges[ranges.count - 1] = previous.lowerBound...upper
                } else {
                    ranges.append(lower...upper)
                }
            }
            chunk += 1
        }
        return ranges
    }

    /// The index as snapshot section bytes (layout above).
    public func encoded() -> [UInt8] {
        var writer = VarintWriter()
        writer.unsigned(UInt64(Self.version))
        writer.unsigned(chunkEvents)
        writer.unsigned(lastPosition)
        for (low, high) in zip(earliest, latest) {
            writer.signed(low)
            writer.unsigned(UInt64(bitPattern: high &- low))
        }
        return writer.bytes
    }

    /// Reads ``encoded()`` bytes; anything malformed throws with the offset.
    public init(encoded bytes: UnsafeRawBufferPointer) throws(VarintReader.Problem) {
        var reader = VarintReader(bytes: bytes)
        let version = try reader.unsigned("time index version")
        guard version == UInt64(Self.version) else {
            throw reader.problem(at: 0, "time index version \(version), this build reads \(Self.version)")
        }
        let chunkEvents = try reader.unsigned("chunk events")
        guard chunkEvents >= 1 else { throw reader.problem(at: 1, "chunk events is 0") }
        self.init(chunkEvents: chunkEvents)
        let lastPosition = try reader.unsigned("last position")
        let chunks = lastPosition / chunkEvents + (lastPosition % chunkEvents == 0 ? 0 : 1)
        guard chunks <= UInt64(bytes.count) else {
            throw reader.problem(at: reader.offset, "\(chunks) chunks cannot fit in \(bytes.count) bytes")
        }
        earliest.reserveCapacity(Int(chunks))
        latest.reserveCapacity(Int(chunks))
        for _ in 0..<chunks {
            let low = try reader.signed("earliest at")
            let spanOffset = reader.offset
            let span = try reader.unsigned("at span")
            let (high, overflow) = low.addingReportingOverflow(Int64(bitPattern: span))
            guard !overflow, span <= UInt64(Int64.max) else { throw reader.problem(at: spanOffset, "at span \(span) overflows") }
            earliest.append(low)
            latest.append(high)
        }
        self.lastPosition = lastPosition
        guard reader.offset == bytes.count else {
            throw reader.problem(at: reader.offset, "\(bytes.count - reader.offset) trailing bytes after the time index")
        }
    }
}
