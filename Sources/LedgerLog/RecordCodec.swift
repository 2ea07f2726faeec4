/// The encoding of one record inside a batch's uncompressed bytes (docs/FORMAT.md,
/// "Records"). A record does not store its position: it is the batch's first position
/// plus the record's index in the batch.
///
///     varint tenant length, tenant bytes
///     varint id length,     id bytes
///     varint type (0...65535)
///     i64 at (8 bytes, little-endian, two's complement)
///     varint actor length,  actor bytes
///     varint payload length, payload bytes
enum RecordCodec {
    private static let atBytes = 8

    /// Encoded size of a record with these field sizes.
    static func encodedBytes(tenant: Int, id: Int, type: UInt16, actor: Int, payload: Int) -> Int {
        Varint.size(UInt64(tenant)) + tenant + Varint.size(UInt64(id)) + id + Varint.size(UInt64(type)) + atBytes
            + Varint.size(UInt64(actor)) + actor + Varint.size(UInt64(payload)) + payload
    }

    /// Throws when a field or the record exceeds its limit; returns the encoded size.
    static func checkLimits(tenant: Int, id: Int, type: UInt16, actor: Int, payload: Int) throws(LogError) -> Int {
        if tenant > LogLimits.keyBytesMax { throw .recordTooLarge(field: "tenant", bytes: tenant, limit: LogLimits.keyBytesMax) }
        if id > LogLimits.keyBytesMax { throw .recordTooLarge(field: "id", bytes: id, limit: LogLimits.keyBytesMax) }
        if actor > LogLimits.keyBytesMax { throw .recordTooLarge(field: "actor", bytes: actor, limit: LogLimits.keyBytesMax) }
        if payload > LogLimits.recordBytesMax {
            throw .recordTooLarge(field: "payload", bytes: payload, limit: LogLimits.recordBytesMax)
        }
        let total = encodedBytes(tenant: tenant, id: id, type: type, actor: actor, payload: payload)
        if total > LogLimits.recordBytesMax {
            throw .recordTooLarge(field: "record", bytes: total, limit: LogLimits.recordBytesMax)
        }
        return total
    }

    /// Appends the record's encoding to `buffer`; limits must have been checked.
    @inline(__always)
    static func encode(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, type: UInt16, at: Int64,
                       actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, into buffer: ByteBuffer) {
        buffer.appendVarint(UInt64(tenant.count))
        buffer.append(tenant)
        buffer.appendVarint(UInt64(id.count))
        buffer.append(id)
        buffer.appendVarint(UInt64(type))
        buffer.appendLittleEndian(at)
        buffer.appendVarint(UInt64(actor.count))
        buffer.append(actor)
        buffer.appendVarint(UInt64(payload.count))
        buffer.append(payload)
    }

    /// Decodes the record at `offset` (moved past it) of the bytes `base[0..<end]`.
    /// Returns nil with `problem` set when the framing does not check out.
    @inline(__always)
    static func decode(_ base: UnsafeRawPointer, _ offset: inout Int, end: Int, position: UInt64,
                       problem: inout String?) -> RecordView? {
        var cursor = offset
        guard let tenant = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "tenant", problem: &problem),
              let id = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "id", problem: &problem)
        else { return nil }
        guard let type = Varint.read(base, &cursor, end: end), type <= UInt64(UInt16.max) else {
            problem = "bad type varint"
            return nil
        }
        guard end - cursor >= atBytes else {
            problem = "the record ends inside its timestamp"
            return nil
        }
        let at = base.loadLittleEndian(at: cursor, as: Int64.self)
        cursor += atBytes
        guard let actor = field(base, &cursor, end: end, limit: LogLimits.keyBytesMax, name: "actor", problem: &problem),
              let payload = field(base, &cursor, end: end, limit: LogLimits.recordBytesMax, name: "payload", problem: &problem)
        else { return nil }
        offset = cursor
        return RecordView(position: position, tenant: tenant, id: id, actor: actor, payload: payload,
                          type: UInt16(truncatingIfNeeded: type), at: at)
    }

    @inline(__always)
    private static func field(_ base: UnsafeRawPointer, _ cursor: inout Int, end: Int, limit: Int, name: StaticString,
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
