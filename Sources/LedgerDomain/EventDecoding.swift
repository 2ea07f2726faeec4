import LedgerEngine

/// Strict JSON line -> `Event` (EVENTS.md sections 1 and 3): every problem is an
/// `invalid` refusal whose message names the field and the reason.
///
/// One pass over the bytes, no intermediate tree for the known fields, and a `String` made
/// only for the values kept. Unknown `data` fields and `metadata` go through the generic
/// canonicaliser (`CanonicalJSONCodec`); unknown top-level fields are checked the same way and
/// dropped.
///
/// ```swift
/// let line = #"{"id":"e-1","tenant":"acme","type":"order.approved","at":"2026-03-04T10:15:00Z","actor":"u-1","data":{"order":"o-1"}}"#
/// switch EventLineParser.parse(Array(line.utf8)) {
/// case .success(let event): print(event.type.name)        // order.approved
/// case .failure(let refusal): print(refusal)              // invalid: ...
/// }
/// ```
public enum EventLineParser {
    /// A longer line is `invalid` (1 MiB).
    public static let lineBytesMax = 1_048_576
    /// `id` and `actor` hold 1 to this many Unicode code points.
    public static let identifierScalarsMax = 64
    /// `tenant` matches `[a-z0-9][a-z0-9-]{0,62}`: at most 63 bytes.
    public static let tenantBytesMax = 63

    /// Parses one non-blank line (without its trailing "\n"; a trailing "\r" and surrounding
    /// spaces/tabs are white space).
    ///
    /// Returns the event or a `Refusal(.invalid, message)` whose message names the field and
    /// the reason, e.g. `data.amount_cents must be an integer in [1, 10^12], got 5000.5`,
    /// `at "2026-01-01T10:00:00.1234567Z": more than 6 fraction digits` or
    /// `malformed JSON at byte 37: expected ',' or '}'` (byte offsets count from 0).
    public static func parse(_ line: UnsafeRawBufferPointer) -> Result<Event, Refusal> {
        parse(line, workspace: EventLineWorkspace())
    }

    /// As `parse(_:)`, reusing `workspace`'s memory (one workspace per thread).
    public static func parse(_ line: UnsafeRawBufferPointer, workspace: EventLineWorkspace) -> Result<Event, Refusal> {
        withParsed(line, workspace: workspace) { parsed in parsed.map { $0.event() } }
    }

    /// Parses one non-blank line, as `parse(_:)` does (the same checks, the same refusals),
    /// and appends the event's record fields to `arena` instead of building an `Event`: its
    /// tenant, id and actor bytes and its payload's data fields (`EventBinaryCodec.encodeFields`'
    /// bytes). No `String` is made: this is an import's hot path.
    ///
    /// ```swift
    /// let arena = ByteArena()
    /// let workspace = EventLineWorkspace()
    /// if case .success(let layout) = EventLineParser.encode(line, workspace: workspace, into: arena) {
    ///     arena.withUnsafeBytes { print(layout.event(in: $0).type.name) }
    /// }
    /// ```
    public static func encode(_ line: UnsafeRawBufferPointer, workspace: EventLineWorkspace,
                              into arena: ByteArena) -> Result<EncodedEventLayout, Refusal> {
        withParsed(line, workspace: workspace) { parsed in parsed.map { $0.encode(into: arena) } }
    }

    /// Parses one non-blank line, as `parse(_:)` does, and returns the event with its payload's
    /// data fields encoded in the same pass.
    public static func parseAndEncodeFields(_ line: UnsafeRawBufferPointer, workspace: EventLineWorkspace,
                                            into fields: inout [UInt8]) -> Result<Event, Refusal> {
        withParsed(line, workspace: workspace) { parsed in
            parsed.map { parsed in
                EventBinaryCodec.encodeFields(type: parsed.type, parsed, into: &fields)
                return parsed.event()
            }
        }
    }

