/// Records staged by a writer but not yet durable, encoded once (RecordCodec) into one
/// contiguous buffer, so sealing a batch is a copy of a byte range. Reused: clearing
/// keeps the capacity, so staging does not allocate once warmed up.
final class StagedRecords {
    /// The position of the first record held.
    var firstPosition: UInt64
    let bytes = ByteBuffer(capacity: 1 << 20)
    /// Start offset in `bytes` of each record.
    private(set) var offsets: [Int] = []

    init(firstPosition: UInt64) {
        self.firstPosition = firstPosition
        offsets.reserveCapacity(4_096)
    }

    var count: Int { offsets.count }
    var lastPosition: UInt64 { firstPosition + UInt64(offsets.count) - 1 }

    func contains(_ position: UInt64) -> Bool {
        position >= firstPosition && position - firstPosition < UInt64(offsets.count)
    }

    @inline(__always)
    func append(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, type: UInt16, at: Int64,
                actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) {
        offsets.append(bytes.count)
        RecordCodec.encode(tenant: tenant, id: id, type: type, at: at, actor: actor, payload: payload, into: bytes)
    }

    /// Forgets every record; the next one will be at `nextPosition`.
    func removeAll(nextPosition: UInt64) {
        bytes.removeAll()
        offsets.removeAll(keepingCapacity: true)
        firstPosition = nextPosition
    }

    /// Byte range of the record at `index`.
    @inline(__always)
    func range(ofRecordAt index: Int) -> Range<Int> {
        offsets[index]..<(index + 1 < offsets.count ? offsets[index + 1] : bytes.count)
    }

    /// A view of the record at `position` (valid until the buffer changes).
    func view(at position: UInt64) -> RecordView {
        precondition(contains(position), "the position is staged here")
        let range = range(ofRecordAt: Int(position - firstPosition))
        var cursor = range.lowerBound
        var problem: String?
        guard let view = RecordCodec.decode(UnsafeRawPointer(bytes.base), &cursor, end: range.upperBound,
                                            position: position, problem: &problem) else {
            preconditionFailure("a staged record decodes: \(problem ?? "")")
        }
        return view
    }

    /// True when the record at `position` has this tenant and id (byte for byte).
    func hasKey(at position: UInt64, tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> Bool {
        let range = range(ofRecordAt: Int(position - firstPosition))
        let key = RecordCodec.key(UnsafeRawPointer(bytes.base), at: range.lowerBound, end: range.upperBound)
        return key.tenant.elementsEqual(tenant) && key.id.elementsEqual(id)
    }
}
