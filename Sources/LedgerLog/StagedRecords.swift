/// Records staged by a writer but not yet durable, encoded once (RecordCodec) into one
/// contiguous buffer, so sealing a batch is a copy of a byte range. Reused: clearing
/// keeps the capacity, so staging does not allocate once warmed up. The writer's lock
/// serialises access, so the properties skip Swift's dynamic exclusivity checks.
final class StagedRecords {
    /// The position of the first record held.
    @exclusivity(unchecked) var firstPosition: UInt64
    let bytes = ByteBuffer(capacity: 1 << 20)
    /// Start offset in `bytes` of each record.
    @exclusivity(unchecked) private(set) var offsets: [Int] = []
    /// Each record's time (records store the difference from the previous one).
    @exclusivity(unchecked) private(set) var ats: [Int64] = []
    /// The time the first record's difference is taken from.
    @exclusivity(unchecked) private(set) var baseAt: Int64 = 0
    /// Batches of some of these records compressed ahead (an import's), which a flush copies
    /// instead of compressing them again.
    @exclusivity(unchecked) private(set) var sealers: [PendingSealer] = []

    init(firstPosition: UInt64) {
        self.firstPosition = firstPosition
        offsets.reserveCapacity(4_096)
        ats.reserveCapacity(4_096)
    }

    var count: Int { offsets.count }
    var lastPosition: UInt64 { firstPosition + UInt64(offsets.count) - 1 }
    /// The last record's time (the base time when empty).
    var lastAt: Int64 { ats.last ?? baseAt }

    /// The time the difference of the record at `index` is taken from.
    @inline(__always)
    func previousAt(ofRecordAt index: Int) -> Int64 { index == 0 ? baseAt : ats[index - 1] }

    func contains(_ position: UInt64) -> Bool {
        position >= firstPosition && position - firstPosition < UInt64(offsets.count)
    }

    @inline(__always)
    func append(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, type: UInt16, at: Int64,
                actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer,
                payloadTail: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        offsets.append(bytes.count)
        RecordCodec.encode(tenant: tenant, id: id, type: type, at: at, previousAt: lastAt, actor: actor, payload: payload,
                           payloadTail: payloadTail, into: bytes)
        ats.append(at)
    }

    /// Room for `count` more records of `bytes` encoded bytes in all.
    func reserve(records count: Int, bytes byteCount: Int) {
        bytes.reserve(byteCount)
        offsets.reserveCapacity(offsets.count + count)
        ats.reserveCapacity(ats.count + count)
    }

    /// Appends copies of the records at `range` of `other`, encoded as they are: their first
    /// one's time difference must be from this buffer's last time (the caller checks).
    func append(copiesOf range: Range<Int>, of other: StagedRecords) {
        guard !range.isEmpty else { return }
        let start = other.range(ofRecordAt: range.lowerBound).lowerBound
        let stop = other.range(ofRecordAt: range.upperBound - 1).upperBound
        let shift = bytes.count - start
        offsets.reserveCapacity(offsets.count + range.count)
        ats.reserveCapacity(ats.count + range.count)
        for index in range {
            offsets.append(other.offsets[index] + shift)
            ats.append(other.ats[index])
        }
        bytes.append(other.bytes.bytes(from: start, count: stop - start))
    }

    /// Lets flushes of these records use the batches `sealer` compressed ahead.
    func attach(_ sealer: PendingSealer) {
        if !sealers.contains(where: { $0 === sealer }) { sealers.append(sealer) }
    }

    /// The frame compressed ahead for the batch of these records starting at `firstPosition`
    /// with that many records, size and base time, if any.
    func precompressedFrame(firstPosition: UInt64, recordCount: Int, contentBytes: Int, baseAt: Int64)
        -> (frame: UnsafeRawBufferPointer, checksum: UInt32)?
    {
        for sealer in sealers {
            if let found = sealer.frame(firstPosition: firstPosition, recordCount: recordCount, contentBytes: contentBytes,
                                        baseAt: baseAt) {
                return found
            }
        }
        return nil
    }

    /// Forgets every record; the next one will be at `nextPosition`, its time
    /// difference taken from `baseAt`.
    func removeAll(nextPosition: UInt64, baseAt: Int64) {
        if !sealers.isEmpty { sealers.removeAll() }
        bytes.removeAll()
        offsets.removeAll(keepingCapacity: true)
        ats.removeAll(keepingCapacity: true)
        firstPosition = nextPosition
        self.baseAt = baseAt
    }

    /// Byte range of the record at `index`.
    @inline(__always)
    func range(ofRecordAt index: Int) -> Range<Int> {
        offsets[index]..<(index + 1 < offsets.count ? offsets[index + 1] : bytes.count)
    }

    /// A view of the record at `position` (valid until the buffer changes).
    func view(at position: UInt64) -> RecordView {
        precondition(contains(position), "the position is staged here")
        let index = Int(position - firstPosition)
        let range = range(ofRecordAt: index)
        var cursor = range.lowerBound
        var at = previousAt(ofRecordAt: index)
        var problem: String?
        guard let view = RecordCodec.decode(UnsafeRawPointer(bytes.base), &cursor, end: range.upperBound,
                                            position: position, previousAt: &at, problem: &problem) else {
            preconditionFailure("a staged record decodes: \(problem ?? "")")
        }
        return view
    }

    /// The identity hash of the record at `position`'s tenant+id (for assertions).
    func keyHash(at position: UInt64, with hasher: IdentityHasher) -> UInt64 {
        let range = range(ofRecordAt: Int(position - firstPosition))
        let key = RecordCodec.key(UnsafeRawPointer(bytes.base), at: range.lowerBound, end: range.upperBound)
        return hasher.hash(tenant: key.tenant, id: key.id)
    }

    /// True when the record at `position` has this tenant and id (byte for byte).
    func hasKey(at position: UInt64, tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> Bool {
        let range = range(ofRecordAt: Int(position - firstPosition))
        let key = RecordCodec.key(UnsafeRawPointer(bytes.base), at: range.lowerBound, end: range.upperBound)
        return key.tenant.elementsEqual(tenant) && key.id.elementsEqual(id)
    }
}