    /// Parses one non-blank line, as `parse(_:)` does, and lends `body` what it read; the bytes
    /// are valid inside `body` only.
    static func withParsed<Result>(_ line: UnsafeRawBufferPointer, workspace: EventLineWorkspace,
                                   _ body: (Swift.Result<ParsedEventFields, Refusal>) throws -> Result) rethrows -> Result {
        guard line.count <= lineBytesMax else {
            return try body(.failure(Refusal(.invalid, "the line is \(line.count) bytes, longer than the limit of \(lineBytesMax)")))
        }
        workspace.prepare(lineBytes: line.count)
        var reader = EventLineReader(line, workspace: workspace)
        let fields: ParsedEventFields
        do {
            fields = try reader.readEvent()
        } catch {
            return try body(.failure(Refusal(.invalid, error.message)))
        }
        return try workspace.extras.withUnsafeBytes { extras in
            try workspace.metadata.withUnsafeBytes { metadata in
                var fields = fields
                fields.extras = extras
                if fields.hasMetadata { fields.metadata = metadata }
                return try body(.success(fields))
            }
        }
    }

    /// Parses one non-blank line; see `parse(_:)` for `UnsafeRawBufferPointer`.
    public static func parse(_ line: [UInt8]) -> Result<Event, Refusal> {
        line.withUnsafeBytes { parse($0) }
    }

    /// True for a line holding only spaces, tabs or CR (or nothing): EVENTS.md ignores it.
    public static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        for byte in line where byte != CodecByte.space && byte != CodecByte.tab && byte != CodecByte.carriageReturn {
            return false
        }
        return true
    }
}

/// The memory a parser reuses from line to line: the scanner's scratch for decoded escapes,
/// and the canonical text of the extras and metadata being read; it makes parsing a line
/// allocate nothing once warmed up. One thread at a time: it may be handed to another thread
/// (an import's parsing queue), never shared by two at once.
public final class EventLineWorkspace: @unchecked Sendable {
    // One thread at a time uses a workspace, so its accesses need none of Swift's dynamic
    // exclusivity checks (a tenth of an import's parsing thread, made on every line).
    @exclusivity(unchecked) private var scratch: UnsafeMutableRawBufferPointer
    /// The canonical JSON of the line's extras (empty when none) and of its metadata.
    @exclusivity(unchecked) var extras: [UInt8] = []
    @exclusivity(unchecked) var metadata: [UInt8] = []
    /// Values read only to be checked (unknown top-level fields, `data` before `type`).
    @exclusivity(unchecked) var discarded: [UInt8] = []
    /// The unknown `data` fields while reading them: keys and canonical values back to back
    /// in `memberBytes`, and where each is.
    @exclusivity(unchecked) var memberBytes: [UInt8] = []
    @exclusivity(unchecked) var members: [(key: Range<Int>, value: Range<Int>)] = []

    public init() {
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4_096, alignment: 8)
    }

    deinit { scratch.deallocate() }

    /// Makes room to parse a line of `lineBytes` bytes and forgets the previous line.
    func prepare(lineBytes: Int) {
        let needed = 2 * lineBytes + 8
        if scratch.count < needed {
            scratch.deallocate()
            scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(needed, 2 * scratch.count), alignment: 8)
        }
        if !extras.isEmpty { extras.removeAll(keepingCapacity: true) }
        if !metadata.isEmpty { metadata.removeAll(keepingCapacity: true) }
    }

    func scanner(for line: UnsafeRawBufferPointer) -> JSONLineScanner {
        JSONLineScanner(line, scratch: scratch)
    }
}

/// What the parser read of one line: bytes borrowed from the line or from its workspace
/// (valid as long as both are, until the workspace's next line), and the numbers.
struct ParsedEventFields: EventFieldSource {
    static var noBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    var tenant = noBytes
    var id = noBytes
    var actor = noBytes
    var type = EventType.auditRecorded
    var at = Timestamp(microseconds: 0)
    /// The identifiers by slot (`EventFieldSpec.slot`).
    var names = (noBytes, noBytes, noBytes)
    var text = noBytes
    var integer: Int64 = 0
    var timestamp = Timestamp(microseconds: 0)
    var period = Period(year: 0, month: 1)
    /// The raw value of the role, change or risk.
    var code: UInt8 = 0
    var hasMetadata = false
    /// The canonical JSON of the metadata object (set once the line is read).
    var metadata: UnsafeRawBufferPointer? = nil
    /// The canonical JSON of the extras, empty when there are none (set once the line is read).
    var extras = noBytes

    mutating func setName(_ bytes: UnsafeRawBufferPointer, slot: Int) {
        switch slot {
        case 0: names.0 = bytes
        case 1: names.1 = bytes
        default: names.2 = bytes
        }
    }

