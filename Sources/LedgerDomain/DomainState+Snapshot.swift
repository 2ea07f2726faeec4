import LedgerEngine

/// A compact, versioned, deterministic binary image of the decider's state, so that opening a
/// ledger can start from a snapshot and replay only the log's tail.
///
/// Layout (all integers are LEB128 varints, signed ones zigzag-encoded; a name is its UTF-8
/// byte count then its bytes; entities are sorted by (tenant bytes, id bytes), so the same
/// state always gives the same bytes):
///
/// ```
/// version                      varint (snapshotFormatVersion)
/// invitations      count, then per entry: tenant, id, status u8, role u8, expires_at zigzag
/// registered users count, then per entry: tenant, id
/// workers          count, then per entry: tenant, id, available zigzag, fixed monthly zigzag,
///                  issued period count, then the period ordinals ascending (zigzag)
/// orders           count, then per entry: tenant, id, status u8, has writer u8 (0/1),
///                  [writer], fee zigzag, submissions zigzag
/// subscriptions    count, then per entry: tenant, status u8
/// ```
///
/// Decoding accepts only this canonical form (keys strictly ascending, no trailing bytes,
/// known enum values, valid UTF-8) so that bytes(decode(bytes)) == bytes.
extension DomainState {
    /// The version of the snapshot payload written by ``snapshotBytes()``.
    public static let snapshotFormatVersion: UInt64 = 1

    /// The state as snapshot bytes (see the layout above).
    public func snapshotBytes() -> [UInt8] {
        var writer = SnapshotWriter()
        writer.unsigned(Self.snapshotFormatVersion)

        let invitationKeys = invitations.keys.sorted(by: TenantScopedName.precedes)
        writer.unsigned(UInt64(invitationKeys.count))
        for key in invitationKeys {
            let invitation = invitations[key]!
            writer.key(key)
            writer.byte(invitation.status.rawValue)
            writer.byte(invitation.role.rawValue)
            writer.signed(invitation.expiresAt.microseconds)
        }

        let userKeys = registeredUsers.sorted(by: TenantScopedName.precedes)
        writer.unsigned(UInt64(userKeys.count))
        for key in userKeys { writer.key(key) }

        let workerKeys = workers.keys.sorted(by: TenantScopedName.precedes)
        writer.unsigned(UInt64(workerKeys.count))
        for key in workerKeys {
            let worker = workers[key]!
            writer.key(key)
            writer.signed(worker.availableCents)
            writer.signed(worker.fixedMonthlyCents)
            let periods = worker.issuedPeriods.sorted()
            writer.unsigned(UInt64(periods.count))
            for period in periods { writer.signed(Int64(period)) }
        }

        let orderKeys = orders.keys.sorted(by: TenantScopedName.precedes)
        writer.unsigned(UInt64(orderKeys.count))
        for key in orderKeys {
            let order = orders[key]!
            writer.key(key)
            writer.byte(order.status.rawValue)
            if let orderWriter = order.writer {
                writer.byte(1)
                writer.name(orderWriter)
            } else {
                writer.byte(0)
            }
            writer.signed(order.feeCents)
            writer.signed(order.submissions)
        }

        let tenants = subscriptions.keys.sorted()
        writer.unsigned(UInt64(tenants.count))
        for tenant in tenants {
            writer.name(tenant)
            writer.byte(subscriptions[tenant]!.rawValue)
        }
        return writer.bytes
    }

