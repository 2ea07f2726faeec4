/// The compact binary payload of an event in the log (docs/FORMAT.md, "Event payloads").
///
/// The log record already holds tenant, id, type code, `at` and actor; the payload holds
/// the rest: the effect fixed at append time first (so a balance-only replay reads just a
/// prefix), then the `data` fields in EVENTS.md order, then the extras. Integers are
/// LEB128 varints (zigzag for the signed timestamp), strings are a varint byte count and
/// UTF-8 bytes, enums a byte.

/// A payload that does not decode: which record type, which field, where, and why.
public struct PayloadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The record's type code (`EventType.rawValue` when known).
    public var type: UInt16
    /// The field being read, e.g. `"writer"`, `"amount_cents"`, `"extras"`, `"tenant"`.
    public var field: String
    /// The byte offset in the payload where the field starts; nil for the fields of the
    /// record itself (`tenant`, `id`, `at`, `actor`, `type`).
    public var offset: Int?
    /// What is wrong, e.g. `"0 is outside [1, 10^12]"`.
    public var reason: String

    /// A payload error; `offset` nil for the record's own fields.
    public init(type: UInt16, field: String, offset: Int?, reason: String) {
        self.type = type
        self.field = field
        self.offset = offset
        self.reason = reason
    }

    /// E.g. `malformed bonus.added record: field amount_cents at payload byte 2: 0 is outside [1, 10^12]`.
    public var description: String {
        let typeName = UInt8(exactly: type).flatMap(EventType.init(rawValue:))?.name ?? "type \(type)"
        let place = offset.map { " at payload byte \($0)" } ?? ""
        return "malformed \(typeName) record: field \(field)\(place): \(reason)"
    }
}

/// What a money event does to a worker's balance (EVENTS.md section 4, journal table).
public enum MoneyMovementKind: UInt8, Sendable, CaseIterable {
    /// `order.approved`: the fee goes to pending.
    case approval = 1
    /// `order.completed`: the fee moves from pending to available.
    case completion
    /// `bonus.added`: available += amount.
    case bonus
    /// `fine.issued`: available -= amount.
    case fine
    /// `payout.paid`: available -= amount.
    case payout
    /// `invoice.issued`: the frozen fixed pay is credited to available.
    case invoice
}

/// The money an event moves, read straight from a payload.
public struct MoneyMovement {
    /// Which balance movement (the type of the event).
    public var kind: MoneyMovementKind
    /// The worker's id bytes (UTF-8), pointing into the payload: valid only as long as it is.
    public var worker: UnsafeRawBufferPointer
    /// Cents, in `0...10^12` (a zero fee or fixed pay moves nothing).
    public var amountCents: Int64
}

/// Event + Effect <-> log payload bytes.
public enum EventBinaryCodec {
    /// Appends the payload of `event` with its fixed `effect` to `payload`.
    ///
    /// The other log record fields come from the event: type code `UInt16(event.type.rawValue)`,
    /// `at.microseconds`, tenant, id and actor bytes. The effect must be the one its type
    /// carries (`.approval` for `order.approved`, `.completion` for `order.completed`,
    /// `.invoice` for `invoice.issued`, `.acceptance` for `invitation.accepted`, `.none` for
    /// every other type); anything else is a programming error and stops the program.
    ///
    /// ```swift
    /// var payload: [UInt8] = []
    /// EventBinaryCodec.encodePayload(event, effect: .approval(writer: "w-1", feeCents: 20000, submissions: 3), into: &payload)
    /// ```
    public static func encodePayload(_ event: Event, effect: Effect, into payload: inout [UInt8]) {
        encodeEffect(effect, of: event.type, into: &payload)
        encodeFields(of: event, into: &payload)
    }

    /// The first part of a payload: the effect (nothing for `.none`). A payload is this part
    /// followed by `encodeFields`' part: an importer encodes the second one while parsing,
    /// on another thread, before the rules have fixed the effect.
    public static func encodeEffect(_ effect: Effect, of type: EventType, into payload: inout [UInt8]) {
        switch (type, effect) {
        case (.invitationAccepted, .acceptance(let role)):
            payload.append(role.rawValue)
        case (.orderApproved, .approval(let writer, let feeCents, let submissions)):
            writer.withUTF8Bytes { appendApproval(writer: $0, feeCents: feeCents, submissions: submissions, into: &payload) }
        case (.orderCompleted, .completion(let writer, let feeCents)):
            writer.withUTF8Bytes { appendCompletion(writer: $0, feeCents: feeCents, into: &payload) }
        case (.invoiceIssued, .invoice(let fixedPayCents)):
            appendVarint(UInt64(checkedAmount(fixedPayCents)), to: &payload)
        case (_, .none):
            precondition(expectedEffect(of: type) == nil, "\(type.name) needs its effect, got none")
        default:
            preconditionFailure("\(type.name) cannot carry the effect \(effect)")
        }
    }

