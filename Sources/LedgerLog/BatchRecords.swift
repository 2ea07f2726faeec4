/// The decompressed, checked bytes of one batch, for a replay that walks its records in its
/// own loop (`LogReader.forEachBatch`): `forEach` is inlined into the caller, so the body it
/// runs per record is not a call through a closure, as it is for `LogReader.forEach`. It is
/// also the loop `LogReader.forEach` runs (through `BatchDecoder.decodeRecords`), so both check
/// the framing with the same code and throw the same errors.
///
/// Valid only inside the `forEachBatch` body that receives it (its bytes are reused after).
public struct BatchRecords {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let count: Int
    @usableFromInline let firstPosition: UInt64
    @usableFromInline let lastPosition: UInt64
    let file: String
    let offset: UInt64

    init(content: UnsafeRawBufferPointer, metadata: BatchMetadata, file: String, offset: UInt64) {
        base = content.baseAddress!
        count = content.count
        firstPosition = metadata.firstPosition
        lastPosition = metadata.lastPosition
        self.file = file
        self.offset = offset
    }

    /// The first and last positions of the batch.
    public var positions: ClosedRange<UInt64> { firstPosition...lastPosition }

    /// Decodes every record of the batch, checking the framing, and passes those in
    /// `from...through` to `body`, in order.
    @inlinable @inline(__always)
    public func forEach(from: UInt64, through: UInt64, _ body: (RecordView) throws -> Void) throws {
        var cursor = BatchRecords.headerByteCount
        var position = firstPosition
        var at = BatchRecords.baseAt(base)
        let last = lastPosition
        var problem: String? = nil
        while position <= last {
            guard let view = RecordCodec.decode(base, &cursor, end: count, position: position, previousAt: &at,
                                                problem: &problem) else {
                try failRecord(at: position, problem: problem)
            }
            if position >= from && position <= through { try body(view) }
            position += 1
        }
        if cursor != count { try failTrailingBytes(cursor: cursor) }
    }

    @usableFromInline static let headerByteCount = BatchHeader.byteCount

    @usableFromInline
    static func baseAt(_ base: UnsafeRawPointer) -> Int64 {
        BatchHeader.baseAt(UnsafeRawBufferPointer(start: base, count: BatchHeader.byteCount))
    }

    /// Throws the error for a record that does not decode: a call out of the inlined loop
    /// (building the error inside the loop measured 97-102 ms per 1M-event fold, against 95-97).
    @usableFromInline
    func failRecord(at position: UInt64, problem: String?) throws -> Never {
        throw LogError.corrupt(file: file, offset: offset, position: position,
                 reason: "record \(position - firstPosition) of the batch: \(problem ?? "bad framing")")
    }

    /// Throws the error for bytes after the batch's last record.
    @usableFromInline
    func failTrailingBytes(cursor: Int) throws -> Never {
        throw LogError.corrupt(file: file, offset: offset, position: firstPosition,
                 reason: "\(count - cursor) bytes follow the batch's last record")
    }
}
