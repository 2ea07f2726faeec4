/// The decompressed, checked bytes of one batch, for a replay that walks its records in its
/// own loop (`LogReader.forEachBatch`): `forEach` is inlined into the caller, so the body it
/// runs per record is not a call through a closure, as it is for `LogReader.forEach`. The
/// framing is checked the same way; a record that does not decode makes `forEach` throw the
/// error `LogReader.forEach` throws there (the batch is decoded again the usual way to say it).
///
/// Valid only inside the `forEachBatch` body that receives it (its bytes are reused after).
public struct BatchRecords {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let count: Int
    @usableFromInline let firstPosition: UInt64
    @usableFromInline let lastPosition: UInt64
    let metadata: BatchMetadata
    let file: String
    let offset: UInt64

    init(content: UnsafeRawBufferPointer, metadata: BatchMetadata, file: String, offset: UInt64) {
        base = content.baseAddress!
        count = content.count
        self.metadata = metadata
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
                try corrupt()
            }
            if position >= from && position <= through { try body(view) }
            position += 1
        }
        if cursor != count { try corrupt() }
    }

    @usableFromInline static let headerByteCount = BatchHeader.byteCount

    @usableFromInline
    static func baseAt(_ base: UnsafeRawPointer) -> Int64 {
        BatchHeader.baseAt(UnsafeRawBufferPointer(start: base, count: BatchHeader.byteCount))
    }

    /// Throws what `BatchDecoder.decodeRecords` throws for these bytes (their framing fails).
    @usableFromInline
    func corrupt() throws -> Never {
        try BatchDecoder.decodeRecords(UnsafeRawBufferPointer(start: base, count: count), metadata: metadata, file: file,
                                       offset: offset, from: 1, through: 0) { _ in }
        preconditionFailure("a batch whose framing failed decoded at the second reading")
    }
}
