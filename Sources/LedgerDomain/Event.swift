import LedgerLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// The typed events of EVENTS.md section 3.
///
/// This file is the contract between the JSON codec (which produces `Event`
/// values from lines), the binary codec (which stores them in the log), the
/// decider (which accepts or refuses them) and the projectors (which fold them).

/// An identifier or a free-text string of an event, compared code point by code
/// point (by its UTF-8 bytes), never with Unicode canonical equivalence.
///
/// Swift's `String ==` and `String.hashValue` treat `"é"` and `"e\u{301}"` as the
/// same string; EVENTS.md requires them to be different ids. Every identifier that
/// is used as a key (tenant, event id, worker, order, invitation, user...) is a
/// `Name`.
public struct Name: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var string: String

    @inlinable public init(_ string: String) { self.string = string }
    @inlinable public init(stringLiteral value: String) { self.string = value }

    @inlinable public var description: String { string }

    @inlinable public static func == (lhs: Name, rhs: Name) -> Bool {
        // Compares the contiguous UTF-8 storage eight bytes at a time: `utf8.elementsEqual`
        // walks an iterator byte by byte, and every dictionary probe of the decider and the
        // read models compares keys. Borrowed, not copied: `var copy = string` to call the
        // mutating `withUTF8` retained and released both strings on every comparison (a
        // fifth of an import's retains).
        // (Written out rather than through `withUTF8Bytes`: measured, the nested generic
        // closures left a retain per comparison that this form does not.)
        let compared = lhs.string.utf8.withContiguousStorageIfAvailable { leftBytes in
            rhs.string.utf8.withContiguousStorageIfAvailable { rightBytes in
                Name.bytesEqual(UnsafeRawBufferPointer(leftBytes), UnsafeRawBufferPointer(rightBytes))
            }
        }
        // nil only for a string without contiguous UTF-8 (bridged from another representation).
        if case .some(.some(let equal)) = compared { return equal }
        return lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    /// Whether two byte ranges hold the same bytes.
    @inlinable static func bytesEqual(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
        let count = left.count
        guard count == right.count else { return false }
        guard count > 0, let leftStart = left.baseAddress, let rightStart = right.baseAddress else { return true }
        var offset = 0
        while offset + 8 <= count {
            if leftStart.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != rightStart.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < count {
            if leftStart.load(fromByteOffset: offset, as: UInt8.self) != rightStart.load(fromByteOffset: offset, as: UInt8.self) {
                return false
            }
            offset += 1
        }
        return true
    }

    @inlinable public func hash(into hasher: inout Hasher) {
        string.withUTF8Bytes { hasher.combine(bytes: $0) }
    }

    /// What `Dictionary` and `Set` hash a name with: `KeyedHash` of its UTF-8 bytes and the
    /// table's seed, not SipHash (`Hasher`), which cost a tenth of an import's judging and of a
    /// replay of every read model. Equal names have equal bytes, so equal hashes.
    @inlinable public func _rawHashValue(seed: Int) -> Int {
        string.withUTF8Bytes { KeyedHash().hash($0, seed: UInt64(bitPattern: Int64(seed))) }
    }

    /// Lends the name's UTF-8 bytes (borrowed: see `String.withUTF8Bytes`).
    @inlinable @inline(__always) public func withUTF8Bytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try string.withUTF8Bytes(body)
    }

    /// Orders by UTF-8 bytes (which is also code point order). Compares the borrowed bytes
    /// with `memcmp`: the generic `utf8.lexicographicallyPrecedes` walked an iterator byte by
    /// byte and was an eighth of a large import's automatic snapshots (sorting a million keys).
    @inlinable public static func < (lhs: Name, rhs: Name) -> Bool {
        lhs.string.withUTF8Bytes { left in
            rhs.string.withUTF8Bytes { right in Name.bytesPrecede(left, right) }
        }
    }

    /// The first eight UTF-8 bytes as a big-endian number (zero-padded): two names whose
    /// numbers differ are ordered as those numbers are (`sortedByName`'s fast comparison).
    @inlinable static func orderPrefix(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var prefix: UInt64 = 0
        let count = min(bytes.count, 8)
        for index in 0..<count { prefix |= UInt64(bytes[index]) << UInt64(56 - 8 * index) }
        return prefix
    }

    /// Whether `left` comes before `right` in byte order (a proper prefix comes first).
    @inlinable static func bytesPrecede(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
        let common = min(left.count, right.count)
        if common > 0, let leftStart = left.baseAddress, let rightStart = right.baseAddress {
            let order = memcmp(leftStart, rightStart, common)
            if order != 0 { return order < 0 }
        }
        return left.count < right.count
    }
}

