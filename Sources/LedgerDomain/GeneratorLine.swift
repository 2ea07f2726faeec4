/// One line of JSON being written, and where each of its fields sits.
///
/// Valid lines are written field by field in the canonical key order
/// (`id, tenant, type, at, actor, data`). The bounds of every field are kept so that a
/// bad line can be derived from a good one without a JSON parser: drop a field, replace
/// a value, reorder the keys (see `GeneratorLineEdit`).
///
/// A class over storage allocated once: the generator writes a million lines a second
/// into the same few lines, and an `Array` would check its uniqueness and capacity on
/// every byte. `HistoryGenerator` clones its lines when it is itself copied.
final class GeneratorLine: ByteSink {
    /// The longest line the generator writes (two events glued together, a long title)
    /// is far below this.
    static let bytesCapacity = 16 * 1024
    /// Index of each top-level field, in the order they are written.
    enum TopField: Int, CaseIterable {
        case id = 0, tenant, type, at, actor, data
    }

    static let topFieldCount = TopField.allCases.count
    /// No event type has more fields in `data`.
    static let dataFieldsMax = 16

    /// The JSON object, without the trailing newline.
    private let storage: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    /// Per top-level field, three offsets into the bytes: key start (the opening quote),
    /// value start and value end.
    private let topBounds: UnsafeMutablePointer<Int>
    private(set) var topFieldCount = 0
    /// The same for the fields of `data`.
    private let dataBounds: UnsafeMutablePointer<Int>
    private(set) var dataFieldCount = 0
    /// The index (in `data`) of the field holding the event's main amount, or nil.
    var amountFieldIndex: Int?
    /// The event's `at`, as written.
    var at: Int64 = 0
    /// Index of the tenant in the generator's tenant list.
    var tenantIndex: Int = 0

    init() {
        storage = .allocate(capacity: Self.bytesCapacity)
        topBounds = .allocate(capacity: 3 * Self.topFieldCount)
        dataBounds = .allocate(capacity: 3 * Self.dataFieldsMax)
    }

    deinit {
        storage.deallocate()
        topBounds.deallocate()
        dataBounds.deallocate()
    }

    /// The line's bytes; valid until the line is next written.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    /// A copy of some of the line's bytes.
    func bytes(_ range: Range<Int>) -> [UInt8] { Array(bytes[range]) }

    /// Key start, value start and value end of a top-level field.
    func topField(_ index: Int) -> (key: Int, value: Int, end: Int) {
        precondition(index < topFieldCount, "no such top-level field")
        return (topBounds[3 * index], topBounds[3 * index + 1], topBounds[3 * index + 2])
    }

    func dataField(_ index: Int) -> (key: Int, value: Int, end: Int) {
        precondition(index < dataFieldCount, "no such data field")
        return (dataBounds[3 * index], dataBounds[3 * index + 1], dataBounds[3 * index + 2])
    }

    func reset() {
        count = 0
        topFieldCount = 0
        dataFieldCount = 0
        amountFieldIndex = nil
    }

    /// Makes this line a copy of `other`.
    func copy(from other: GeneratorLine) {
        precondition(other !== self, "a line copied onto itself")
        storage.update(from: other.storage, count: other.count)
        count = other.count
        topBounds.update(from: other.topBounds, count: 3 * other.topFieldCount)
        topFieldCount = other.topFieldCount
        dataBounds.update(from: other.dataBounds, count: 3 * other.dataFieldCount)
        dataFieldCount = other.dataFieldCount
        amountFieldIndex = other.amountFieldIndex
        at = other.at
        tenantIndex = other.tenantIndex
    }

    /// A new line with the same content.
    func clone() -> GeneratorLine {
        let line = GeneratorLine()
        line.copy(from: self)
        return line
    }

    /// Replaces the bytes (and forgets the field bounds: the line is no longer editable).
    func replaceBytes(with bytes: [UInt8]) {
        reset()
        append(bytes)
    }

