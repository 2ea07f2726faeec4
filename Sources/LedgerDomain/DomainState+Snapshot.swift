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

        let invitationIndexes = sortedIndexes(invitationKeys)
        writer.unsigned(UInt64(invitationIndexes.count))
        for index in invitationIndexes {
            let invitation = invitations[Int(index)]
            key(index, of: invitationKeys, to: &writer)
            writer.byte(invitation.status.rawValue)
            writer.byte(invitation.role.rawValue)
            writer.signed(invitation.expiresAt.microseconds)
        }

        let userIndexes = sortedIndexes(userKeys)
        writer.unsigned(UInt64(userIndexes.count))
        for index in userIndexes { key(index, of: userKeys, to: &writer) }

        // Workers the rules know of: an order's writer is numbered in the same table before
        // any money or pay event names it, and the rules see no difference.
        let workerIndexes = sortedIndexes(workerKeys).filter { workers[Int($0)].isKnown }
        writer.unsigned(UInt64(workerIndexes.count))
        for index in workerIndexes {
            let worker = workers[Int(index)]
            key(index, of: workerKeys, to: &writer)
            writer.signed(worker.availableCents)
            writer.signed(worker.fixedMonthlyCents)
            writer.unsigned(UInt64(worker.issuedPeriods.count))
            for period in worker.issuedPeriods { writer.signed(Int64(period)) }
        }

        let orderIndexes = sortedIndexes(orderKeys)
        writer.unsigned(UInt64(orderIndexes.count))
        for index in orderIndexes {
            let order = orders[Int(index)]
            key(index, of: orderKeys, to: &writer)
            writer.byte(order.status.rawValue)
            if order.writer >= 0 {
                writer.byte(1)
                workerKeys.withKey(at: order.writer) { writer.bytes($0) }
            } else {
                writer.byte(0)
            }
            writer.signed(order.feeCents)
            writer.signed(order.submissions)
        }

        let tenantIndexes = sortedIndexes(tenantKeys).filter { subscriptions[Int($0)] != nil }
        writer.unsigned(UInt64(tenantIndexes.count))
        for index in tenantIndexes {
            tenantKeys.withKey(at: index) { writer.bytes($0) }
            writer.byte(subscriptions[Int(index)]!.rawValue)
        }
        return writer.bytes
    }

    /// The entries of `keys` sorted by (tenant bytes, id bytes): the order entities are
    /// written in. Each entry is first compared by its tenant's rank and the first eight
    /// bytes of its id as integers, and by the bytes only on a tie. (The tenants' own table has
    /// one scope, so its entries share a rank and sort by their keys.)
    private func sortedIndexes(_ keys: ScopedKeyTable) -> [Int32] {
        var tenantRanks = [Int](repeating: 0, count: tenantKeys.count)
        let tenantOrder = (0..<Int32(tenantKeys.count)).sorted { left, right in
            tenantKeys.withKey(at: left) { leftKey in tenantKeys.withKey(at: right) { rightKey in Name.bytesPrecede(leftKey, rightKey) } }
        }
        for (rank, tenant) in tenantOrder.enumerated() { tenantRanks[Int(tenant)] = rank }
        let ranks = (0..<Int32(keys.count)).map { tenantRanks[Int(keys.scope(at: $0))] }
        let prefixes = (0..<Int32(keys.count)).map { keys.withKey(at: $0, Name.orderPrefix) }
        var indexes = Array(0..<Int32(keys.count))
        indexes.sort { left, right in
            let (leftRank, rightRank) = (ranks[Int(left)], ranks[Int(right)])
            if leftRank != rightRank { return leftRank < rightRank }
            let (leftPrefix, rightPrefix) = (prefixes[Int(left)], prefixes[Int(right)])
            if leftPrefix != rightPrefix { return leftPrefix < rightPrefix }
            return keys.withKey(at: left) { leftKey in keys.withKey(at: right) { rightKey in Name.bytesPrecede(leftKey, rightKey) } }
        }
        return indexes
    }

    /// Writes the (tenant, id) key of the entry at `index` of `keys`.
    private func key(_ index: Int32, of keys: ScopedKeyTable, to writer: inout SnapshotWriter) {
        tenantKeys.withKey(at: Int32(keys.scope(at: index))) { writer.bytes($0) }
        keys.withKey(at: index) { writer.bytes($0) }
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

        var previous: (tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer)? = nil
        let invitationsCount = try reader.count("invitation count")
        // Sized once: no re-placement while loading.
        invitationKeys.reserve(invitationsCount)
        invitations.reserveCapacity(invitationsCount)
        for _ in 0..<invitationsCount {
            let key = try reader.keyBytes(after: previous)
            previous = key
            let status = try reader.enumeration(InvitationStatus.self, "invitation status")
            guard status != .expired else {
                throw SnapshotError(offset: reader.offset - 1, reason: "invitation status expired is never stored by the decider")
            }
            let role = try reader.enumeration(Role.self, "invitation role")
            let expiresAt = Timestamp(microseconds: try reader.signed("invitation expires_at"))
            _ = invitationKeys.findOrInsert(scope: tenantScope(key.tenant), key.id)
            invitations.append(InvitationRuleState(status: status, role: role, expiresAt: expiresAt))
        }

        previous = nil
        let registeredUsersCount = try reader.count("registered user count")
        userKeys.reserve(registeredUsersCount)
        for _ in 0..<registeredUsersCount {
            let key = try reader.keyBytes(after: previous)
            previous = key
            _ = userKeys.findOrInsert(scope: tenantScope(key.tenant), key.id)
        }

        previous = nil
        let workersCount = try reader.count("worker count")
        workerKeys.reserve(workersCount)
        workers.reserveCapacity(workersCount)
        for _ in 0..<workersCount {
            let key = try reader.keyBytes(after: previous)
            previous = key
            var worker = WorkerRuleState(isKnown: true)
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
                worker.issuedPeriods.append(ordinal)
            }
            let index = workerIndex(scope: tenantScope(key.tenant), key.id)
            workers[Int(index)] = worker
        }

        previous = nil
        let ordersCount = try reader.count("order count")
        orderKeys.reserve(ordersCount)
        orders.reserveCapacity(ordersCount)
        for _ in 0..<ordersCount {
            let key = try reader.keyBytes(after: previous)
            previous = key
            let scope = tenantScope(key.tenant)
            let statusOffset = reader.offset
            let status = try reader.enumeration(OrderStatus.self, "order status")
            var order = OrderRuleState(status: status)
            let hasWriterOffset = reader.offset
            switch try reader.byte("order has-writer flag") {
            case 0: order.writer = -1
            case 1: order.writer = workerIndex(scope: scope, try reader.nameBytes("order writer"))
            case let other: throw SnapshotError(offset: hasWriterOffset, reason: "order has-writer flag \(other) is neither 0 nor 1")
            }
            if order.writer < 0 && OrderStatusSet.needsWriter.contains(status) {
                throw SnapshotError(offset: statusOffset, reason: "order \(String(decoding: key.id, as: UTF8.self)) is \(status.name) but has no writer")
            }
            order.feeCents = try reader.signed("order fee cents")
            order.submissions = try reader.signed("order submissions")
            _ = orderKeys.findOrInsert(scope: scope, key.id)
            orders.append(order)
        }

        var previousTenant: UnsafeRawBufferPointer? = nil
        for _ in 0..<(try reader.count("subscription count")) {
            let start = reader.offset
            let tenant = try reader.nameBytes("subscription tenant")
            if let previousTenant, !Name.bytesPrecede(previousTenant, tenant) {
                throw SnapshotError(offset: start, reason: "subscription tenant \(String(decoding: tenant, as: UTF8.self)) is not after \(String(decoding: previousTenant, as: UTF8.self))")
            }
            previousTenant = tenant
            let scope = tenantScope(tenant)
            subscriptions[Int(scope)] = try reader.enumeration(SubscriptionStatus.self, "subscription status")
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

    /// A name given by its UTF-8 bytes.
    mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
        unsigned(UInt64(bytes.count))
        varints.bytes.append(contentsOf: bytes)
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

    /// A (tenant, id) key's bytes, pointing into the snapshot's bytes, which must come
    /// strictly after `previous` (byte order of tenant, then id).
    mutating func keyBytes(after previous: (tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer)?)
        throws(SnapshotError) -> (tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer)
    {
        let start = offset
        let key = (tenant: try nameBytes("tenant"), id: try nameBytes("id"))
        if let previous {
            let isAfter = Name.bytesEqual(previous.tenant, key.tenant)
                ? Name.bytesPrecede(previous.id, key.id) : Name.bytesPrecede(previous.tenant, key.tenant)
            if !isAfter {
                func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
                throw SnapshotError(
                    offset: start,
                    reason: "key \(text(key.tenant))/\(text(key.id)) is not after \(text(previous.tenant))/\(text(previous.id))")
            }
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