extension String {
    /// Lends the string's UTF-8 bytes: borrowed in place when they are contiguous (a native
    /// string's are, inline or on the heap), else from a contiguous copy. `withUTF8` needs a
    /// `var` (it may first make the string contiguous), and copying a string into one retains
    /// and releases its storage on every call: in a dictionary probe, on every comparison.
    @inlinable @inline(__always) public func withUTF8Bytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

/// A UTC instant with microsecond precision: microseconds since 1970-01-01T00:00:00Z.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var microseconds: Int64
    @inlinable public init(microseconds: Int64) { self.microseconds = microseconds }
    @inlinable public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }
}

/// A calendar month `YYYY-MM` (UTC).
public struct Period: Hashable, Comparable, Sendable {
    public var year: Int32
    /// 1...12
    public var month: Int32
    @inlinable public init(year: Int32, month: Int32) {
        precondition((1...12).contains(month), "month out of range")
        self.year = year
        self.month = month
    }
    /// A single ordinal, `year * 12 + month - 1`, handy as a dictionary key.
    @inlinable public var ordinal: Int32 { year * 12 + month - 1 }
    @inlinable public init(ordinal: Int32) { self.year = ordinal / 12; self.month = ordinal % 12 + 1 }
    @inlinable public static func < (lhs: Period, rhs: Period) -> Bool { lhs.ordinal < rhs.ordinal }
}

public enum EventType: UInt8, CaseIterable, Sendable {
    case invitationCreated = 1
    case invitationAccepted = 2
    case invitationRevoked = 3
    case workerRateSet = 4
    case orderPlaced = 5
    case orderAccepted = 6
    case jobAssigned = 7
    case orderSubmitted = 8
    case orderApproved = 9
    case orderRejected = 10
    case orderCompleted = 11
    case orderCancelled = 12
    case bonusAdded = 13
    case fineIssued = 14
    case payoutPaid = 15
    case invoiceIssued = 16
    case subscriptionChanged = 17
    case auditRecorded = 18

    /// The wire name of EVENTS.md as static text, e.g. `"bonus.added"`: the one table of
    /// type names (the parser and the generator compare and write it without building a String).
    public var staticName: StaticString {
        switch self {
        case .invitationCreated: "invitation.created"
        case .invitationAccepted: "invitation.accepted"
        case .invitationRevoked: "invitation.revoked"
        case .workerRateSet: "worker.rate_set"
        case .orderPlaced: "order.placed"
        case .orderAccepted: "order.accepted"
        case .jobAssigned: "job.assigned"
        case .orderSubmitted: "order.submitted"
        case .orderApproved: "order.approved"
        case .orderRejected: "order.rejected"
        case .orderCompleted: "order.completed"
        case .orderCancelled: "order.cancelled"
        case .bonusAdded: "bonus.added"
        case .fineIssued: "fine.issued"
        case .payoutPaid: "payout.paid"
        case .invoiceIssued: "invoice.issued"
        case .subscriptionChanged: "subscription.changed"
        case .auditRecorded: "audit.recorded"
        }
    }

    /// The wire name of EVENTS.md, e.g. `"bonus.added"`.
    public var name: String { staticName.description }

    /// The type for a wire name, or nil for an unknown type.
    public init?(name: String) {
        guard let found = EventType.allCases.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else { return nil }
        self = found
    }
}

public enum Role: UInt8, Sendable, CaseIterable {
    case admin = 1, manager = 2, client = 3, writer = 4
    public var name: String {
        switch self {
        case .admin: "admin"
        case .manager: "manager"
        case .client: "client"
        case .writer: "writer"
        }
    }
}

public enum SubscriptionChange: UInt8, Sendable, CaseIterable {
    case created = 1, upgraded = 2, downgraded = 3, cancelled = 4, reactivated = 5
    public var name: String {
        switch self {
        case .created: "created"
        case .upgraded: "upgraded"
        case .downgraded: "downgraded"
        case .cancelled: "cancelled"
        case .reactivated: "reactivated"
        }
    }
}

public enum Risk: UInt8, Sendable, CaseIterable {
    case low = 1, medium = 2, high = 3, critical = 4
    public var name: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        case .critical: "critical"
        }
    }
}

/// The `data` of an event, typed per EVENTS.md section 3. Amounts are cents.
public enum EventData: Hashable, Sendable {
    case invitationCreated(invitation: Name, email: Name, role: Role, expiresAt: Timestamp)
    case invitationAccepted(invitation: Name, user: Name)
    case invitationRevoked(invitation: Name)
    case workerRateSet(worker: Name, fixedMonthlyCents: Int64)
    case orderPlaced(order: Name, client: Name, title: String, priceCents: Int64)
    case orderAccepted(order: Name, manager: Name)
    case jobAssigned(order: Name, writer: Name, feeCents: Int64)
    case orderSubmitted(order: Name, submissions: Int64)
    case orderApproved(order: Name)
    case orderRejected(order: Name, reason: String)
    case orderCompleted(order: Name)
    case orderCancelled(order: Name, reason: String)
    case bonusAdded(worker: Name, amountCents: Int64, reason: String)
    case fineIssued(worker: Name, amountCents: Int64, reason: String)
    case payoutPaid(worker: Name, amountCents: Int64, reference: String)
    case invoiceIssued(worker: Name, period: Period)
    case subscriptionChanged(change: SubscriptionChange, plan: Name, mrrCents: Int64)
    /// `metadata` is the canonical JSON text of the metadata object, or nil when absent.
    case auditRecorded(action: Name, targetType: Name, targetID: Name, risk: Risk, metadata: String?)

