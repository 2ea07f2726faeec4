/// An event as the log's record holds it, before the rules have fixed its effect: the
/// record's tenant, id and actor bytes, its type and time, and the payload's data fields
/// (`EventBinaryCodec.encodeFields`' bytes). The decider reads events in this form, so that an
/// import judges the bytes the parser wrote, with no `String` made per line.
///
/// A view: the bytes are borrowed (from an arena of encoded lines, or from an `Event` for
/// the duration of `Event.withEncoded`).
public struct EncodedEvent {
    public var type: EventType
    public var at: Timestamp
    public var tenant: UnsafeRawBufferPointer
    public var id: UnsafeRawBufferPointer
    public var actor: UnsafeRawBufferPointer
    /// The payload without its effect part: the data fields in EVENTS.md order, then the extras.
    public var fields: UnsafeRawBufferPointer

    public init(type: EventType, at: Timestamp, tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer,
                actor: UnsafeRawBufferPointer, fields: UnsafeRawBufferPointer) {
        self.type = type
        self.at = at
        self.tenant = tenant
        self.id = id
        self.actor = actor
        self.fields = fields
    }

    /// The event with a `String` for every text (for messages and slow paths: duplicates,
    /// conflicts). The fields must be well formed, as the parser and the encoder write them.
    public func event() -> Event {
        do {
            var fields = try EventBinaryCodec.decodeFields(type: type, fields: self.fields)
            fields.tenant = Name(String(decoding: tenant, as: UTF8.self))
            fields.id = Name(String(decoding: id, as: UTF8.self))
            fields.actor = Name(String(decoding: actor, as: UTF8.self))
            fields.at = at
            return fields
        } catch {
            preconditionFailure("encoded fields that do not decode: \(error)")
        }
    }
}

/// Where one encoded event's parts are in an arena of bytes (see
/// `EventLineParser.encode(_:workspace:into:)`): tenant, id, actor and the data fields, back to
/// back, from `tenantStart` to `end`.
public struct EncodedEventLayout: Sendable {
    public var type: EventType
    public var at: Timestamp
    public var tenantStart: Int
    public var idStart: Int
    public var actorStart: Int
    public var fieldsStart: Int
    public var end: Int

    /// The layout of no event (every part empty), for a slot that holds none.
    public static let none = EncodedEventLayout(type: .auditRecorded, at: Timestamp(microseconds: 0), tenantStart: 0,
                                                idStart: 0, actorStart: 0, fieldsStart: 0, end: 0)

    init(type: EventType, at: Timestamp, tenantStart: Int, idStart: Int, actorStart: Int, fieldsStart: Int, end: Int) {
        self.type = type
        self.at = at
        self.tenantStart = tenantStart
        self.idStart = idStart
        self.actorStart = actorStart
        self.fieldsStart = fieldsStart
        self.end = end
    }

    /// The event in `arena` (the bytes the layout was made in).
    @inline(__always)
    public func event(in arena: UnsafeRawBufferPointer) -> EncodedEvent {
        EncodedEvent(
            type: type, at: at,
            tenant: UnsafeRawBufferPointer(rebasing: arena[tenantStart..<idStart]),
            id: UnsafeRawBufferPointer(rebasing: arena[idStart..<actorStart]),
            actor: UnsafeRawBufferPointer(rebasing: arena[actorStart..<fieldsStart]),
            fields: UnsafeRawBufferPointer(rebasing: arena[fieldsStart..<end]))
    }
}

extension Event {
    /// Lends the event in encoded form: its names' bytes and its data fields encoded into a
    /// temporary buffer (hand-built extras and metadata are checked canonical, as
    /// `EventBinaryCodec.encodeFields(of:)` does).
    public func withEncoded<Result>(_ body: (EncodedEvent) throws -> Result) rethrows -> Result {
        var fields: [UInt8] = []
        EventBinaryCodec.encodeFields(of: self, into: &fields)
        return try withEncoded(fields: fields, body)
    }

    /// As `withEncoded(_:)`, with the fields already encoded (`EventBinaryCodec.encodeFields(of:)`).
    public func withEncoded<Result>(fields: [UInt8], _ body: (EncodedEvent) throws -> Result) rethrows -> Result {
        try tenant.withUTF8Bytes { tenant in
            try id.withUTF8Bytes { id in
                try actor.withUTF8Bytes { actor in
                    try fields.withUnsafeBytes { fields in
                        try body(EncodedEvent(type: type, at: at, tenant: tenant, id: id, actor: actor, fields: fields))
                    }
                }
            }
        }
    }
}

/// Reads the data fields an encoder wrote (`EventBinaryCodec.encodeFields`), trusting them:
/// they come from this process's parser or encoder, never from disk, so a malformed one is a
/// broken invariant (it stops the process) rather than an error to report.
struct EncodedFieldReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inline(__always)
    mutating func varint() -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            precondition(offset < bytes.count, "encoded fields end inside a varint")
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A string field's bytes.
    @inline(__always)
    mutating func string() -> UnsafeRawBufferPointer {
        let count = Int(varint())
        precondition(count <= bytes.count - offset, "an encoded string runs past the fields")
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    @inline(__always)
    mutating func amount() -> Int64 { Int64(varint()) }

    @inline(__always)
    mutating func byte() -> UInt8 {
        precondition(offset < bytes.count, "encoded fields end before a byte")
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    mutating func timestamp() -> Timestamp { Timestamp(microseconds: EventBinaryCodec.unzigzag(varint())) }

    @inline(__always)
    mutating func period() -> Period { Period(ordinal: Int32(varint())) }
}
