/// The encoding of one record inside a batch's uncompressed bytes (docs/FORMAT.md,
/// "Records"). A record does not store its position: it is the batch's first position
/// plus the record's index in the batch. Its time is stored as the difference from the
/// previous record's (the batch header holds the time before the first record):
/// business times are close to each other, so the differences are short and repetitive
/// and compress far better than absolute times (measured: a quarter fewer bytes on disk).
///
///     varint tenant length, tenant bytes
///     varint id length,     id bytes
///     varint type (0...65535)
///     varint zigzag(at - previous at)   (wrapping 64-bit difference)
///     varint actor length,  actor bytes
///     varint payload length, payload bytes
@usableFromInline
enum RecordCodec {
    /// Encoded size of a record with these field sizes (at most: the time difference
    /// is counted at its largest).
    static func encodedBytesMax(tenant: Int, id: Int, type: UInt16, actor: Int, payload: Int) -> Int {
        Varint.size(UInt64(tenant)) + tenant + Varint.size(UInt64(id)) + id + Varint.size(UInt64(type)) + Varint.bytesMax
            + Varint.size(UInt64(actor)) + actor + Varint.size(UInt64(payload)) + payload
    }

    /// Throws when a field or the record exceeds its limit; returns the encoded size bound.
    static func checkLimits(tenant: Int, id: Int, type: UInt16, actor: Int, payload: Int) throws(LogError) -> Int {
        if tenant > LogLimits.keyBytesMax { throw .recordTooLarge(field: "tenant", bytes: tenant, limit: LogLimits.keyBytesMax) }
        if id > LogLimits.keyBytesMax { throw .recordTooLarge(field: "id", bytes: id, limit: LogLimits.keyBytesMax) }
        if actor > LogLimits.keyBytesMax { throw .recordTooLarge(field: "actor", bytes: actor, limit: LogLimits.keyBytesMax) }
        if payload > LogLimits.recordBytesMax {
            throw .recordTooLarge(field: "payload", bytes: payload, limit: LogLimits.recordBytesMax)
        }
        let total = encodedBytesMax(tenant: tenant, id: id, type: type, actor: actor, payload: payload)
        if total > LogLimits.recordBytesMax {
            throw .recordTooLarge(field: "record", bytes: total, limit: LogLimits.recordBytesMax)
        }
        return total
    }

    @inline(__always)
    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    @inlinable @inline(__always)
    static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    /// Appends the record's encoding to `buffer`; limits must have been checked.
    @inline(__always)
    static func encode(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, type: UInt16, at: Int64, previousAt: Int64,
                       actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer,
                       payloadTail: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), into buffer: ByteBuffer) {
        buffer.appendVarint(UInt64(tenant.count))
        buffer.append(tenant)
        buffer.appendVarint(UInt64(id.count))
        buffer.append(id)
        buffer.appendVarint(UInt64(type))
        buffer.appendVarint(zigzag(at &- previousAt))
        buffer.appendVarint(UInt64(actor.count))
        buffer.append(actor)
        buffer.appendVarint(UInt64(payload.count + payloadTail.count))
        buffer.append(payload)
        if !payloadTail.isEmpty { buffer.append(payloadTail) }
    }

    /// Decodes the record at `offset` (moved past it) of the bytes `base[0..<end]`;
    /// `previousAt` is the previous record's time and becomes this one's. Returns nil
    /// with `problem` set when the framing does not check out.
    @inlinable @inline(__always)
    static func decode(_ base: UnsafeRawPointer, _ offset: inout Int, end: Int, position: UInt64, previousAt: inout Int64,
                       problem: inout String?) -> RecordView? {
        var cursor = offset
        guard let tenant = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "tenant", problem: &problem),
              let id = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "id", problem: &problem)
        else { return nil }
        guard let type = Varint.read(base, &cursor, end: end), type <= UInt64(UInt16.max) else {
            problem = "bad type varint"
            return nil
        }
        guard let delta = Varint.read(base, &cursor, end: end) else {
            problem = "bad time difference varint"
            return nil
        }
        let at = previousAt &+ unzigzag(delta)
        guard let actor = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "actor", problem: &problem),
              let payload = field(base, &cursor, end: end, limit: LogLimits.recordBytesMax, name: "payload", problem: &problem)
        else { return nil }
        offset = cursor
        previousAt = at
        return RecordView(position: position, tenant: tenant, id: id, actor: actor, payload: payload,
                          type: UInt16(truncatingIfNeeded: type), at: at)
    }

    @inlinable @inline(__always)
    static func field(_ base: UnsafeRawPointer, _ cursor: inout Int, end: Int, limit: Int, name: StaticString,
                              problem: inout String?) -> UnsafeRawBufferPointer? {
        guard let length = Varint.read(base, &cursor, end: end) else {
            problem = "bad \(name) length varint"
            return nil
        }
        guard length <= UInt64(limit) else {
            problem = "\(name) length \(length) exceeds the limit of \(limit)"
            return nil
        }
        guard UInt64(end - cursor) >= length else {
            problem = "\(name) length \(length) runs past the end of the batch"
            return nil
        }
        let bytes = UnsafeRawBufferPointer(start: base + cursor, count: Int(length))
        cursor += Int(length)
        return bytes
    }

    /// Reads the tenant and id of the record at `offset` (for idempotency lookups).
    static func key(_ base: UnsafeRawPointer, at offset: Int, end: Int) -> (tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) {
        var cursor = offset
        var problem: String?
        guard let tenant = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "tenant", problem: &problem),
              let id = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "id", problem: &problem)
        else { preconditionFailure("a staged record decodes: \(problem ?? "")") }
        return (tenant, id)
    }
}