    public var type: EventType {
        switch self {
        case .invitationCreated: .invitationCreated
        case .invitationAccepted: .invitationAccepted
        case .invitationRevoked: .invitationRevoked
        case .workerRateSet: .workerRateSet
        case .orderPlaced: .orderPlaced
        case .orderAccepted: .orderAccepted
        case .jobAssigned: .jobAssigned
        case .orderSubmitted: .orderSubmitted
        case .orderApproved: .orderApproved
        case .orderRejected: .orderRejected
        case .orderCompleted: .orderCompleted
        case .orderCancelled: .orderCancelled
        case .bonusAdded: .bonusAdded
        case .fineIssued: .fineIssued
        case .payoutPaid: .payoutPaid
        case .invoiceIssued: .invoiceIssued
        case .subscriptionChanged: .subscriptionChanged
        case .auditRecorded: .auditRecorded
        }
    }
}

/// One event as offered to the ledger, after strict validation (EVENTS.md section 1).
///
/// Two events are the same content (a `duplicate`) exactly when their `type`,
/// `at`, `actor`, `data` and `extras` are equal; `Event ==` compares exactly
/// that plus `tenant` and `id`.
public struct Event: Hashable, Sendable {
    public var tenant: Name
    public var id: Name
    public var at: Timestamp
    public var actor: Name
    public var data: EventData
    /// The unknown extra fields of `data`, as the canonical JSON text of an object
    /// holding only them (keys sorted by UTF-8 bytes, no white space), or `""`
    /// when there are none. Kept, stored and exported; ignored by projections.
    public var extras: String

    public var type: EventType { data.type }

    public init(tenant: Name, id: Name, at: Timestamp, actor: Name, data: EventData, extras: String = "") {
        self.tenant = tenant
        self.id = id
        self.at = at
        self.actor = actor
        self.data = data
        self.extras = extras
    }
}

/// The effects of an event that are fixed when it is appended (EVENTS.md section 2):
/// which writer an approval pays and how much, which fixed pay an invoice freezes,
/// which role an acceptance grants. The decider computes them; they are stored in
/// the log record beside the event, so that a fold as of a business time, or a
/// replay into balances alone, never needs to re-derive them.
public enum Effect: Hashable, Sendable {
    case none
    /// `order.approved`: the writer, fee and `submissions` of the order at the moment of
    /// approval. The submissions are fixed too: they count for the writer's invoice of the
    /// approval's period even when a fold as of a business time leaves `order.submitted` out.
    case approval(writer: Name, feeCents: Int64, submissions: Int64)
    /// `order.completed`: the writer and fee that move from pending to available.
    case completion(writer: Name, feeCents: Int64)
    /// `invoice.issued`: the fixed pay frozen (the worker's rate in effect, 0 if never set).
    case invoice(fixedPayCents: Int64)
    /// `invitation.accepted`: the role granted (the invitation's role).
    case acceptance(role: Role)
}

/// An appended event: its log position, the event, and its fixed effects.
public struct RecordedEvent: Hashable, Sendable {
    public var position: UInt64
    public var event: Event
    public var effect: Effect
    public init(position: UInt64, event: Event, effect: Effect) {
        self.position = position
        self.event = event
        self.effect = effect
    }
}

extension Sequence {
    /// The elements sorted by the byte order of `name(element)` (stable). Each name's first
    /// eight bytes are compared as one integer and the rest only on a tie: sorting a million
    /// names through `Name <` took an eighth of a large import's automatic snapshots.
    func sortedByName(_ name: (Element) -> Name) -> [Element] {
        let items = Array(self)
        let prefixes = items.map { item in name(item).withUTF8Bytes(Name.orderPrefix) }
        var order = Array(items.indices)
        order.sort { left, right in
            if prefixes[left] != prefixes[right] { return prefixes[left] < prefixes[right] }
            let (leftName, rightName) = (name(items[left]), name(items[right]))
            if leftName == rightName { return left < right }
            return leftName < rightName
        }
        return order.map { items[$0] }
    }
}

extension Sequence<Name> {
    /// The names sorted by their bytes (see `sortedByName(_:)`).
    func sortedByBytes() -> [Name] { sortedByName { $0 } }
}