    /// Rebuilds a state from ``snapshotBytes()``. Anything malformed (truncated, unknown
    /// version or enum value, invalid UTF-8, keys out of order, an order past `assigned`
    /// without a writer, trailing bytes) throws ``SnapshotError`` naming the offset.
    public init(snapshotBytes bytes: UnsafeRawBufferPointer) throws(SnapshotError) {
        self.init()
        var reader = SnapshotReader(bytes: bytes)
        let version = try reader.unsigned("version")
        guard version == Self.snapshotFormatVersion else {
            throw SnapshotError(offset: 0, reason: "unknown snapshot format version \(version), expected \(Self.snapshotFormatVersion)")
        }

        var previous: TenantScopedName? = nil
        let invitationsCount = try reader.count("invitation count")
        // Sized once: no rehash while loading (a growing table briefly holds old and new storage).
        invitations.reserveCapacity(invitationsCount)
        for _ in 0..<invitationsCount {
            let key = try reader.key(after: previous)
            previous = key
            let status = try reader.enumeration(InvitationStatus.self, "invitation status")
            guard status != .expired else {
                throw SnapshotError(offset: reader.offset - 1, reason: "invitation status expired is never stored by the decider")
            }
            let role = try reader.enumeration(Role.self, "invitation role")
            let expiresAt = Timestamp(microseconds: try reader.signed("invitation expires_at"))
            invitations[key] = InvitationRuleState(status: status, role: role, expiresAt: expiresAt)
        }

        previous = nil
        let registeredUsersCount = try reader.count("registered user count")
        registeredUsers.reserveCapacity(registeredUsersCount)
        for _ in 0..<registeredUsersCount {
            let key = try reader.key(after: previous)
            previous = key
            registeredUsers.insert(key)
        }

        previous = nil
        let workersCount = try reader.count("worker count")
        workers.reserveCapacity(workersCount)
        for _ in 0..<workersCount {
            let key = try reader.key(after: previous)
            previous = key
            var worker = WorkerRuleState()
            worker.availableCents = try reader.signed("worker available cents")
            worker.fixedMonthlyCents = try reader.signed("worker fixed monthly cents")
            var previousPeriod: Int64? = nil
            for _ in 0..<(try reader.count("issued period count")) {
                let start = reader.offset
                let period = try reader.signed("issued period")
                guard let ordinal = Int32(exactly: period), previousPeriod.map({ $0 < period }) ?? true else {
                    throw SnapshotError(offset: start, reason: "issued period \(period) out of range or not ascending")
                }
                previousPeriod = period
                worker.issuedPeriods.insert(ordinal)
            }
            workers[key] = worker
        }

        previous = nil
        let ordersCount = try reader.count("order count")
        orders.reserveCapacity(ordersCount)
        for _ in 0..<ordersCount {
            let key = try reader.key(after: previous)
            previous = key
            let statusOffset = reader.offset
            let status = try reader.enumeration(OrderStatus.self, "order status")
            var order = OrderRuleState(status: status)
            let hasWriterOffset = reader.offset
            switch try reader.byte("order has-writer flag") {
            case 0: order.writer = nil
            case 1: order.writer = try reader.name("order writer")
            case let other: throw SnapshotError(offset: hasWriterOffset, reason: "order has-writer flag \(other) is neither 0 nor 1")
            }
            if order.writer == nil && OrderStatusSet.needsWriter.contains(status) {
                throw SnapshotError(offset: statusOffset, reason: "order \(key.id) is \(status.name) but has no writer")
            }
            order.feeCents = try reader.signed("order fee cents")
            order.submissions = try reader.signed("order submissions")
            orders[key] = order
        }

        var previousTenant: Name? = nil
        for _ in 0..<(try reader.count("subscription count")) {
            let start = reader.offset
            let tenant = try reader.name("subscription tenant")
            if let previousTenant, !(previousTenant < tenant) {
                throw SnapshotError(offset: start, reason: "subscription tenant \(tenant) is not after \(previousTenant)")
            }
            previousTenant = tenant
            subscriptions[tenant] = try reader.enumeration(SubscriptionStatus.self, "subscription status")
        }

        guard reader.offset == bytes.count else {
            throw SnapshotError(offset: reader.offset, reason: "\(bytes.count - reader.offset) trailing bytes after the snapshot")
        }
    }
}

/// A snapshot that cannot be read: where, and why.
public struct SnapshotError: Error, Equatable, CustomStringConvertible {
    /// The byte offset in the input where the problem was found.
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "snapshot offset \(offset): \(reason)" }
}

extension TenantScopedName {
    /// Byte order of tenant, then id: the order entities are written in.
    static func precedes(_ left: TenantScopedName, _ right: TenantScopedName) -> Bool {
        if left.tenant == right.tenant { return left.id < right.id }
        return left.tenant < right.tenant
    }
}

extension OrderStatusSet {
    /// The statuses only reachable through `job.assigned`: approval and completion read the writer.
    static let needsWriter: OrderStatusSet = [.assigned, .submitted, .approved, .rejected, .completed]
}

/// Appends snapshot fields to a byte array (varints by the engine's `VarintWriter`).
struct SnapshotWriter {
    private var varints = VarintWriter()
    var bytes: [UInt8] { varints.bytes }

    mutating func byte(_ value: UInt8) { varints.bytes.append(value) }
    mutating func unsigned(_ value: UInt64) { varints.unsigned(value) }
    /// Zigzag: small negative numbers stay short.
    mutating func signed(_ value: Int64) { varints.signed(value) }

    mutating func name(_ name: Name) {
        unsigned(UInt64(name.string.utf8.count))
        varints.bytes.append(contentsOf: name.string.utf8)
    }

    mutating func key(_ key: TenantScopedName) {
        name(key.tenant)
        name(key.id)
    }

    /// A presence flag: 1 when the optional field that follows is there, else 0.
    mutating func flag(_ isPresent: Bool) { byte(isPresent ? 1 : 0) }

    /// A presence flag, then the name when present.
    mutating func optionalName(_ value: Name?) {
        flag(value != nil)
        if let value { name(value) }
    }

