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
        guard line.count <= lineBytesMax else {
            return .failure(Refusal(.invalid, "the line is \(line.count) bytes, longer than the limit of \(lineBytesMax)"))
        }
        var reader = EventLineReader(line)
        do {
            return .success(try reader.readEvent())
        } catch {
            return .failure(Refusal(.invalid, error.message))
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

/// Reads one line; noncopyable because its scanner owns scratch memory.
private struct EventLineReader: ~Copyable {
    var scanner: JSONLineScanner

    init(_ line: UnsafeRawBufferPointer) {
        scanner = JSONLineScanner(line)
    }

    mutating func readEvent() throws(EventLineFailure) -> Event {
        scanner.skipWhitespace()
        guard scanner.peek() == CodecByte.openBrace else {
            if scanner.isAtEnd { throw EventLineFailure("the line is blank") }
            throw scanner.mismatch("the line must be a JSON object")
        }
        scanner.offset += 1
        var seen: UInt8 = 0
        var id = Name("")
        var tenant = Name("")
        var actor = Name("")
        var type: EventType?
        var at = Timestamp(microseconds: 0)
        var data: (EventData, String)?
        var deferredDataOffset = 0
        var unknownKeys: Set<[UInt8]> = []
        var discarded: [UInt8] = []

        scanner.skipWhitespace()
        if scanner.peek() == CodecByte.closeBrace {
            scanner.offset += 1
        } else {
            members: while true {
                scanner.skipWhitespace()
                guard scanner.peek() == CodecByte.quote else { throw scanner.syntaxError("expected a key string") }
                let key = try scanner.readString()
                scanner.skipWhitespace()
                try scanner.expect(CodecByte.colon, "':'")
                scanner.skipWhitespace()
                if let field = TopLevelField(key.bytes) {
                    guard seen & field.rawValue == 0 else { throw EventLineFailure("duplicate key \"\(field.name)\"") }
                    seen |= field.rawValue
                    switch field {
                    case .id: id = try readCodePointLimitedName(field: "id")
                    case .actor: actor = try readCodePointLimitedName(field: "actor")
                    case .tenant: tenant = try readTenant()
                    case .type: type = try readType()
                    case .at: at = try readTimestamp(field: "at")
                    case .data:
                        guard scanner.peek() == CodecByte.openBrace else { throw scanner.mismatch("data must be an object") }
                        if let type {
                            data = try readData(of: type)
                        } else {
                            // `type` comes later: check the object now, read it once `type` is known.
                            deferredDataOffset = scanner.offset
                            discarded.removeAll(keepingCapacity: true)
                            do {
                                try CanonicalJSONCodec.copyValue(from: &scanner, depth: 1, into: &discarded)
                            } catch {
                                throw error.inField("data")
                            }
                        }
                    }
                } else {
                    guard unknownKeys.insert(Array(key.bytes)).inserted else {
                        throw EventLineFailure("duplicate key \(CanonicalJSONCodec.quoted(key.bytes))")
                    }
                    discarded.removeAll(keepingCapacity: true)
                    do {
                        try CanonicalJSONCodec.copyValue(from: &scanner, depth: 1, into: &discarded)
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
        if data == nil {
            scanner.offset = deferredDataOffset
            data = try readData(of: type)
        }
        guard let (eventData, extras) = data else { preconditionFailure("data seen but not read") }
        return Event(tenant: tenant, id: id, at: at, actor: actor, data: eventData, extras: extras)
    }

    // MARK: Top-level fields

    /// `id` or `actor`: a string of 1 to 64 code points.
    private mutating func readCodePointLimitedName(field: StaticString) throws(EventLineFailure) -> Name {
        guard scanner.peek() == CodecByte.quote else {
            throw scanner.mismatch("\(field) must be a string")
        }
        let string = try scanner.readString()
        guard string.scalarCount >= 1 && string.scalarCount <= EventLineParser.identifierScalarsMax else {
            let got = string.scalarCount == 0 ? "an empty string" : "\(string.scalarCount)"
            throw EventLineFailure("\(field) must be 1 to \(EventLineParser.identifierScalarsMax) characters (code points), got \(got)")
        }
        return Name(String(decoding: string.bytes, as: UTF8.self))
    }

    private mutating func readTenant() throws(EventLineFailure) -> Name {
        guard scanner.peek() == CodecByte.quote else {
            throw scanner.mismatch("tenant must be a string")
        }
        let bytes = try scanner.readString().bytes
        guard CodecUTF8.isTenant(bytes) else {
            throw EventLineFailure("tenant must match [a-z0-9][a-z0-9-]{0,62}, got \(CanonicalJSONCodec.quoted(bytes))")
        }
        return Name(String(decoding: bytes, as: UTF8.self))
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

    /// Reads the `data` object (its `{` at the cursor) for `type`: the typed fields and the
    /// canonical JSON of the unknown ones.
    private mutating func readData(of type: EventType) throws(EventLineFailure) -> (EventData, String) {
        let fields = EventFields.fields(of: type)
        var values = EventFieldValues()
        var seen: UInt32 = 0
        var extras: [CanonicalJSONCodec.Member] = []
        try scanner.expect(CodecByte.openBrace, "'{'")
        scanner.skipWhitespace()
        if scanner.peek() == CodecByte.closeBrace {
            scanner.offset += 1
        } else {
            members: while true {
                scanner.skipWhitespace()
                guard scanner.peek() == CodecByte.quote else { throw scanner.syntaxError("expected a key string") }
                let key = try scanner.readString()
                scanner.skipWhitespace()
                try scanner.expect(CodecByte.colon, "':'")
                scanner.skipWhitespace()
                if let index = fields.firstIndex(where: { key.bytes.matchesLiteral($0.name) }) {
                    let bit: UInt32 = 1 << index
                    guard seen & bit == 0 else { throw EventLineFailure("data: duplicate key \"\(fields[index].name)\"") }
                    seen |= bit
                    try readField(fields[index], into: &values)
                } else {
                    var value: [UInt8] = []
                    do {
                        try CanonicalJSONCodec.copyValue(from: &scanner, depth: 2, into: &value)
                    } catch {
                        throw error.inField("data.\(String(decoding: key.bytes, as: UTF8.self))")
                    }
                    extras.append((Array(key.bytes), value))
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
            for (index, field) in fields.enumerated() where field.isRequired && seen & (1 << index) == 0 {
                throw EventLineFailure("missing field data.\(field.name) (required by \(type.name))")
            }
        }
        var extrasText = ""
        if !extras.isEmpty {
            do {
                try CanonicalJSONCodec.sortMembers(&extras)
            } catch {
                throw error.inField("data")
            }
            var output: [UInt8] = []
            CanonicalJSONCodec.appendObject(extras, to: &output)
            extrasText = String(decoding: output, as: UTF8.self)
        }
        return (values.eventData(of: type), extrasText)
    }

    private mutating func readField(_ field: EventFieldSpec, into values: inout EventFieldValues) throws(EventLineFailure) {
        switch field.kind {
        case .identifier:
            let bytes = try readString(field, expecting: "a non-empty string")
            guard bytes.count > 0 else { throw EventLineFailure("data.\(field.name) must be a non-empty string, got an empty string") }
            values.setName(Name(String(decoding: bytes, as: UTF8.self)), slot: field.slot)
        case .text:
            values.text = String(decoding: try readString(field, expecting: "a string"), as: UTF8.self)
        case .integer(let minimum):
            values.integer = try readInteger(field, minimum: minimum)
        case .timestamp:
            values.timestamp = try readTimestamp(field: "data.\(field.name)")
        case .period:
            let bytes = try readString(field, expecting: "a YYYY-MM string")
            guard let period = Period.parseText(bytes) else {
                throw EventLineFailure("data.\(field.name) must be YYYY-MM with a month 01-12, got \(CanonicalJSONCodec.quoted(bytes))")
            }
            values.period = period
        case .role:
            let bytes = try readString(field, expecting: "one of admin, manager, client, writer")
            guard let role = EventFields.role(named: bytes) else {
                throw EventLineFailure("data.\(field.name) must be one of admin, manager, client, writer, got \(CanonicalJSONCodec.quoted(bytes))")
            }
            values.code = role.rawValue
        case .change:
            let expected = "one of created, upgraded, downgraded, cancelled, reactivated"
            let bytes = try readString(field, expecting: expected)
            guard let change = EventFields.change(named: bytes) else {
                throw EventLineFailure("data.\(field.name) must be \(expected), got \(CanonicalJSONCodec.quoted(bytes))")
            }
            values.code = change.rawValue
        case .risk:
            let bytes = try readString(field, expecting: "one of low, medium, high, critical")
            guard let risk = EventFields.risk(named: bytes) else {
                throw EventLineFailure("data.\(field.name) must be one of low, medium, high, critical, got \(CanonicalJSONCodec.quoted(bytes))")
            }
            values.code = risk.rawValue
        case .metadata:
            guard scanner.peek() == CodecByte.openBrace else {
                throw scanner.mismatch("data.\(field.name) must be an object")
            }
            var output: [UInt8] = []
            do {
                try CanonicalJSONCodec.copyValue(from: &scanner, depth: 2, into: &output)
            } catch {
                throw error.inField("data.\(field.name)")
            }
            values.metadata = String(decoding: output, as: UTF8.self)
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