    func withName<Result>(slot: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch slot {
        case 0: try body(names.0)
        case 1: try body(names.1)
        default: try body(names.2)
        }
    }

    func withText<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result { try body(text) }
    func withMetadata<Result>(_ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result { try body(metadata) }
    func withExtras<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result { try body(extras) }

    /// The event, with a `String` for every text.
    func event() -> Event {
        var values = EventFieldValues()
        values.names = (Self.name(names.0), Self.name(names.1), Self.name(names.2))
        values.text = Self.string(text)
        values.integer = integer
        values.timestamp = timestamp
        values.period = period
        values.code = code
        values.metadata = metadata.map(Self.string)
        return Event(tenant: Self.name(tenant), id: Self.name(id), at: at, actor: Self.name(actor),
                     data: values.eventData(of: type), extras: Self.string(extras))
    }

    /// Appends the record fields (tenant, id, actor, then the payload's data fields) to `arena`
    /// and returns where they are.
    func encode(into arena: ByteArena) -> EncodedEventLayout {
        var sink = arena
        let tenantStart = arena.count
        sink.appendBytes(tenant)
        let idStart = arena.count
        sink.appendBytes(id)
        let actorStart = arena.count
        sink.appendBytes(actor)
        let fieldsStart = arena.count
        EventBinaryCodec.encodeFields(type: type, self, into: &sink)
        return EncodedEventLayout(type: type, at: at, tenantStart: tenantStart, idStart: idStart,
                                  actorStart: actorStart, fieldsStart: fieldsStart, end: arena.count)
    }

    private static func string(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    private static func name(_ bytes: UnsafeRawBufferPointer) -> Name { Name(String(decoding: bytes, as: UTF8.self)) }
}

/// The top-level fields an event keeps, as bits of a "seen" mask.
private enum TopLevelField: UInt8, CaseIterable {
    case id = 1, tenant = 2, type = 4, at = 8, actor = 16, data = 32

    static let allBits: UInt8 = 63

    init?(_ key: UnsafeRawBufferPointer) {
        switch key.count {
        case 2:
            if key.matchesLiteral("id") { self = .id } else if key.matchesLiteral("at") { self = .at } else { return nil }
        case 4:
            if key.matchesLiteral("type") { self = .type } else if key.matchesLiteral("data") { self = .data } else { return nil }
        case 5:
            guard key.matchesLiteral("actor") else { return nil }
            self = .actor
        case 6:
            guard key.matchesLiteral("tenant") else { return nil }
            self = .tenant
        default:
            return nil
        }
    }

    var name: String {
        switch self {
        case .id: "id"
        case .tenant: "tenant"
        case .type: "type"
        case .at: "at"
        case .actor: "actor"
        case .data: "data"
        }
    }
}

/// Reads one line; noncopyable because its scanner holds the workspace's scratch.
private struct EventLineReader: ~Copyable {
    var scanner: JSONLineScanner
    /// Unowned: the caller's workspace outlives the reader (a reference counted per line cost
    /// a retain and a release on every parse).
    unowned(unsafe) let workspace: EventLineWorkspace
    var fields = ParsedEventFields()

    init(_ line: UnsafeRawBufferPointer, workspace: EventLineWorkspace) {
        scanner = workspace.scanner(for: line)
        self.workspace = workspace
    }

    mutating func readEvent() throws(EventLineFailure) -> ParsedEventFields {
        scanner.skipWhitespace()
        guard scanner.peek() == CodecByte.openBrace else {
            if scanner.isAtEnd { throw EventLineFailure("the line is blank") }
            throw scanner.mismatch("the line must be a JSON object")
        }
        scanner.offset += 1
        var seen: UInt8 = 0
        var type: EventType?
        var dataIsRead = false
        var deferredDataOffset = 0
        var unknownKeys: Set<[UInt8]> = []

        scanner.skipWhitespace()
        if scanner.peek() == CodecByte.closeBrace {
            scanner.offset += 1
        } else {
            members: while true {
                scanner.skipWhitespace()
                guard scanner.peek() == CodecByte.quote else { throw scanner.syntaxError("expected a key string") }
                // The usual spelling of a known key is matched in place; any other is read.
                var field = consumeTopLevelKey()
                var key = JSONStringSlice(bytes: ParsedEventFields.noBytes, scalarCount: 0)
                if field == nil {
                    key = try scanner.readString()
                    field = TopLevelField(key.bytes)
                }
                scanner.skipWhitespace()
                try scanner.expect(CodecByte.colon, "':'")
                scanner.skipWhitespace()
                if let field {
                    guard seen & field.rawValue == 0 else { throw EventLineFailure("duplicate key \"\(field.name)\"") }
                    seen |= field.rawValue
                    switch field {
                    case .id: fields.id = try readCodePointLimitedName(field: "id")
                    case .actor: fields.actor = try readCodePointLimitedName(field: "actor")
                    case .tenant: fields.tenant = try readTenant()
                    case .type: type = try readType()
                    case .at: fields.at = try readTimestamp(field: "at")
                    case .data:
                        guard scanner.peek() == CodecByte.openBrace else { throw scanner.mismatch("data must be an object") }
                        if let type {
                            try readData(of: type)
                            dataIsRead = true
                        } else {
                            // `type` comes later: check the object now, read it once `type` is known.
                            deferredDataOffset = scanner.offset
                            workspace.discarded.removeAll(keepingCapacity: true)
                            do {
                                try CanonicalJSONCodec.copyValue(from: &scanner, depth: 1, into: &workspace.discarded)
                            } catch {
                                throw error.inField("data")
                            }
                        }
                    }
                } else {
                    guard unknownKeys.insert(Array(key.bytes)).inserted else {
                        throw EventLineFailure("duplicate key \(CanonicalJSONCodec.quoted(key.bytes))")
                    }
                    workspace.discarded.removeAll(keepingCapacity: true)
                    do {
                        try CanonicalJSONCodec.copyValue(from: &scanner, depth: 1, into: &workspace.discarded)
                    } catch {
                        throw error.inField("field \(CanonicalJSONCodec.quoted(key.bytes))")
                    }
                }
                scanner.skipWhitespace()
                switch scanner.peek() {
                case CodecByte.comma: scanner.offset += 1
                case CodecByte.closeBrace:
                    scanner.offset += 1
                    break members
                default: throw scanner.syntaxError("expected ',' or '}'")
                }
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.syntaxError("unexpected content after the JSON object") }
        if seen != TopLevelField.allBits {
            for field in TopLevelField.allCases where seen & field.rawValue == 0 {
                throw EventLineFailure("missing field \(field.name)")
            }
        }
        guard let type else { preconditionFailure("type seen but not set") }
        if !dataIsRead {
            scanner.offset = deferredDataOffset
            try readData(of: type)
        }
        fields.type = type
        return fields
    }

    /// The known top-level key at the cursor when written plainly (`"id"`, `"tenant"`...),
    /// consumed; else nil with nothing consumed.
    private mutating func consumeTopLevelKey() -> TopLevelField? {
        guard scanner.offset + 1 < scanner.bytes.count else { return nil }
        switch scanner.bytes[scanner.offset + 1] {
        case UInt8(ascii: "i"): return scanner.consumeKey("id") ? .id : nil
        case UInt8(ascii: "t"):
            if scanner.consumeKey("tenant") { return .tenant }
            return scanner.consumeKey("type") ? .type : nil
        case UInt8(ascii: "a"):
            if scanner.consumeKey("at") { return .at }
            return scanner.consumeKey("actor") ? .actor : nil
        case UInt8(ascii: "d"): return scanner.consumeKey("data") ? .data : nil
        default: return nil
        }
    }

    // MARK: Top-level fields

    /// `id` or `actor`: a string of 1 to 64 code points.
    private mutating func readCodePointLimitedName(field: StaticString) throws(EventLineFailure) -> UnsafeRawBufferPointer {
        guard scanner.peek() == CodecByte.quote else {
            throw scanner.mismatch("\(field) must be a string")
        }
        let string = try scanner.readString()
        guard string.scalarCount >= 1 && string.scalarCount <= EventLineParser.identifierScalarsMax else {
            let got = string.scalarCount == 0 ? "an empty string" : "\(string.scalarCount)"
            throw EventLineFailure("\(field) must be 1 to \(EventLineParser.identifierScalarsMax) characters (code points), got \(got)")
        }
        return string.bytes
    }

    private mutating func readTenant() throws(EventLineFailure) -> UnsafeRawBufferPointer {
        guard scanner.peek() == CodecByte.quote else {
            throw scanner.mismatch("tenant must be a string")
        }
        let bytes = try scanner.readString().bytes
        guard CodecUTF8.isTenant(bytes) else {
            throw EventLineFailure("tenant must match [a-z0-9][a-z0-9-]{0,62}, got \(CanonicalJSONCodec.quoted(bytes))")
        }
        return bytes
    }

    private mutating func readType() throws(EventLineFailure) -> EventType {
        guard scanner.peek() == CodecByte.quote else {
            throw scanner.mismatch("type must be a string")
        }
        let bytes = try scanner.readString().bytes
        guard let type = EventFields.type(named: bytes) else {
            throw EventLineFailure("unknown type \(CanonicalJSONCodec.quoted(bytes))")
        }
        return type
    }

    /// `at` or `data.expires_at`.
    /// (`field` is an autoclosure: its name is only built for a refusal.)
    private mutating func readTimestamp(field: @autoclosure () -> String) throws(EventLineFailure) -> Timestamp {
        guard scanner.peek() == CodecByte.quote else {
            throw scanner.mismatch("\(field()) must be a timestamp string")
        }
        let bytes = try scanner.readString().bytes
        switch Timestamp.parseText(bytes) {
        case .success(let microseconds): return Timestamp(microseconds: microseconds)
        case .failure(let problem): throw EventLineFailure("\(field()) \(CanonicalJSONCodec.quoted(bytes)): \(problem)")
        }
    }

    // MARK: data

    /// Reads the `data` object (its `{` at the cursor) for `type`: the typed fields into
    /// `fields`, the canonical JSON of the unknown ones into the workspace's `extras`.
    private mutating func readData(of type: EventType) throws(EventLineFailure) {
        let specs = EventFields.fields(of: type)
        var seen: UInt32 = 0
        if !workspace.memberBytes.isEmpty {
            workspace.memberBytes.removeAll(keepingCapacity: true)
            workspace.members.removeAll(keepingCapacity: true)
        }
        try scanner.expect(CodecByte.openBrace, "'{'")
        scanner.skipWhitespace()
        if scanner.peek() == CodecByte.closeBrace {
            scanner.offset += 1
        } else {
            members: while true {
                scanner.skipWhitespace()
                guard scanner.peek() == CodecByte.quote else { throw scanner.syntaxError("expected a key string") }
                // The type's own keys written plainly are matched in place; any other is read.
                var fieldIndex: Int? = nil
                for (index, spec) in specs.enumerated() where scanner.consumeKey(spec.name) {
                    fieldIndex = index
                    break
                }
                var key = JSONStringSlice(bytes: ParsedEventFields.noBytes, scalarCount: 0)
                if fieldIndex == nil {
                    key = try scanner.readString()
                    fieldIndex = specs.firstIndex(where: { key.bytes.matchesLiteral($0.name) })
                }
                scanner.skipWhitespace()
                try scanner.expect(CodecByte.colon, "':'")
                scanner.skipWhitespace()
                if let index = fieldIndex {
                    let bit: UInt32 = 1 << index
                    guard seen & bit == 0 else { throw EventLineFailure("data: duplicate key \"\(specs[index].name)\"") }
                    seen |= bit
                    try readField(specs[index])
                } else {
                    let keyStart = workspace.memberBytes.count
                    workspace.memberBytes.append(contentsOf: key.bytes)
                    let valueStart = workspace.memberBytes.count
                    do {
                        try CanonicalJSONCodec.copyValue(from: &scanner, depth: 2, into: &workspace.memberBytes)
                    } catch {
                        throw error.inField("data.\(String(decoding: key.bytes, as: UTF8.self))")
                    }
                    workspace.members.append((keyStart..<valueStart, valueStart..<workspace.memberBytes.count))
                }
                scanner.skipWhitespace()
                switch scanner.peek() {
                case CodecByte.comma: scanner.offset += 1
                case CodecByte.closeBrace:
                    scanner.offset += 1
                    break members
                default: throw scanner.syntaxError("expected ',' or '}'")
                }
            }
        }
        let required = EventFields.requiredMasks[Int(type.rawValue) - 1]
        if seen & required != required {
            for (index, field) in specs.enumerated() where field.isRequired && seen & (1 << index) == 0 {
                throw EventLineFailure("missing field data.\(field.name) (required by \(type.name))")
            }
        }
        if !workspace.members.isEmpty {
            do {
                try CanonicalJSONCodec.appendObject(members: &workspace.members, bytes: workspace.memberBytes, to: &workspace.extras)
            } catch {
                throw error.inField("data")
            }
        }
    }

    private mutating func readField(_ field: EventFieldSpec) throws(EventLineFailure) {
        switch field.kind {
        case .identifier:
            let bytes = try readString(field, expecting: "a non-empty string")
            guard bytes.count > 0 else { throw EventLineFailure("data.\(field.name) must be a non-empty string, got an empty string") }
            fields.setName(bytes, slot: field.slot)
        case .text:
            fields.text = try readString(field, expecting: "a string")
        case .integer(let minimum):
            fields.integer = try readInteger(field, minimum: minimum)
        case .timestamp:
            fields.timestamp = try readTimestamp(field: "data.\(field.name)")
        case .period:
            let bytes = try readString(field, expecting: "a YYYY-MM string")
            guard let period = Period.parseText(bytes) else {
                throw EventLineFailure("data.\(field.name) must be YYYY-MM with a month 01-12, got \(CanonicalJSONCodec.quoted(bytes))")
            }
            fields.period = period
        case .role:
            let bytes = try readString(field, expecting: "one of admin, manager, client, writer")
            guard let role = EventFields.role(named: bytes) else {
                throw EventLineFailure("data.\(field.name) must be one of admin, manager, client, writer, got \(CanonicalJSONCodec.quoted(bytes))")
            }
            fields.code = role.rawValue
        case .change:
            let expected = "one of created, upgraded, downgraded, cancelled, reactivated"
            let bytes = try readString(field, expecting: expected)
            guard let change = EventFields.change(named: bytes) else {
                throw EventLineFailure("data.\(field.name) must be \(expected), got \(CanonicalJSONCodec.quoted(bytes))")
            }
            fields.code = change.rawValue
        case .risk:
            let bytes = try readString(field, expecting: "one of low, medium, high, critical")
            guard let risk = EventFields.risk(named: bytes) else {
                throw EventLineFailure("data.\(field.name) must be one of low, medium, high, critical, got \(CanonicalJSONCodec.quoted(bytes))")
            }
            fields.code = risk.rawValue
        case .metadata:
            guard scanner.peek() == CodecByte.openBrace else {
                throw scanner.mismatch("data.\(field.name) must be an object")
            }
            workspace.metadata.removeAll(keepingCapacity: true)
            do {
                try CanonicalJSONCodec.copyValue(from: &scanner, depth: 2, into: &workspace.metadata)
            } catch {
                throw error.inField("data.\(field.name)")
            }
            fields.hasMetadata = true
        }
    }

    /// The decoded bytes of a string field, or a refusal naming what was expected.
    private mutating func readString(_ field: EventFieldSpec, expecting expected: String) throws(EventLineFailure) -> UnsafeRawBufferPointer {
        guard scanner.peek() == CodecByte.quote else {
            throw scanner.mismatch("data.\(field.name) must be \(expected)")
        }
        return try scanner.readString().bytes
    }

    private mutating func readInteger(_ field: EventFieldSpec, minimum: Int64) throws(EventLineFailure) -> Int64 {
        var expected: String { "an integer in [\(minimum), 10^12]" }
        guard let first = scanner.peek(), first == CodecByte.minus || CodecByte.isDigit(first) else {
            if scanner.peek() == CodecByte.quote {
                let bytes = try scanner.readString().bytes
                throw EventLineFailure("data.\(field.name) must be \(expected), got the string \(CanonicalJSONCodec.quoted(bytes))")
            }
            throw scanner.mismatch("data.\(field.name) must be \(expected)")
        }
        let token = try scanner.readNumber()
        guard let value = scanner.integerValue(of: token, maximum: EventFields.integerMaximum), value >= minimum else {
            throw EventLineFailure("data.\(field.name) must be \(expected), got \(scanner.text(of: token.start..<token.end))")
        }
        return value
    }
}