    // MARK: Appending bytes

    @inline(__always)
    func append(_ byte: UInt8) {
        precondition(count < Self.bytesCapacity, "line longer than bytesCapacity")
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count <= Self.bytesCapacity - count, "line longer than bytesCapacity")
        guard let base = bytes.baseAddress else { return }
        (storage + count).update(from: base, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    private func append(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    private func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    @inline(__always)
    private func appendDecimal(_ value: Int64) {
        var sink = self
        GeneratorBytes.appendDecimal(value, to: &sink)
    }

    @inline(__always)
    private func appendPadded(_ value: Int, digits: Int) {
        var sink = self
        GeneratorBytes.appendDecimal(UInt64(value), minimumDigits: digits, to: &sink)
    }

    @inline(__always)
    private func appendTimestamp(_ microseconds: Int64, style: GeneratorBytes.FractionStyle) {
        var sink = self
        GeneratorBytes.appendTimestamp(microseconds, style: style, to: &sink)
    }

    // MARK: Writing a line

    /// Writes `{"id":"e-000001","tenant":"...","type":"...","at":"...","actor":"...","data":{`.
    /// The actor is `actorPrefix` followed by `actorNumber` (or nothing when it is nil).
    func beginEvent(
        idNumber: Int, tenant: [UInt8], tenantIndex: Int, type: EventType, at: Int64,
        atStyle: GeneratorBytes.FractionStyle, actorPrefix: StaticString, actorNumber: Int?
    ) {
        reset()
        self.at = at
        self.tenantIndex = tenantIndex
        append(UInt8(ascii: "{"))

        beginTopField("id", isFirst: true, quotesValue: true)
        writeEventID(idNumber)
        endTopField(quotesValue: true)

        beginTopField("tenant", quotesValue: true)
        append(tenant)
        endTopField(quotesValue: true)

        beginTopField("type", quotesValue: true)
        append(type.staticName)
        endTopField(quotesValue: true)

        beginTopField("at", quotesValue: true)
        appendTimestamp(at, style: atStyle)
        endTopField(quotesValue: true)

        beginTopField("actor", quotesValue: true)
        append(actorPrefix)
        if let actorNumber { appendDecimal(Int64(actorNumber)) }
        endTopField(quotesValue: true)

        beginTopField("data", quotesValue: false)
        append(UInt8(ascii: "{"))
    }

    /// Closes `data` and the line.
    func endEvent() {
        append(UInt8(ascii: "}"))
        endTopField(quotesValue: false)
        append(UInt8(ascii: "}"))
    }

    /// Writes `e-` and the zero-padded event counter.
    func writeEventID(_ number: Int) {
        append("e-")
        appendPadded(number, digits: GeneratorLine.eventIDDigits)
    }

    /// Event ids are `e-` and at least this many digits.
    static let eventIDDigits = 8

    /// Writes the separator (unless first), `"key":` and, for a string value, its opening
    /// quote; records the key start and the value start (the opening quote).
    @inline(__always)
    private func beginTopField(_ key: StaticString, isFirst: Bool = false, quotesValue: Bool) {
        precondition(topFieldCount < Self.topFieldCount, "more top-level fields than an event has")
        if !isFirst { append(UInt8(ascii: ",")) }
        topBounds[3 * topFieldCount] = count
        append(UInt8(ascii: "\""))
        append(key)
        append(UInt8(ascii: "\""))
        append(UInt8(ascii: ":"))
        topBounds[3 * topFieldCount + 1] = count
        if quotesValue { append(UInt8(ascii: "\"")) }
    }

    /// Closes the value (its quote for a string) and records its end.
    @inline(__always)
    private func endTopField(quotesValue: Bool) {
        if quotesValue { append(UInt8(ascii: "\"")) }
        topBounds[3 * topFieldCount + 2] = count
        topFieldCount += 1
    }

    // MARK: Fields of data

    /// Writes the separator and `"key":`, records the key and value starts.
    @inline(__always)
    private func beginDataField(_ key: StaticString) {
        precondition(dataFieldCount < Self.dataFieldsMax, "more data fields than dataFieldsMax")
        if dataFieldCount > 0 { append(UInt8(ascii: ",")) }
        dataBounds[3 * dataFieldCount] = count
        append(UInt8(ascii: "\""))
        append(key)
        append(UInt8(ascii: "\""))
        append(UInt8(ascii: ":"))
        dataBounds[3 * dataFieldCount + 1] = count
    }

    @inline(__always)
    private func endDataField() {
        dataBounds[3 * dataFieldCount + 2] = count
        dataFieldCount += 1
    }

    /// `"key":"<prefix><number>"`, e.g. `"worker":"w-17"`.
    func dataIdentifier(_ key: StaticString, prefix: StaticString, number: Int) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        append(prefix)
        appendDecimal(Int64(number))
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"<prefix><number>"` with the number zero-padded to 6 digits, e.g. `"PO-000042"`.
    func dataPaddedIdentifier(_ key: StaticString, prefix: StaticString, number: Int) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        append(prefix)
        appendPadded(number, digits: 6)
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"email":"<role>-<number>@<domain>.example"`.
    func dataEmail(role: Role, number: Int, domain: [UInt8]) {
        beginDataField("email")
        append(UInt8(ascii: "\""))
        append(GeneratorLine.roleName(role))
        append(UInt8(ascii: "-"))
        appendDecimal(Int64(number))
        append(UInt8(ascii: "@"))
        append(domain)
        append(".example\"")
        endDataField()
    }

    /// `"key":"<first> <second>"`, both already JSON-escaped (an order title).
    func dataString(_ key: StaticString, escapedText first: [UInt8], _ second: [UInt8]) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        append(first)
        append(UInt8(ascii: " "))
        append(second)
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"<text>"`; `escapedText` is already JSON-escaped.
    func dataString(_ key: StaticString, escapedText: [UInt8]) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        append(escapedText)
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"<text>"` for constant text that needs no escaping.
    func dataString(_ key: StaticString, text: StaticString) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        append(text)
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":<integer>`; `isAmount` marks it as the field a bad amount or a conflict changes.
    func dataInteger(_ key: StaticString, _ value: Int64, isAmount: Bool = false) {
        if isAmount { amountFieldIndex = dataFieldCount }
        beginDataField(key)
        appendDecimal(value)
        endDataField()
    }

    /// `"key":"<timestamp>"`.
    func dataTimestamp(_ key: StaticString, _ microseconds: Int64, style: GeneratorBytes.FractionStyle) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        appendTimestamp(microseconds, style: style)
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"YYYY-MM-DD"`, the date of an instant.
    func dataDate(_ key: StaticString, _ microseconds: Int64) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        appendTimestamp(microseconds, style: .canonical)
        // Keep `YYYY-MM-DD`: drop `THH:MM:SS`, the fraction and `Z`.
        count = dataBounds[3 * dataFieldCount + 1] + 1 + 10
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"YYYY-MM"`.
    func dataPeriod(_ key: StaticString, ordinal: Int64) {
        beginDataField(key)
        append(UInt8(ascii: "\""))
        var sink = self
        GeneratorBytes.appendPeriod(ordinal: ordinal, to: &sink)
        append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":<raw JSON>`: an object, a number, anything already written as JSON.
    func dataRaw(_ key: StaticString, json: [UInt8]) {
        beginDataField(key)
        append(json)
        endDataField()
    }

    /// The wire name of a role as static text.
    static func roleName(_ role: Role) -> StaticString {
        switch role {
        case .admin: "admin"
        case .manager: "manager"
        case .client: "client"
        case .writer: "writer"
        }
    }
}