    /// The effect part of an `order.approved` payload.
    static func appendApproval(writer: UnsafeRawBufferPointer, feeCents: Int64, submissions: Int64, into payload: inout [UInt8]) {
        appendBytes(writer, to: &payload)
        appendVarint(UInt64(checkedAmount(feeCents)), to: &payload)
        appendVarint(UInt64(checkedAmount(submissions)), to: &payload)
    }

    /// The effect part of an `order.completed` payload.
    static func appendCompletion(writer: UnsafeRawBufferPointer, feeCents: Int64, into payload: inout [UInt8]) {
        appendBytes(writer, to: &payload)
        appendVarint(UInt64(checkedAmount(feeCents)), to: &payload)
    }

    /// The second part of a payload: the type's fields, then the extras (see `encodeEffect`).
    ///
    /// Extras and metadata must be canonical JSON objects (what `decode` accepts back): a
    /// hand-built event's are checked, and one that is not stops the program. With `parsed`
    /// the event comes from `EventLineParser`, which writes them only in that form, so the
    /// check (a second parse of each, a twentieth of an import's parsing thread) runs in
    /// debug builds only.
    public static func encodeFields(of event: Event, parsed: Bool = false, into payload: inout [UInt8]) {
        let type = event.type
        let values = EventFieldValues(event.data)
        if let metadata = values.metadata {
            if parsed {
                assert(canonicalProblem(metadata, isExtras: false, type: type) == nil, "the parser writes canonical metadata")
            } else {
                requireCanonicalObject(metadata, isExtras: false, type: type)
            }
        }
        if !event.extras.isEmpty {
            if parsed {
                assert(canonicalProblem(event.extras, isExtras: true, type: type) == nil, "the parser writes canonical extras")
            } else {
                requireCanonicalObject(event.extras, isExtras: true, type: type)
            }
        }
        encodeFields(type: type, EventFieldValuesWithExtras(values: values, extras: event.extras), into: &payload)
    }

    /// The payload's fields part for a `type` whose values `source` lends: the one encoder of
    /// that part, for events (`encodeFields(of:)`) and for lines read by the parser
    /// (`EventLineParser.encode`), which so write the same bytes.
    static func encodeFields<Source: EventFieldSource, Sink: ByteSink>(type: EventType, _ source: Source, into payload: inout Sink) {
        for field in EventFields.fields(of: type) {
            switch field.kind {
            case .identifier:
                source.withName(slot: field.slot) { appendBytes($0, to: &payload) }
            case .text:
                source.withText { appendBytes($0, to: &payload) }
            case .integer:
                appendVarint(UInt64(checkedAmount(source.integer)), to: &payload)
            case .timestamp:
                let timestamp = source.timestamp
                precondition(timestamp >= Timestamp.textMinimum && timestamp <= Timestamp.textMaximum,
                             "\(field.name) outside years 0000-9999")
                appendVarint(zigzag(timestamp.microseconds), to: &payload)
            case .period:
                let period = source.period
                precondition(period.ordinal >= 0 && period.ordinal < 120_000, "period outside years 0000-9999")
                appendVarint(UInt64(period.ordinal), to: &payload)
            case .role, .change, .risk:
                payload.appendByte(source.code)
            case .metadata:
                source.withMetadata { metadata in
                    if let metadata {
                        appendVarint(UInt64(metadata.count) + 1, to: &payload)
                        payload.appendBytes(metadata)
                    } else {
                        payload.appendByte(0)
                    }
                }
            }
        }
        source.withExtras { appendBytes($0, to: &payload) }
    }

    /// Stops the program unless `text` is what `decode` accepts back: a JSON object in
    /// canonical form (and, for extras, without the type's own fields). The parser only
    /// produces such texts; a hand-built event may not.
    private static func requireCanonicalObject(_ text: String, isExtras: Bool, type: EventType) {
        let problem = canonicalProblem(text, isExtras: isExtras, type: type)
        precondition(problem == nil, "\(isExtras ? "Event.extras" : "metadata") must be a canonical JSON object: \(problem?.reason ?? "")")
    }

