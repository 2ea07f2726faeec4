/// One line of JSON being written, and where each of its fields sits.
///
/// Valid lines are written field by field in the canonical key order
/// (`id, tenant, type, at, actor, data`). The bounds of every field are kept so that a
/// bad line can be derived from a good one without a JSON parser: drop a field, replace
/// a value, reorder the keys (see `GeneratorLineEdit`).
struct GeneratorLine {
    /// The JSON object, without the trailing newline.
    var bytes: [UInt8] = []
    /// Per top-level field, three offsets into `bytes`: key start (the opening quote),
    /// value start and value end.
    var topFieldBounds: [Int] = []
    /// The same for the fields of `data`.
    var dataFieldBounds: [Int] = []
    /// The index (in `data`) of the field holding the event's main amount, or nil.
    var amountFieldIndex: Int?
    /// The event's `at`, as written.
    var at: Int64 = 0
    /// Index of the tenant in the generator's tenant list.
    var tenantIndex: Int = 0

    /// Index of each top-level field, in the order they are written.
    enum TopField: Int, CaseIterable {
        case id = 0, tenant, type, at, actor, data
    }

    static let topFieldCount = TopField.allCases.count
    /// The longest line the generator writes is far below this; it sizes the buffers once.
    static let bytesCapacity = 1024

    init() {
        bytes.reserveCapacity(Self.bytesCapacity)
        topFieldBounds.reserveCapacity(3 * Self.topFieldCount)
        dataFieldBounds.reserveCapacity(3 * 16)
    }

    var topFieldCount: Int { topFieldBounds.count / 3 }
    var dataFieldCount: Int { dataFieldBounds.count / 3 }

    /// Key start, value start and value end of a top-level field.
    func topField(_ index: Int) -> (key: Int, value: Int, end: Int) {
        (topFieldBounds[3 * index], topFieldBounds[3 * index + 1], topFieldBounds[3 * index + 2])
    }

    func dataField(_ index: Int) -> (key: Int, value: Int, end: Int) {
        (dataFieldBounds[3 * index], dataFieldBounds[3 * index + 1], dataFieldBounds[3 * index + 2])
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        topFieldBounds.removeAll(keepingCapacity: true)
        dataFieldBounds.removeAll(keepingCapacity: true)
        amountFieldIndex = nil
    }

    /// Makes this line a copy of `other` without sharing (and later copying) its storage.
    mutating func copy(from other: GeneratorLine) {
        reset()
        bytes.append(contentsOf: other.bytes)
        topFieldBounds.append(contentsOf: other.topFieldBounds)
        dataFieldBounds.append(contentsOf: other.dataFieldBounds)
        amountFieldIndex = other.amountFieldIndex
        at = other.at
        tenantIndex = other.tenantIndex
    }

    // MARK: Writing a line

