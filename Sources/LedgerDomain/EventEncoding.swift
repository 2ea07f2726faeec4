/// `Event` -> canonical JSON line, for export (`ledger export` round-trips through import).

/// Writes events as canonical JSON lines: the top-level fields in the fixed order `id`,
/// `tenant`, `type`, `at`, `actor`, `data`; `at` and `expires_at` in canonical timestamp
/// form; `data` holding the known fields and the extras merged, keys sorted by UTF-8 bytes;
/// strings and numbers as `CanonicalJSONCodec` spells them; no white space.
///
/// `EventLineParser.parse` of a written line (without its "\n") gives back an equal event,
/// and two events equal as JSON values are written with the same bytes.
///
/// ```swift
/// var output: [UInt8] = []
/// EventLineWriter.write(event, into: &output)
/// // {"id":"e-1","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u-1","data":{"amount_cents":5000,"reason":"Great month","worker":"w-17"}}\n
/// ```
public enum EventLineWriter {
    /// Appends the canonical JSON line of `event` (with its trailing "\n") to `output`.
    ///
    /// The event must hold what the parser or the binary codec produce: `extras` empty or
    /// a canonical JSON object without the type's own field names, `metadata` a JSON object.
    /// Anything else is a broken invariant and stops the program.
    public static func write(_ event: Event, into output: inout [UInt8]) {
        CanonicalJSONCodec.append("{\"id\":", to: &output)
        CanonicalJSONCodec.appendString(event.id.string, to: &output)
        CanonicalJSONCodec.append(",\"tenant\":", to: &output)
        CanonicalJSONCodec.appendString(event.tenant.string, to: &output)
        CanonicalJSONCodec.append(",\"type\":\"", to: &output)
        CanonicalJSONCodec.append(EventFields.typeNames[Int(event.type.rawValue) - 1], to: &output)
        CanonicalJSONCodec.append("\",\"at\":\"", to: &output)
        event.at.appendCanonical(to: &output)
        CanonicalJSONCodec.append("\",\"actor\":", to: &output)
        CanonicalJSONCodec.appendString(event.actor.string, to: &output)
        CanonicalJSONCodec.append(",\"data\":", to: &output)
        appendData(event.data, extras: event.extras, to: &output)
        CanonicalJSONCodec.append("}\n", to: &output)
    }

    /// The canonical JSON line of `event`, without the trailing "\n".
    public static func line(_ event: Event) -> String {
        var output: [UInt8] = []
        write(event, into: &output)
        output.removeLast()
        return String(decoding: output, as: UTF8.self)
    }

    private static func appendData(_ data: EventData, extras: String, to output: inout [UInt8]) {
        let values = EventFieldValues(data)
        let fields = EventFields.sortedTable[Int(data.type.rawValue) - 1]
        output.append(CodecByte.openBrace)
        var isFirst = true
        if extras.isEmpty {
            for field in fields where field.kind != .metadata || values.metadata != nil {
                appendMember(field, values, isFirst: &isFirst, to: &output)
            }
        } else {
            // Merge the known fields and the extras, both sorted by key bytes.
            let members = extrasMembers(extras, type: data.type)
            var memberIndex = 0
            for field in fields where field.kind != .metadata || values.metadata != nil {
                let name = EventFields.bytes(of: field.name)
                while memberIndex < members.count && members[memberIndex].key.lexicographicallyPrecedes(name) {
                    appendExtra(members[memberIndex], isFirst: &isFirst, to: &output)
                    memberIndex += 1
                }
                appendMember(field, values, isFirst: &isFirst, to: &output)
            }
            for member in members[memberIndex...] {
                appendExtra(member, isFirst: &isFirst, to: &output)
            }
        }
        output.append(CodecByte.closeBrace)
    }

    private static func extrasMembers(_ extras: String, type: EventType) -> [CanonicalJSONCodec.Member] {
        let parsed = extras.withUTF8Bytes { buffer in
            Result { () throws(EventLineFailure) in try CanonicalJSONCodec.members(ofObjectText: UnsafeRawBufferPointer(buffer), enclosingDepth: CanonicalJSONCodec.extrasEnclosingDepth) }
        }
        guard case .success(let members) = parsed else {
            preconditionFailure("Event.extras must be a JSON object: \(extras)")
        }
        for member in members {
            let collides = EventFields.fields(of: type).contains { field in
                member.key.withUnsafeBytes { $0.matchesLiteral(field.name) }
            }
            precondition(!collides, "Event.extras repeats a field of \(type.name): \(extras)")
        }
        return members
    }

    private static func appendExtra(_ member: CanonicalJSONCodec.Member, isFirst: inout Bool, to output: inout [UInt8]) {
        if !isFirst { output.append(CodecByte.comma) }
        isFirst = false
        member.key.withUnsafeBytes { CanonicalJSONCodec.appendString($0, to: &output) }
        output.append(CodecByte.colon)
        output.append(contentsOf: member.value)
    }

    private static func appendMember(_ field: EventFieldSpec, _ values: EventFieldValues, isFirst: inout Bool, to output: inout [UInt8]) {
        if !isFirst { output.append(CodecByte.comma) }
        isFirst = false
        output.append(CodecByte.quote)
        CanonicalJSONCodec.append(field.name, to: &output)
        output.append(CodecByte.quote)
        output.append(CodecByte.colon)
        switch field.kind {
        case .identifier:
            CanonicalJSONCodec.appendString(values.name(slot: field.slot).string, to: &output)
        case .text:
            CanonicalJSONCodec.appendString(values.text, to: &output)
        case .integer:
            appendDecimal(values.integer, to: &output)
        case .timestamp:
            output.append(CodecByte.quote)
            values.timestamp.appendCanonical(to: &output)
            output.append(CodecByte.quote)
        case .period:
            output.append(CodecByte.quote)
            values.period.appendText(to: &output)
            output.append(CodecByte.quote)
        case .role:
            appendName(Role(rawValue: values.code)?.name, to: &output)
        case .change:
            appendName(SubscriptionChange(rawValue: values.code)?.name, to: &output)
        case .risk:
            appendName(Risk(rawValue: values.code)?.name, to: &output)
        case .metadata:
            let metadata = values.metadata ?? ""
            guard let canonical = try? CanonicalJSONCodec.canonicalObject(metadata, enclosingDepth: CanonicalJSONCodec.metadataEnclosingDepth) else {
                preconditionFailure("audit.recorded metadata must be a JSON object: \(metadata)")
            }
            output.append(contentsOf: canonical)
        }
    }

    private static func appendName(_ name: String?, to output: inout [UInt8]) {
        guard let name else { preconditionFailure("enum case without a name") }
        CanonicalJSONCodec.appendString(name, to: &output)
    }

    /// Appends a decimal integer without building a String.
    static func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 { output.append(CodecByte.minus) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = CodecByte.zero + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) {
                output.append(buffer[index])
            }
        }
    }
}
