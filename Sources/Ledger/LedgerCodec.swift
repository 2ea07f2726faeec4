import LedgerDomain
import LedgerEngine
import LedgerLog

/// Bridges the domain's typed events and the log's records.
enum LedgerCodec {
    /// Lends the UTF-8 bytes of a name (native Swift strings store UTF-8 contiguously,
    /// so this copies nothing).
    @inline(__always)
    static func withBytes<Result>(of name: Name, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try name.withUTF8Bytes(body)
    }

    /// The identity hash of the event's tenant+id with `hasher` (the log's).
    static func identityHash(of event: Event, with hasher: IdentityHasher) -> UInt64 {
        withBytes(of: event.tenant) { tenant in withBytes(of: event.id) { id in hasher.hash(tenant: tenant, id: id) } }
    }

    static func decode(_ view: RecordView, names: NameCache? = nil) throws -> (Event, Effect) {
        try EventBinaryCodec.decode(
            tenant: view.tenant, id: view.id, type: view.type, at: view.at,
            actor: view.actor, payload: view.payload, names: names)
    }

    static func decode(_ record: LogRecord) throws -> (Event, Effect) {
        try record.tenant.withUnsafeBytes { tenant in
            try record.id.withUnsafeBytes { id in
                try record.actor.withUnsafeBytes { actor in
                    try record.payload.withUnsafeBytes { payload in
                        try EventBinaryCodec.decode(
                            tenant: tenant, id: id, type: record.type, at: record.at,
                            actor: actor, payload: payload)
                    }
                }
            }
        }
    }

    /// Applies a logged event to the decider's state from its record's bytes; `event` and
    /// `effect` are what `decode` made of the record (which so checked it).
    static func apply(_ view: RecordView, decoded event: Event, effect: Effect, to state: inout DomainState) {
        let encoded = EncodedEvent(type: event.type, at: event.at, tenant: view.tenant, id: view.id, actor: view.actor,
                                   fields: EventBinaryCodec.fieldsPart(type: event.type, of: view.payload))
        state.apply(encoded, effect: effect)
    }

    /// The outcome of an event whose tenant and id are already used by `stored` at `position`:
    /// a duplicate when the content is the same (EVENTS.md section 2), else a conflict.
    static func sameIdOutcome(_ event: Event, stored: Event, position: UInt64) -> AppendOutcome {
        if stored.hasSameContent(as: event) { return .duplicate(position: position) }
        return .refused(Refusal(.conflict, conflictMessage(event: event, stored: stored, position: position)))
    }

    /// A conflict message that says what differs, so the user can find the mistake.
    static func conflictMessage(event: Event, stored: Event, position: UInt64) -> String {
        var differences: [String] = []
        if event.type != stored.type { differences.append("type \(event.type.name) vs \(stored.type.name)") }
        if event.at != stored.at { differences.append("at \(event.at.canonical) vs \(stored.at.canonical)") }
        if event.actor != stored.actor { differences.append("actor \(event.actor) vs \(stored.actor)") }
        if event.data != stored.data || event.extras != stored.extras { differences.append("data differs") }
        return "id \(event.id) of tenant \(event.tenant) is already used by the event at position \(position) with different content (\(differences.joined(separator: ", ")))"
    }
}