    /// Why `text` is not what `decode` accepts back, or nil.
    private static func canonicalProblem(_ text: String, isExtras: Bool, type: EventType) -> PayloadError? {
        text.withUTF8Bytes { bytes -> PayloadError? in
            let reader = PayloadReader(bytes: UnsafeRawBufferPointer(bytes), type: UInt16(type.rawValue))
            do throws(PayloadError) {
                if isExtras {
                    try reader.checkExtrasText(UnsafeRawBufferPointer(bytes), of: type, at: 0)
                } else {
                    try reader.checkMetadataText(UnsafeRawBufferPointer(bytes), field: "metadata", at: 0)
                }
                return nil
            } catch {
                return error
            }
        }
    }

    /// Decodes a full event and its effect from a log record (tenant, id, `at` and actor
    /// come from the record). Every field is checked as the JSON parser checks it (ranges,
    /// UTF-8, enum codes, canonical extras and metadata), and the payload must end exactly
    /// after the extras: corrupt bytes give a `PayloadError`, never a crash or a silent repair.
    /// With `names`, long names (tenant, actor, workers, ...) equal to recently decoded ones
    /// share their strings (``NameCache``) instead of allocating.
    public static func decode(
        tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, type: UInt16, at: Int64,
        actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, names: NameCache? = nil
    ) throws(PayloadError) -> (Event, Effect) {
        guard let code = UInt8(exactly: type), let eventType = EventType(rawValue: code) else {
            throw PayloadError(type: type, field: "type", offset: nil, reason: "unknown event type code")
        }
        var reader = PayloadReader(bytes: payload, type: type)
        reader.names = names
        let tenantName = try reader.recordTenant(tenant)
        let idName = try reader.recordName(id, field: "id")
        let actorName = try reader.recordName(actor, field: "actor")
        guard at >= Timestamp.textMinimum.microseconds && at <= Timestamp.textMaximum.microseconds else {
            throw PayloadError(type: type, field: "at", offset: nil, reason: "\(at) µs is outside years 0000-9999")
        }

        let effect: Effect
        switch eventType {
        case .invitationAccepted:
            effect = .acceptance(role: try reader.readEnum("role (effect)", Role.init(rawValue:)))
        case .orderApproved:
            let writer = try reader.readName("writer (effect)")
            let feeCents = try reader.readInteger("fee_cents (effect)", minimum: 0)
            effect = .approval(writer: writer, feeCents: feeCents, submissions: try reader.readInteger("submissions (effect)", minimum: 0))
        case .orderCompleted:
            let writer = try reader.readName("writer (effect)")
            effect = .completion(writer: writer, feeCents: try reader.readInteger("fee_cents (effect)", minimum: 0))
        case .invoiceIssued:
            effect = .invoice(fixedPayCents: try reader.readInteger("fixed_pay_cents (effect)", minimum: 0))
        default:
            effect = .none
        }

        let (data, extras) = try readFields(of: eventType, from: &reader)
        let event = Event(tenant: tenantName, id: idName, at: Timestamp(microseconds: at), actor: actorName,
                          data: data, extras: extras)
        return (event, effect)
    }

    /// Decodes the data fields part of a payload (`encodeFields`' bytes: no effect), checked
    /// as `decode` checks them. The event's tenant, id and actor are empty and its `at` is 0:
    /// they are the record's, not the payload's.
    public static func decodeFields(type: EventType, fields: UnsafeRawBufferPointer) throws(PayloadError) -> Event {
        var reader = PayloadReader(bytes: fields, type: UInt16(type.rawValue))
        let (data, extras) = try readFields(of: type, from: &reader)
        return Event(tenant: "", id: "", at: Timestamp(microseconds: 0), actor: "", data: data, extras: extras)
    }

    /// Reads a payload's data fields and extras, from the reader's offset to the payload's end.
    private static func readFields(of eventType: EventType, from reader: inout PayloadReader) throws(PayloadError) -> (EventData, String) {
        var values = EventFieldValues()
        for field in EventFields.fields(of: eventType) {
            switch field.kind {
            case .identifier:
                values.setName(try reader.readName(field.name), slot: field.slot)
            case .text:
                values.text = reader.text(try reader.readUTF8(field.name))
            case .integer(let minimum):
                values.integer = try reader.readInteger(field.name, minimum: minimum)
            case .timestamp:
                values.timestamp = try reader.readTimestamp(field.name)
            case .period:
                values.period = try reader.readPeriod(field.name)
            case .role:
                values.code = try reader.readEnum(field.name, Role.init(rawValue:)).rawValue
            case .change:
                values.code = try reader.readEnum(field.name, SubscriptionChange.init(rawValue:)).rawValue
            case .risk:
                values.code = try reader.readEnum(field.name, Risk.init(rawValue:)).rawValue
            case .metadata:
                values.metadata = try reader.readMetadata(field.name)
            }
        }
        let extras = try reader.readExtras(of: eventType)
        try reader.expectEnd()
        return (values.eventData(of: eventType), extras)
    }

