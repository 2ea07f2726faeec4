/// Reads the fields of a binary event payload, checking each as the JSON parser would, and
/// reports any problem as a `PayloadError` with the field and its byte offset.
struct PayloadReader {
    let bytes: UnsafeRawBufferPointer
    let type: UInt16
    var offset = 0
    /// Where long names are shared from (nil: every name is made anew).
    var names: NameCache? = nil

    /// A varint longer than this cannot hold a UInt64.
    static let varintBytesMax = 10

    init(bytes: UnsafeRawBufferPointer, type: UInt16) {
        self.bytes = bytes
        self.type = type
    }

    func failure(_ field: StaticString, at position: Int, _ reason: String) -> PayloadError {
        PayloadError(type: type, field: "\(field)", offset: position, reason: reason)
    }

    /// A LEB128 varint in its shortest form.
    @inline(__always)
    mutating func readVarint(_ field: StaticString) throws(PayloadError) -> UInt64 {
        let start = offset
        // One byte: most lengths and small numbers.
        if offset < bytes.count, bytes[offset] < 0x80 {
            offset += 1
            return UInt64(bytes[start])
        }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw failure(field, at: start, "the payload ends inside a varint") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 63 || byte <= 1 else { throw failure(field, at: start, "varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                guard byte != 0 || offset - start == 1 else { throw failure(field, at: start, "varint not in its shortest form") }
                return value
            }
            shift += 7
        }
    }

    mutating func readByte(_ field: StaticString) throws(PayloadError) -> UInt8 {
        guard offset < bytes.count else { throw failure(field, at: offset, "the payload ends before this field") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// An amount or count in `minimum...10^12`.
    @inline(__always)
    mutating func readInteger(_ field: StaticString, minimum: Int64) throws(PayloadError) -> Int64 {
        let start = offset
        let value = try readVarint(field)
        guard value >= UInt64(minimum) && value <= UInt64(EventFields.integerMaximum) else {
            throw failure(field, at: start, "\(value) is outside [\(minimum), 10^12]")
        }
        return Int64(value)
    }

    /// Length-prefixed bytes, unchecked.
    @inline(__always)
    mutating func readBytes(_ field: StaticString) throws(PayloadError) -> UnsafeRawBufferPointer {
        let start = offset
        let count = try readVarint(field)
        guard count <= UInt64(bytes.count - offset) else {
            throw failure(field, at: start, "a string of \(count) bytes runs past the payload's end")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(count)])
        offset += Int(count)
        return slice
    }

    @inline(__always)
    mutating func readNonEmptyBytes(_ field: StaticString) throws(PayloadError) -> UnsafeRawBufferPointer {
        let start = offset
        let slice = try readBytes(field)
        guard !slice.isEmpty else { throw failure(field, at: start, "empty identifier") }
        return slice
    }

    /// Length-prefixed bytes that must be valid UTF-8.
    mutating func readUTF8(_ field: StaticString) throws(PayloadError) -> UnsafeRawBufferPointer {
        let start = offset
        let slice = try readBytes(field)
        guard CodecUTF8.scalarCount(slice) != nil else { throw failure(field, at: start, "invalid UTF-8") }
        return slice
    }

    /// An identifier: non-empty UTF-8.
    mutating func readName(_ field: StaticString) throws(PayloadError) -> Name {
        let start = offset
        let slice = try readUTF8(field)
        guard !slice.isEmpty else { throw failure(field, at: start, "empty identifier") }
        return makeName(slice)
    }

    mutating func readEnum<Value>(_ field: StaticString, _ make: (UInt8) -> Value?) throws(PayloadError) -> Value {
        let start = offset
        let code = try readByte(field)
        guard let value = make(code) else { throw failure(field, at: start, "unknown code \(code)") }
        return value
    }

    mutating func readTimestamp(_ field: StaticString) throws(PayloadError) -> Timestamp {
        let start = offset
        let microseconds = EventBinaryCodec.unzigzag(try readVarint(field))
        guard microseconds >= Timestamp.textMinimum.microseconds && microseconds <= Timestamp.textMaximum.microseconds else {
            throw failure(field, at: start, "\(microseconds) µs is outside years 0000-9999")
        }
        return Timestamp(microseconds: microseconds)
    }

    mutating func readPeriod(_ field: StaticString) throws(PayloadError) -> Period {
        let start = offset
        let ordinal = try readVarint(field)
        guard ordinal < 10_000 * 12 else { throw failure(field, at: start, "period ordinal \(ordinal) is past 9999-12") }
        return Period(ordinal: Int32(ordinal))
    }

    /// Optional metadata: varint 0 when absent, else its byte count + 1 and canonical JSON.
    mutating func readMetadata(_ field: StaticString) throws(PayloadError) -> String? {
        let start = offset
        let marker = try readVarint(field)
        guard marker > 0 else { return nil }
        guard marker - 1 <= UInt64(bytes.count - offset) else {
            throw failure(field, at: start, "\(marker - 1) bytes of metadata run past the payload's end")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(marker - 1)])
        offset += Int(marker - 1)
        try checkMetadataText(slice, field: field, at: start)
        return text(slice)
    }

    /// The extras: empty, or a canonical JSON object without the type's own field names.
    mutating func readExtras(of type: EventType) throws(PayloadError) -> String {
        let start = offset
        let slice = try readBytes("extras")
        guard !slice.isEmpty else { return "" }
        try checkExtrasText(slice, of: type, at: start)
        return text(slice)
    }

