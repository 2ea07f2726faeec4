/// The `data` fields of each event type (EVENTS.md section 3) as one table, read by the
/// JSON decoder, the line writer and the binary codec, so that the three agree on names,
/// kinds, ranges and order.

/// What a `data` field holds and how it is checked.
enum EventFieldKind: Sendable, Equatable {
    /// A non-empty string, kept as a `Name`.
    case identifier
    /// Any string, empty included.
    case text
    /// A JSON integer (no fraction, no exponent; `-0` reads as 0) in `minimum...10^12`.
    case integer(minimum: Int64)
    /// The timestamp grammar of `at`.
    case timestamp
    /// `YYYY-MM` with a month 01-12.
    case period
    case role
    case change
    case risk
    /// Optional; when present a JSON object, kept as canonical JSON text.
    case metadata
}

/// One `data` field of one event type.
struct EventFieldSpec: Sendable {
    let name: StaticString
    let kind: EventFieldKind
    /// Which `EventFieldValues` slot holds it, among the slots of its kind (identifiers 0-2).
    let slot: Int

    var isRequired: Bool { kind != .metadata }
}

enum EventFields {
    /// The largest amount (cents) or `submissions` count: 10^12.
    static let integerMaximum: Int64 = 1_000_000_000_000

    /// The wire names of the event types, indexed by `EventType.rawValue - 1`.
    static let typeNames: [StaticString] = EventType.allCases.map(\.staticName)

    /// Each type's fields in the order of EVENTS.md, which is also their order in the binary
    /// payload; indexed by `EventType.rawValue - 1`.
    static let table: [[EventFieldSpec]] = [
        // invitation.created
        [.init(name: "invitation", kind: .identifier, slot: 0), .init(name: "email", kind: .identifier, slot: 1),
         .init(name: "role", kind: .role, slot: 0), .init(name: "expires_at", kind: .timestamp, slot: 0)],
        // invitation.accepted
        [.init(name: "invitation", kind: .identifier, slot: 0), .init(name: "user", kind: .identifier, slot: 1)],
        // invitation.revoked
        [.init(name: "invitation", kind: .identifier, slot: 0)],
        // worker.rate_set
        [.init(name: "worker", kind: .identifier, slot: 0), .init(name: "fixed_monthly_cents", kind: .integer(minimum: 0), slot: 0)],
        // order.placed
        [.init(name: "order", kind: .identifier, slot: 0), .init(name: "client", kind: .identifier, slot: 1),
         .init(name: "title", kind: .text, slot: 0), .init(name: "price_cents", kind: .integer(minimum: 0), slot: 0)],
        // order.accepted
        [.init(name: "order", kind: .identifier, slot: 0), .init(name: "manager", kind: .identifier, slot: 1)],
        // job.assigned
        [.init(name: "order", kind: .identifier, slot: 0), .init(name: "writer", kind: .identifier, slot: 1),
         .init(name: "fee_cents", kind: .integer(minimum: 0), slot: 0)],
        // order.submitted
        [.init(name: "order", kind: .identifier, slot: 0), .init(name: "submissions", kind: .integer(minimum: 1), slot: 0)],
        // order.approved
        [.init(name: "order", kind: .identifier, slot: 0)],
        // order.rejected
        [.init(name: "order", kind: .identifier, slot: 0), .init(name: "reason", kind: .text, slot: 0)],
        // order.completed
        [.init(name: "order", kind: .identifier, slot: 0)],
        // order.cancelled
        [.init(name: "order", kind: .identifier, slot: 0), .init(name: "reason", kind: .text, slot: 0)],
        // bonus.added
        [.init(name: "worker", kind: .identifier, slot: 0), .init(name: "amount_cents", kind: .integer(minimum: 1), slot: 0),
         .init(name: "reason", kind: .text, slot: 0)],
        // fine.issued
        [.init(name: "worker", kind: .identifier, slot: 0), .init(name: "amount_cents", kind: .integer(minimum: 1), slot: 0),
         .init(name: "reason", kind: .text, slot: 0)],
        // payout.paid
        [.init(name: "worker", kind: .identifier, slot: 0), .init(name: "amount_cents", kind: .integer(minimum: 1), slot: 0),
         .init(name: "reference", kind: .text, slot: 0)],
        // invoice.issued
        [.init(name: "worker", kind: .identifier, slot: 0), .init(name: "period", kind: .period, slot: 0)],
        // subscription.changed
        [.init(name: "change", kind: .change, slot: 0), .init(name: "plan", kind: .identifier, slot: 0),
         .init(name: "mrr_cents", kind: .integer(minimum: 0), slot: 0)],
        // audit.recorded
        [.init(name: "action", kind: .identifier, slot: 0), .init(name: "target_type", kind: .identifier, slot: 1),
         .init(name: "target_id", kind: .identifier, slot: 2), .init(name: "risk", kind: .risk, slot: 0),
         .init(name: "metadata", kind: .metadata, slot: 0)],
    ]