    /// The fast path of a balance-only replay: the worker and amount of a money event, read
    /// from the payload's prefix without building an `Event` or a `String`.
    ///
    /// Returns nil for the types that move no money. Only the fields it reads are checked
    /// (the worker's length, the amount's range); `decode` checks the whole payload.
    ///
    /// ```swift
    /// if let movement = try EventBinaryCodec.decodeMoney(type: record.type, payload: record.payload) {
    ///     balances.apply(movement.kind, worker: movement.worker, amount: movement.amountCents)
    /// }
    /// ```
    @inline(__always)
    public static func decodeMoney(type: UInt16, payload: UnsafeRawBufferPointer) throws(PayloadError) -> MoneyMovement? {
        var reader = PayloadReader(bytes: payload, type: type)
        switch type {
        case UInt16(EventType.orderApproved.rawValue), UInt16(EventType.orderCompleted.rawValue):
            let writer = try reader.readNonEmptyBytes("writer (effect)")
            let fee = try reader.readInteger("fee_cents (effect)", minimum: 0)
            let kind: MoneyMovementKind = type == UInt16(EventType.orderApproved.rawValue) ? .approval : .completion
            return MoneyMovement(kind: kind, worker: writer, amountCents: fee)
        case UInt16(EventType.bonusAdded.rawValue), UInt16(EventType.fineIssued.rawValue), UInt16(EventType.payoutPaid.rawValue):
            let worker = try reader.readNonEmptyBytes("worker")
            let amount = try reader.readInteger("amount_cents", minimum: 1)
            let kind: MoneyMovementKind = switch type {
            case UInt16(EventType.bonusAdded.rawValue): .bonus
            case UInt16(EventType.fineIssued.rawValue): .fine
            default: .payout
            }
            return MoneyMovement(kind: kind, worker: worker, amountCents: amount)
        case UInt16(EventType.invoiceIssued.rawValue):
            let fixedPay = try reader.readInteger("fixed_pay_cents (effect)", minimum: 0)
            let worker = try reader.readNonEmptyBytes("worker")
            return MoneyMovement(kind: .invoice, worker: worker, amountCents: fixedPay)
        default:
            guard let code = UInt8(exactly: type), EventType(rawValue: code) != nil else {
                throw PayloadError(type: type, field: "type", offset: nil, reason: "unknown event type code")
            }
            return nil
        }
    }

    /// The data fields part of a payload of `type` (what follows its effect part), for a
    /// payload that `decode` has accepted: the decider applies a logged event from its bytes.
    public static func fieldsPart(type: EventType, of payload: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var reader = EncodedFieldReader(payload)
        switch type {
        case .invitationAccepted: _ = reader.byte()
        case .orderApproved: _ = reader.string(); _ = reader.varint(); _ = reader.varint()
        case .orderCompleted: _ = reader.string(); _ = reader.varint()
        case .invoiceIssued: _ = reader.varint()
        default: break
        }
        return UnsafeRawBufferPointer(rebasing: payload[reader.offset...])
    }

    /// The effect case a type carries, or nil for `.none`.
    static func expectedEffect(of type: EventType) -> String? {
        switch type {
        case .invitationAccepted: "acceptance"
        case .orderApproved: "approval"
        case .orderCompleted: "completion"
        case .invoiceIssued: "invoice"
        default: nil
        }
    }

    // MARK: Writing

    @inline(__always)
    static func appendVarint<Sink: ByteSink>(_ value: UInt64, to output: inout Sink) {
        var rest = value
        while rest >= 0x80 {
            output.appendByte(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        output.appendByte(UInt8(rest))
    }

    @inline(__always) static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always) static func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// A string field: the byte count, then the bytes.
    @inline(__always)
    static func appendBytes<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to output: inout Sink) {
        appendVarint(UInt64(bytes.count), to: &output)
        output.appendBytes(bytes)
    }

    private static func checkedAmount(_ value: Int64) -> Int64 {
        precondition(value >= 0 && value <= EventFields.integerMaximum, "amount \(value) outside [0, 10^12]")
        return value
    }
}