    /// A free text of the payload, shared through `names` when there is one.
    @inline(__always)
    func text(_ bytes: UnsafeRawBufferPointer) -> String {
        if let names { return names.text(bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func checkExtrasText(_ slice: UnsafeRawBufferPointer, of type: EventType, at start: Int) throws(PayloadError) {
        if let fast = Self.fastCheck(slice, enclosingDepth: CanonicalJSONCodec.extrasEnclosingDepth, fieldsOf: type, reusing: names) {
            switch fast {
            case .canonical: return
            case .notCanonical: throw failure("extras", at: start, "JSON not in canonical form")
            case .repeats(let field): throw failure("extras", at: start, "repeats the field \(field)")
            case .empty: throw failure("extras", at: start, "an empty object is written as no extras")
            }
        }
        let members = try checkCanonicalObject(slice, field: "extras", at: start, enclosingDepth: CanonicalJSONCodec.extrasEnclosingDepth)
        guard !members.isEmpty else { throw failure("extras", at: start, "an empty object is written as no extras") }
        for member in members {
            for field in EventFields.fields(of: type) where member.key.withUnsafeBytes({ $0.matchesLiteral(field.name) }) {
                throw failure("extras", at: start, "repeats the field \(field.name)")
            }
        }
    }

    /// Checks that `slice` is a metadata object in canonical form.
    func checkMetadataText(_ slice: UnsafeRawBufferPointer, field: StaticString, at start: Int) throws(PayloadError) {
        switch Self.fastCheck(slice, enclosingDepth: CanonicalJSONCodec.metadataEnclosingDepth, fieldsOf: nil, reusing: names) {
        case .canonical?: return
        case .notCanonical?: throw failure(field, at: start, "JSON not in canonical form")
        default: try checkCanonicalObject(slice, field: field, at: start, enclosingDepth: CanonicalJSONCodec.metadataEnclosingDepth)
        }
    }

    enum FastCheck { case canonical, notCanonical, empty, repeats(StaticString) }

    /// The one-pass check of ``CanonicalJSONCodec/canonicalInWrittenOrder(objectText:enclosingDepth:into:topLevelKey:)``
    /// (one allocation, not one per member, and none with a cache, whose scratch buffer it
    /// reuses); nil when only the full check can tell. With `fieldsOf`, the object's own keys
    /// must not be that type's fields.
    static func fastCheck(_ slice: UnsafeRawBufferPointer, enclosingDepth: Int, fieldsOf type: EventType?,
                          reusing cache: NameCache? = nil) -> FastCheck? {
        var canonical: [UInt8] = []
        if let cache {
            swap(&canonical, &cache.scratch)
            canonical.removeAll(keepingCapacity: true)
        }
        defer { if let cache { swap(&canonical, &cache.scratch) } }
        canonical.reserveCapacity(slice.count)
        var repeated: StaticString? = nil
        let count = CanonicalJSONCodec.canonicalInWrittenOrder(objectText: slice, enclosingDepth: enclosingDepth, into: &canonical) { key in
            guard let type, repeated == nil else { return }
            for field in EventFields.fields(of: type) where key.matchesLiteral(field.name) { repeated = field.name }
        }
        guard let count else { return nil }
        guard canonical.elementsEqual(slice) else { return .notCanonical }
        if type != nil, count == 0 { return .empty }
        if let repeated { return .repeats(repeated) }
        return .canonical
    }

    /// Checks that `slice` is a JSON object written exactly in canonical form.
    @discardableResult
    func checkCanonicalObject(_ slice: UnsafeRawBufferPointer, field: StaticString, at start: Int,
                              enclosingDepth: Int) throws(PayloadError) -> [CanonicalJSONCodec.Member] {
        let members: [CanonicalJSONCodec.Member]
        do {
            members = try CanonicalJSONCodec.members(ofObjectText: slice, enclosingDepth: enclosingDepth)
        } catch {
            throw failure(field, at: start, "not a JSON object: \(error.message)")
        }
        var canonical: [UInt8] = []
        CanonicalJSONCodec.appendObject(members, to: &canonical)
        guard canonical.elementsEqual(slice) else { throw failure(field, at: start, "JSON not in canonical form") }
        return members
    }

    func expectEnd() throws(PayloadError) {
        guard offset == bytes.count else {
            throw PayloadError(type: type, field: "end", offset: offset, reason: "\(bytes.count - offset) bytes after the last field")
        }
    }

    // MARK: The record's own fields

    func recordTenant(_ tenant: UnsafeRawBufferPointer) throws(PayloadError) -> Name {
        guard CodecUTF8.isTenant(tenant) else {
            throw PayloadError(type: type, field: "tenant", offset: nil, reason: "does not match [a-z0-9][a-z0-9-]{0,62}")
        }
        return makeName(tenant)
    }

    /// `id` or `actor`: UTF-8 of 1 to 64 code points.
    func recordName(_ bytes: UnsafeRawBufferPointer, field: String) throws(PayloadError) -> Name {
        guard let count = CodecUTF8.scalarCount(bytes) else {
            throw PayloadError(type: type, field: field, offset: nil, reason: "invalid UTF-8")
        }
        guard count >= 1 && count <= EventLineParser.identifierScalarsMax else {
            throw PayloadError(type: type, field: field, offset: nil, reason: "\(count) code points, not 1 to \(EventLineParser.identifierScalarsMax)")
        }
        return makeName(bytes)
    }

    /// The name of checked UTF-8 `bytes`, from the cache when there is one.
    @inline(__always)
    func makeName(_ bytes: UnsafeRawBufferPointer) -> Name {
        if let names { return names.name(bytes) }
        return Name(String(decoding: bytes, as: UTF8.self))
    }
}