    /// The same fields sorted by the UTF-8 bytes of their names: the canonical JSON order.
    static let sortedTable: [[EventFieldSpec]] = table.map { fields in
        fields.sorted { bytes(of: $0.name).lexicographicallyPrecedes(bytes(of: $1.name)) }
    }

    /// Per type, a bit per field of `table` (bit i = field i) for the required ones.
    static let requiredMasks: [UInt32] = table.map { fields in
        var mask: UInt32 = 0
        for (index, field) in fields.enumerated() where field.isRequired { mask |= 1 << index }
        return mask
    }

    @inline(__always) static func fields(of type: EventType) -> [EventFieldSpec] {
        table[Int(type.rawValue) - 1]
    }

    static func bytes(of literal: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    /// The type whose wire name is `bytes`, compared byte for byte: the one candidate its
    /// length and one or two of its bytes leave among the 18 names is compared in full.
    static func type(named bytes: UnsafeRawBufferPointer) -> EventType? {
        guard bytes.count >= 11 && bytes.count <= 20 else { return nil }
        let candidate: EventType
        switch (bytes.count, bytes[0]) {
        case (11, UInt8(ascii: "b")): candidate = .bonusAdded
        case (11, UInt8(ascii: "f")): candidate = .fineIssued
        case (11, UInt8(ascii: "p")): candidate = .payoutPaid
        case (12, UInt8(ascii: "o")): candidate = .orderPlaced
        case (12, UInt8(ascii: "j")): candidate = .jobAssigned
        case (14, UInt8(ascii: "i")): candidate = .invoiceIssued
        case (14, UInt8(ascii: "a")): candidate = .auditRecorded
        case (14, UInt8(ascii: "o")):
            // order.accepted, order.approved, order.rejected
            switch bytes[7] {
            case UInt8(ascii: "c"): candidate = .orderAccepted
            case UInt8(ascii: "p"): candidate = .orderApproved
            default: candidate = .orderRejected
            }
        case (15, UInt8(ascii: "w")): candidate = .workerRateSet
        case (15, UInt8(ascii: "o")):
            // order.submitted, order.completed, order.cancelled
            switch bytes[7] {
            case UInt8(ascii: "u"): candidate = .orderSubmitted
            case UInt8(ascii: "o"): candidate = .orderCompleted
            default: candidate = .orderCancelled
            }
        case (18, _): candidate = bytes[11] == UInt8(ascii: "c") ? .invitationCreated : .invitationRevoked
        case (19, _): candidate = .invitationAccepted
        case (20, _): candidate = .subscriptionChanged
        default: return nil
        }
        return bytes.matchesLiteral(candidate.staticName) ? candidate : nil
    }

    static func role(named bytes: UnsafeRawBufferPointer) -> Role? {
        if bytes.matchesLiteral("admin") { return .admin }
        if bytes.matchesLiteral("manager") { return .manager }
        if bytes.matchesLiteral("client") { return .client }
        if bytes.matchesLiteral("writer") { return .writer }
        return nil
    }

    static func change(named bytes: UnsafeRawBufferPointer) -> SubscriptionChange? {
        if bytes.matchesLiteral("created") { return .created }
        if bytes.matchesLiteral("upgraded") { return .upgraded }
        if bytes.matchesLiteral("downgraded") { return .downgraded }
        if bytes.matchesLiteral("cancelled") { return .cancelled }
        if bytes.matchesLiteral("reactivated") { return .reactivated }
        return nil
    }

    static func risk(named bytes: UnsafeRawBufferPointer) -> Risk? {
        if bytes.matchesLiteral("low") { return .low }
        if bytes.matchesLiteral("medium") { return .medium }
        if bytes.matchesLiteral("high") { return .high }
        if bytes.matchesLiteral("critical") { return .critical }
        return nil
    }
}

/// What the payload encoder reads of one event's `data` fields, by slot (`EventFieldSpec.slot`):
/// an event's values (`EventFieldValues`) or the bytes the parser read (`ParsedEventFields`).
protocol EventFieldSource {
    func withName<Result>(slot: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
    func withText<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
    var integer: Int64 { get }
    var timestamp: Timestamp { get }
    var period: Period { get }
    /// The raw value of the role, change or risk.
    var code: UInt8 { get }
    /// The canonical JSON of the metadata object, nil when absent.
    func withMetadata<Result>(_ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result
    /// The canonical JSON of the extras, empty when there are none.
    func withExtras<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}

/// An event's values and its extras, as the payload encoder reads them.
struct EventFieldValuesWithExtras: EventFieldSource {
    var values: EventFieldValues
    var extras: String

    func withName<Result>(slot: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try values.name(slot: slot).withUTF8Bytes(body)
    }
    func withText<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result { try values.text.withUTF8Bytes(body) }
    var integer: Int64 { values.integer }
    var timestamp: Timestamp { values.timestamp }
    var period: Period { values.period }
    var code: UInt8 { values.code }
    func withMetadata<Result>(_ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result {
        guard let metadata = values.metadata else { return try body(nil) }
        return try metadata.withUTF8Bytes { try body($0) }
    }
    func withExtras<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result { try extras.withUTF8Bytes(body) }
}

/// The values of one event's `data` fields, by slot, between the readers (JSON, binary)
/// and `EventData`.
struct EventFieldValues {
    var names: (Name, Name, Name) = (Name(""), Name(""), Name(""))
    var text = ""
    var integer: Int64 = 0
    var timestamp = Timestamp(microseconds: 0)
    var period = Period(year: 0, month: 1)
    /// The raw value of the role, change or risk.
    var code: UInt8 = 0
    var metadata: String?

    init() {}

    init(_ data: EventData) {
        switch data {
        case .invitationCreated(let invitation, let email, let role, let expiresAt):
            names.0 = invitation; names.1 = email; code = role.rawValue; timestamp = expiresAt
        case .invitationAccepted(let invitation, let user):
            names.0 = invitation; names.1 = user
        case .invitationRevoked(let invitation):
            names.0 = invitation
        case .workerRateSet(let worker, let fixedMonthlyCents):
            names.0 = worker; integer = fixedMonthlyCents
        case .orderPlaced(let order, let client, let title, let priceCents):
            names.0 = order; names.1 = client; text = title; integer = priceCents
        case .orderAccepted(let order, let manager):
            names.0 = order; names.1 = manager
        case .jobAssigned(let order, let writer, let feeCents):
            names.0 = order; names.1 = writer; integer = feeCents
        case .orderSubmitted(let order, let submissions):
            names.0 = order; integer = submissions
        case .orderApproved(let order), .orderCompleted(let order):
            names.0 = order
        case .orderRejected(let order, let reason), .orderCancelled(let order, let reason):
            names.0 = order; text = reason
        case .bonusAdded(let worker, let amountCents, let reason), .fineIssued(let worker, let amountCents, let reason):
            names.0 = worker; integer = amountCents; text = reason
        case .payoutPaid(let worker, let amountCents, let reference):
            names.0 = worker; integer = amountCents; text = reference
        case .invoiceIssued(let worker, let period):
            names.0 = worker; self.period = period
        case .subscriptionChanged(let change, let plan, let mrrCents):
            code = change.rawValue; names.0 = plan; integer = mrrCents
        case .auditRecorded(let action, let targetType, let targetID, let risk, let metadata):
            names.0 = action; names.1 = targetType; names.2 = targetID; code = risk.rawValue; self.metadata = metadata
        }
    }

    func name(slot: Int) -> Name {
        switch slot {
        case 0: names.0
        case 1: names.1
        default: names.2
        }
    }

    mutating func setName(_ name: Name, slot: Int) {
        switch slot {
        case 0: names.0 = name
        case 1: names.1 = name
        default: names.2 = name
        }
    }

    /// The typed data. The readers have checked `code` against the field's enum.
    func eventData(of type: EventType) -> EventData {
        switch type {
        case .invitationCreated:
            .invitationCreated(invitation: names.0, email: names.1, role: Self.decoded(Role(rawValue: code)), expiresAt: timestamp)
        case .invitationAccepted: .invitationAccepted(invitation: names.0, user: names.1)
        case .invitationRevoked: .invitationRevoked(invitation: names.0)
        case .workerRateSet: .workerRateSet(worker: names.0, fixedMonthlyCents: integer)
        case .orderPlaced: .orderPlaced(order: names.0, client: names.1, title: text, priceCents: integer)
        case .orderAccepted: .orderAccepted(order: names.0, manager: names.1)
        case .jobAssigned: .jobAssigned(order: names.0, writer: names.1, feeCents: integer)
        case .orderSubmitted: .orderSubmitted(order: names.0, submissions: integer)
        case .orderApproved: .orderApproved(order: names.0)
        case .orderRejected: .orderRejected(order: names.0, reason: text)
        case .orderCompleted: .orderCompleted(order: names.0)
        case .orderCancelled: .orderCancelled(order: names.0, reason: text)
        case .bonusAdded: .bonusAdded(worker: names.0, amountCents: integer, reason: text)
        case .fineIssued: .fineIssued(worker: names.0, amountCents: integer, reason: text)
        case .payoutPaid: .payoutPaid(worker: names.0, amountCents: integer, reference: text)
        case .invoiceIssued: .invoiceIssued(worker: names.0, period: period)
        case .subscriptionChanged:
            .subscriptionChanged(change: Self.decoded(SubscriptionChange(rawValue: code)), plan: names.0, mrrCents: integer)
        case .auditRecorded:
            .auditRecorded(action: names.0, targetType: names.1, targetID: names.2, risk: Self.decoded(Risk(rawValue: code)), metadata: metadata)
        }
    }

    private static func decoded<Value>(_ value: Value?) -> Value {
        guard let value else { preconditionFailure("enum code not checked by the reader") }
        return value
    }
}