    /// Writes `{"id":"e-000001","tenant":"...","type":"...","at":"...","actor":"...","data":{`.
    /// The actor is `actorPrefix` followed by `actorNumber` (or nothing when it is nil).
    mutating func beginEvent(
        idNumber: Int, tenant: [UInt8], tenantIndex: Int, type: EventType, at: Int64,
        atStyle: GeneratorBytes.FractionStyle, actorPrefix: StaticString, actorNumber: Int?
    ) {
        reset()
        self.at = at
        self.tenantIndex = tenantIndex
        bytes.append(UInt8(ascii: "{"))

        beginTopField("id", isFirst: true, quotesValue: true)
        writeEventID(idNumber)
        endTopField(quotesValue: true)

        beginTopField("tenant", quotesValue: true)
        bytes.append(contentsOf: tenant)
        endTopField(quotesValue: true)

        beginTopField("type", quotesValue: true)
        GeneratorBytes.append(GeneratorLine.typeName(type), to: &bytes)
        endTopField(quotesValue: true)

        beginTopField("at", quotesValue: true)
        GeneratorBytes.appendTimestamp(at, style: atStyle, to: &bytes)
        endTopField(quotesValue: true)

        beginTopField("actor", quotesValue: true)
        GeneratorBytes.append(actorPrefix, to: &bytes)
        if let actorNumber { GeneratorBytes.appendDecimal(actorNumber, to: &bytes) }
        endTopField(quotesValue: true)

        beginTopField("data", quotesValue: false)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Closes `data` and the line.
    mutating func endEvent() {
        bytes.append(UInt8(ascii: "}"))
        topFieldBounds.append(bytes.count)
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes `e-` and the zero-padded event counter.
    mutating func writeEventID(_ number: Int) {
        GeneratorBytes.append("e-", to: &bytes)
        GeneratorBytes.appendDecimal(UInt64(number), minimumDigits: GeneratorLine.eventIDDigits, to: &bytes)
    }

    /// Event ids are `e-` and at least this many digits.
    static let eventIDDigits = 8

    /// Writes the separator (unless first), `"key":` and, for a string value, its opening
    /// quote; records the key start and the value start (the opening quote).
    @inline(__always)
    private mutating func beginTopField(_ key: StaticString, isFirst: Bool = false, quotesValue: Bool) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        topFieldBounds.append(bytes.count)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.append(key, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        topFieldBounds.append(bytes.count)
        if quotesValue { bytes.append(UInt8(ascii: "\"")) }
    }

    @inline(__always)
    private mutating func endTopField(quotesValue: Bool) {
        if quotesValue { bytes.append(UInt8(ascii: "\"")) }
        topFieldBounds.append(bytes.count)
    }

    // MARK: Fields of data

    /// Writes the separator and `"key":`, records the key and value starts.
    @inline(__always)
    private mutating func beginDataField(_ key: StaticString) {
        if !dataFieldBounds.isEmpty { bytes.append(UInt8(ascii: ",")) }
        dataFieldBounds.append(bytes.count)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.append(key, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        dataFieldBounds.append(bytes.count)
    }

    @inline(__always)
    private mutating func endDataField() {
        dataFieldBounds.append(bytes.count)
    }

    /// `"key":"<prefix><number>"`, e.g. `"worker":"w-17"`.
    mutating func dataIdentifier(_ key: StaticString, prefix: StaticString, number: Int) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.append(prefix, to: &bytes)
        GeneratorBytes.appendDecimal(number, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"<prefix><number>"` with the number zero-padded to 6 digits, e.g. `"PO-000042"`.
    mutating func dataPaddedIdentifier(_ key: StaticString, prefix: StaticString, number: Int) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.append(prefix, to: &bytes)
        GeneratorBytes.appendDecimal(UInt64(number), minimumDigits: 6, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"email":"<role>-<number>@<domain>.example"`.
    mutating func dataEmail(role: Role, number: Int, domain: [UInt8]) {
        beginDataField("email")
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.append(GeneratorLine.roleName(role), to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        GeneratorBytes.appendDecimal(number, to: &bytes)
        bytes.append(UInt8(ascii: "@"))
        bytes.append(contentsOf: domain)
        GeneratorBytes.append(".example\"", to: &bytes)
        endDataField()
    }

    /// `"key":"<first> <second>"`, both already JSON-escaped (an order title).
    mutating func dataString(_ key: StaticString, escapedText first: [UInt8], _ second: [UInt8]) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: first)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: second)
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"<text>"`; `escapedText` is already JSON-escaped.
    mutating func dataString(_ key: StaticString, escapedText: [UInt8]) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: escapedText)
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"<text>"` for constant text that needs no escaping.
    mutating func dataString(_ key: StaticString, text: StaticString) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.append(text, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":<integer>`; `isAmount` marks it as the field a bad amount or a conflict changes.
    mutating func dataInteger(_ key: StaticString, _ value: Int64, isAmount: Bool = false) {
        if isAmount { amountFieldIndex = dataFieldCount }
        beginDataField(key)
        GeneratorBytes.appendDecimal(value, to: &bytes)
        endDataField()
    }

    /// `"key":"<timestamp>"`.
    mutating func dataTimestamp(_ key: StaticString, _ microseconds: Int64, style: GeneratorBytes.FractionStyle) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.appendTimestamp(microseconds, style: style, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"YYYY-MM-DD"`, the date of an instant.
    mutating func dataDate(_ key: StaticString, _ microseconds: Int64) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.appendDateTime(GeneratorCalendar.civil(microseconds), to: &bytes)
        bytes.removeLast(9)  // "THH:MM:SS"
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":"YYYY-MM"`.
    mutating func dataPeriod(_ key: StaticString, ordinal: Int64) {
        beginDataField(key)
        bytes.append(UInt8(ascii: "\""))
        GeneratorBytes.appendPeriod(ordinal: ordinal, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        endDataField()
    }

    /// `"key":<raw JSON>`: an object, a number, anything already written as JSON.
    mutating func dataRaw(_ key: StaticString, json: [UInt8]) {
        beginDataField(key)
        bytes.append(contentsOf: json)
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

    /// The wire name of a type as static text (`EventType.name` is a `String`).
    static func typeName(_ type: EventType) -> StaticString {
        switch type {
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
}
