/// A record to append: everything but its position, which the writer assigns.
public struct NewRecord: Sendable, Equatable {
    /// The tenant; with `id` the idempotency key.
    public var tenant: [UInt8]
    /// The record's id, unique per tenant by the caller's rules.
    public var id: [UInt8]
    /// The caller's type code.
    public var type: UInt16
    /// Business time, microseconds since 1970-01-01T00:00:00Z (UTC).
    public var at: Int64
    /// Who did it.
    public var actor: [UInt8]
    /// Opaque bytes (the domain's encoding of the event).
    public var payload: [UInt8]

    /// Creates a record to append.
    public init(tenant: [UInt8], id: [UInt8], type: UInt16, at: Int64, actor: [UInt8], payload: [UInt8]) {
        self.tenant = tenant
        self.id = id
        self.type = type
        self.at = at
        self.actor = actor
        self.payload = payload
    }
}

/// A record read from the log, owning its bytes.
public struct LogRecord: Sendable, Equatable {
    /// Global position, from 1, gapless.
    public var position: UInt64
    public var tenant: [UInt8]
    public var id: [UInt8]
    public var type: UInt16
    /// Microseconds since 1970-01-01T00:00:00Z (UTC).
    public var at: Int64
    public var actor: [UInt8]
    public var payload: [UInt8]

    /// Creates a record.
    public init(position: UInt64, tenant: [UInt8], id: [UInt8], type: UInt16, at: Int64, actor: [UInt8], payload: [UInt8]) {
        self.position = position
        self.tenant = tenant
        self.id = id
        self.type = type
        self.at = at
        self.actor = actor
        self.payload = payload
    }

    /// The record without its position.
    public var newRecord: NewRecord {
        NewRecord(tenant: tenant, id: id, type: type, at: at, actor: actor, payload: payload)
    }
}

/// A borrowed view of a record inside a decompressed batch buffer. The buffers are
/// valid only inside the closure that received the view; copy with `materialize()`
/// to keep the record.
public struct RecordView {
    /// Global position, from 1, gapless.
    public let position: UInt64
    public let tenant: UnsafeRawBufferPointer
    public let id: UnsafeRawBufferPointer
    public let actor: UnsafeRawBufferPointer
    public let payload: UnsafeRawBufferPointer
    public let type: UInt16
    /// Microseconds since 1970-01-01T00:00:00Z (UTC).
    public let at: Int64

    @inlinable
    init(position: UInt64, tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, actor: UnsafeRawBufferPointer,
         payload: UnsafeRawBufferPointer, type: UInt16, at: Int64) {
        self.position = position
        self.tenant = tenant
        self.id = id
        self.actor = actor
        self.payload = payload
        self.type = type
        self.at = at
    }

    /// Copies the record out of the borrowed buffers.
    public func materialize() -> LogRecord {
        LogRecord(position: position, tenant: Array(tenant), id: Array(id), type: type, at: at,
                  actor: Array(actor), payload: Array(payload))
    }
}

/// The last durable position and the chain hash after it.
public struct LogHead: Sendable, Equatable, CustomStringConvertible {
    /// The last position; 0 when the log is empty.
    public var position: UInt64
    /// SHA-256 chain hash after the batch holding `position` (32 bytes); the genesis
    /// hash (32 zero bytes) when the log is empty.
    public var chainHash: [UInt8]

    /// Creates a head.
    public init(position: UInt64, chainHash: [UInt8]) {
        precondition(chainHash.count == ChainHash.byteCount, "a chain hash has 32 bytes")
        self.position = position
        self.chainHash = chainHash
    }

    /// The head of an empty log.
    public static let empty = LogHead(position: 0, chainHash: ChainHash.genesis)

    public var description: String {
        "position \(position), chain hash \(chainHash.hexString)"
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hexadecimal, two digits per byte.
    var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