    /// A presence flag, then the zigzag number when present.
    mutating func optionalSigned(_ value: Int64?) {
        flag(value != nil)
        if let value { signed(value) }
    }

    /// A presence flag, then the enum's raw byte when present.
    mutating func optionalEnumeration<Value: RawRepresentable<UInt8>>(_ value: Value?) {
        flag(value != nil)
        if let value { byte(value.rawValue) }
    }
}

/// Reads snapshot fields, throwing at the first malformed one (varints by the engine's
/// `VarintReader`, which accepts only canonical encodings).
struct SnapshotReader {
    private var varints: VarintReader
    var bytes: UnsafeRawBufferPointer { varints.bytes }
    var offset: Int { varints.offset }

    init(bytes: UnsafeRawBufferPointer) { varints = VarintReader(bytes: bytes) }

    mutating func byte(_ field: @autoclosure () -> String) throws(SnapshotError) -> UInt8 {
        do { return try varints.byte(field()) } catch { throw SnapshotError(offset: error.offset, reason: error.reason) }
    }

    mutating func unsigned(_ field: @autoclosure () -> String) throws(SnapshotError) -> UInt64 {
        do { return try varints.unsigned(field()) } catch { throw SnapshotError(offset: error.offset, reason: error.reason) }
    }

    mutating func signed(_ field: @autoclosure () -> String) throws(SnapshotError) -> Int64 {
        do { return try varints.signed(field()) } catch { throw SnapshotError(offset: error.offset, reason: error.reason) }
    }

    /// A count of entries that follow; each takes at least one byte, so a count larger than
    /// what is left is malformed (and never makes the decoder loop or allocate for nothing).
    mutating func count(_ field: @autoclosure () -> String) throws(SnapshotError) -> Int {
        let start = offset
        let value = try unsigned(field())
        guard value <= UInt64(bytes.count - offset) else {
            throw SnapshotError(offset: start, reason: "\(field()) \(value) exceeds the \(bytes.count - offset) bytes left")
        }
        return Int(value)
    }

    mutating func name(_ field: String) throws(SnapshotError) -> Name {
        Name(String(decoding: try nameBytes(field), as: UTF8.self))
    }

    /// A name's UTF-8 bytes (checked), pointing into the snapshot's bytes.
    mutating func nameBytes(_ field: String) throws(SnapshotError) -> UnsafeRawBufferPointer {
        let start = offset
        let length = try count("\(field) length")
        let text = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        guard CodecUTF8.scalarCount(text) != nil else {
            throw SnapshotError(offset: start, reason: "\(field) is not valid UTF-8")
        }
        varints.skip(length)
        return text
    }

    /// A name that must come strictly after `previous` (the keys of one table, sorted by bytes).
    mutating func name(after previous: Name?, _ field: String) throws(SnapshotError) -> Name {
        let start = offset
        let name = try name(field)
        if let previous, !(previous < name) {
            throw SnapshotError(offset: start, reason: "\(field) \(name) is not after \(previous)")
        }
        return name
    }

    /// A (tenant, id) key, which must come strictly after `previous`.
    mutating func key(after previous: TenantScopedName?) throws(SnapshotError) -> TenantScopedName {
        let start = offset
        let key = TenantScopedName(try name("tenant"), try name("id"))
        if let previous, !TenantScopedName.precedes(previous, key) {
            throw SnapshotError(offset: start, reason: "key \(key.tenant)/\(key.id) is not after \(previous.tenant)/\(previous.id)")
        }
        return key
    }

    mutating func enumeration<Value: RawRepresentable<UInt8>>(_ type: Value.Type, _ field: String) throws(SnapshotError) -> Value {
        let start = offset
        let raw = try byte(field)
        guard let value = Value(rawValue: raw) else {
            throw SnapshotError(offset: start, reason: "\(field) \(raw) is unknown")
        }
        return value
    }

    /// A presence flag: exactly 0 or 1, so that one value has one encoding.
    mutating func flag(_ field: String) throws(SnapshotError) -> Bool {
        let start = offset
        switch try byte(field) {
        case 0: return false
        case 1: return true
        case let other: throw SnapshotError(offset: start, reason: "\(field) presence flag \(other) is neither 0 nor 1")
        }
    }

    /// A presence flag, then the name when present.
    mutating func optionalName(_ field: String) throws(SnapshotError) -> Name? {
        try flag(field) ? try name(field) : nil
    }

    /// A presence flag, then the zigzag number when present.
    mutating func optionalSigned(_ field: String) throws(SnapshotError) -> Int64? {
        try flag(field) ? try signed(field) : nil
    }

    /// A presence flag, then the enum's raw byte when present.
    mutating func optionalEnumeration<Value: RawRepresentable<UInt8>>(_ type: Value.Type, _ field: String) throws(SnapshotError) -> Value? {
        try flag(field) ? try enumeration(type, field) : nil
    }
}
