/// Records encoded ahead of staging, for a caller that must judge a whole run of records
/// before any of it may be staged (an atomic import): they are encoded once, as the log
/// stages them (RecordCodec, one contiguous buffer), and later staged by copying their
/// bytes (`LogWriter.stage(_:range:)`), not by encoding them again.
///
/// Made by `LogWriter.makePendingRecords()`, which fixes where they go: their positions
/// follow the log's last staged one, and the first record's time difference is taken from
/// the last staged record's time. So the caller must stage nothing else in between (it
/// holds its own lock throughout), and `stage(_:range:)` checks that it did not.
///
/// Not thread-safe: one owner.
public final class PendingRecords {
    let records: StagedRecords
    /// Each record's identity hash (`LogWriter.identityHasher` of its tenant+id).
    @exclusivity(unchecked) private(set) var hashes: [UInt64] = []

    init(firstPosition: UInt64, baseAt: Int64) {
        records = StagedRecords(firstPosition: firstPosition)
        records.removeAll(nextPosition: firstPosition, baseAt: baseAt)
    }

    /// How many records are held.
    public var count: Int { records.count }

    /// The position the record at `index` gets when staged.
    public func position(ofRecordAt index: Int) -> UInt64 { records.firstPosition + UInt64(index) }

    /// Room for `count` more records of about `bytes` encoded bytes in all, so that holding
    /// them does not copy the buffer again and again as it grows.
    public func reserve(records count: Int, bytes: Int) {
        records.reserve(records: count, bytes: bytes)
        hashes.reserveCapacity(hashes.count + count)
    }

    /// Encodes a record after the others. `hash` must be `LogWriter.identityHasher`'s hash of
    /// tenant+id (debug-checked by the writer when staged). Throws `recordTooLarge` as
    /// `LogWriter.stage` does, holding nothing of the record.
    /// `payloadTail`, when given, is the rest of the payload after `payload` (the record holds
    /// them as one payload: a caller with the payload in two pieces need not join them first).
    public func append(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, hash: UInt64, type: UInt16, at: Int64,
                       actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer,
                       payloadTail: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws(LogError) {
        _ = try RecordCodec.checkLimits(tenant: tenant.count, id: id.count, type: type, actor: actor.count,
                                        payload: payload.count + payloadTail.count)
        records.append(tenant: tenant, id: id, type: type, at: at, actor: actor, payload: payload, payloadTail: payloadTail)
        hashes.append(hash)
    }

    /// The end of the run of records from `start` that holds at most `recordsMax` records and
    /// `bytesMax` encoded bytes (at least one record, however large), for staging in parts
    /// that the log's staging limit (`LogLimits.stagedBytesMax`) always admits.
    public func end(ofRunFrom start: Int, recordsMax: Int, bytesMax: Int) -> Int {
        precondition(start < count && recordsMax >= 1, "a run of at least one record")
        let first = records.range(ofRecordAt: start).lowerBound
        var end = start + 1
        let last = min(count, start + recordsMax)
        while end < last && records.range(ofRecordAt: end).upperBound - first <= bytesMax { end += 1 }
        return end
    }

    /// True when the record at `index` has this tenant and id (byte for byte).
    public func hasKey(at index: Int, tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> Bool {
        records.hasKey(at: position(ofRecordAt: index), tenant: tenant, id: id)
    }

    /// Lends a view of the record at `index` (valid inside `body` only).
    public func withRecord<Result>(at index: Int, _ body: (RecordView) throws -> Result) rethrows -> Result {
        try body(records.view(at: position(ofRecordAt: index)))
    }
}
