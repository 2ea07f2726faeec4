import Foundation
import Testing

/// A small, slow, independent reading of EVENTS.md: validates lines, detects duplicates
/// and conflicts, and applies the business rules, to check generated histories without
/// the project's own decider. It is checked itself against the sample fixture.
struct ReferenceLedger {
    enum Outcome: Equatable, CustomStringConvertible {
        case appended(position: Int)
        case duplicate(position: Int)
        case refused(code: String, reason: String)

        var description: String {
            switch self {
            case .appended(let position): "appended at \(position)"
            case .duplicate(let position): "duplicate of \(position)"
            case .refused(let code, let reason): "refused \(code): \(reason)"
            }
        }

        /// `appended`, `duplicate`, or the refusal code.
        var name: String {
            switch self {
            case .appended: "appended"
            case .duplicate: "duplicate"
            case .refused(let code, _): code
            }
        }
    }

    /// What a duplicate must match (EVENTS.md section 2).
    private struct Content {
        var position: Int
        var type: [UInt8]
        var at: Int64
        var actor: [UInt8]
        var data: StrictJSON.Value
    }

    private enum InvitationStatus { case pending, accepted, revoked }
    private enum OrderState { case placed, accepted, assigned, submitted, approved, rejected, completed, cancelled }
    private enum SubscriptionStatus { case none, active, cancelled }

    private struct Order {
        var state: OrderState
        var writer: [UInt8]?
        var fee: Int64 = 0
    }

    private struct InvoiceKey: Hashable {
        var worker: [UInt8]
        var period: Int64
    }

    private struct TenantState {
        var events: [[UInt8]: Content] = [:]
        var invitations: [[UInt8]: (status: InvitationStatus, expiresAt: Int64)] = [:]
        var users: Set<[UInt8]> = []
        var rates: [[UInt8]: Int64] = [:]
        var available: [[UInt8]: Int64] = [:]
        var pending: [[UInt8]: Int64] = [:]
        var orders: [[UInt8]: Order] = [:]
        var issuedInvoices: Set<InvoiceKey> = []
        var subscription = SubscriptionStatus.none
    }

    private var tenants: [[UInt8]: TenantState] = [:]
    private(set) var lastPosition = 0

    /// Checks made, so that tests can see the interesting rules were exercised.
    struct Statistics {
        var payoutsAppended = 0
        var invoicesAppended = 0
        var negativeBalancesSeen = 0
        var lateEventsAppended = 0
    }

    private(set) var statistics = Statistics()
    private var latestAt = Int64.min

    static let lineBytesMax = 1 << 20
    static let amountMax: Int64 = 1_000_000_000_000
    static let identifierFields: Set<String> = [
        "invitation", "user", "worker", "order", "client", "manager", "writer", "email", "plan", "action",
        "target_type", "target_id",
    ]

    /// The outcome of one physical line, or nil for a blank line.
    mutating func offer(_ line: ArraySlice<UInt8>) -> Outcome? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        switch validate(line) {
        case .failure(let invalid):
            return .refused(code: "invalid", reason: invalid.reason)
        case .success(let event):
            if let existing = tenants[event.tenant]?.events[event.id] {
                let same = existing.type == event.type && existing.at == event.at && existing.actor == event.actor
                    && existing.data.isEqual(to: event.data)
                return same ? .duplicate(position: existing.position) : .refused(code: "conflict", reason: "id reused")
            }
            // In place: copying a tenant's state out of the dictionary would copy its tables.
            if tenants[event.tenant] == nil { tenants[event.tenant] = TenantState() }
            if let reason = Self.apply(event, to: &tenants[event.tenant]!, statistics: &statistics) {
                return .refused(code: "rule", reason: reason)
            }
            lastPosition += 1
            tenants[event.tenant]!.events[event.id] = Content(
                position: lastPosition, type: event.type, at: event.at, actor: event.actor, data: event.data)
            if event.at < latestAt { statistics.lateEventsAppended += 1 }
            latestAt = max(latestAt, event.at)
            return .appended(position: lastPosition)
        }
    }

    /// The available and pending balance of a worker (0 when never touched).
    func balance(tenant: String, worker: String) -> (available: Int64, pending: Int64) {
        let state = tenants[Array(tenant.utf8)]
        return (state?.available[Array(worker.utf8)] ?? 0, state?.pending[Array(worker.utf8)] ?? 0)
    }

    func isInvoiceIssued(tenant: String, worker: String, period: String) -> Bool {
        guard let ordinal = Self.period(Array(period.utf8)) else { return false }
        return tenants[Array(tenant.utf8)]?.issuedInvoices.contains(InvoiceKey(worker: Array(worker.utf8), period: ordinal)) ?? false
    }

    // MARK: Validation (`invalid`)

    private struct ValidEvent {
        var id: [UInt8]
        var tenant: [UInt8]
        var type: [UInt8]
        var at: Int64
        var actor: [UInt8]
        var data: StrictJSON.Value
    }

    private struct Invalid: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private func validate(_ line: ArraySlice<UInt8>) -> Result<ValidEvent, Invalid> {
        Result { try validateOrThrow(line) }.mapError { $0 as? Invalid ?? Invalid("\($0)") }
    }

    private func validateOrThrow(_ line: ArraySlice<UInt8>) throws -> ValidEvent {
        guard line.count <= Self.lineBytesMax else { throw Invalid("line too long") }
        guard let root = StrictJSON.parse(line), case .object = root else { throw Invalid("not a JSON object") }
        let id = try Self.string(root["id"], "id")
        guard (1...64).contains(Self.codePointCount(id)) else { throw Invalid("id length") }
        let tenant = try Self.string(root["tenant"], "tenant")
        guard Self.isTenant(tenant) else { throw Invalid("tenant") }
        let type = try Self.string(root["type"], "type")
        guard let at = Self.timestamp(try Self.string(root["at"], "at")) else { throw Invalid("at") }
        let actor = try Self.string(root["actor"], "actor")
        guard (1...64).contains(Self.codePointCount(actor)) else { throw Invalid("actor length") }
        guard let data = root["data"], case .object = data else { throw Invalid("data") }

        var normalisedData = data
        func identifier(_ key: String) throws {
            guard !(try Self.string(data[key], key)).isEmpty else { throw Invalid("empty \(key)") }
        }
        func text(_ key: String) throws { _ = try Self.string(data[key], key) }
        func amount(_ key: String, positive: Bool = false) throws {
            guard case .number(let raw) = data[key], let value = Self.integer(raw) else { throw Invalid("\(key) not an integer") }
            guard value >= (positive ? 1 : 0), value <= Self.amountMax else { throw Invalid("\(key) out of range") }
        }
        func oneOf(_ key: String, _ allowed: [String]) throws {
            let value = try Self.string(data[key], key)
            guard allowed.contains(where: { $0.utf8.elementsEqual(value) }) else { throw Invalid("\(key) value") }
        }

        switch String(decoding: type, as: UTF8.self) {
        case "invitation.created":
            try identifier("invitation"); try identifier("email")
            try oneOf("role", ["admin", "manager", "client", "writer"])
            guard let expiresAt = Self.timestamp(try Self.string(data["expires_at"], "expires_at")) else { throw Invalid("expires_at") }
            // Compared as an instant in duplicates: keep it in canonical form.
            normalisedData = Self.replacing("expires_at", in: data, with: .string(Array(String(expiresAt).utf8)))
        case "invitation.accepted": try identifier("invitation"); try identifier("user")
        case "invitation.revoked": try identifier("invitation")
        case "worker.rate_set": try identifier("worker"); try amount("fixed_monthly_cents")
        case "order.placed": try identifier("order"); try identifier("client"); try text("title"); try amount("price_cents")
        case "order.accepted": try identifier("order"); try identifier("manager")
        case "job.assigned": try identifier("order"); try identifier("writer"); try amount("fee_cents")
        case "order.submitted": try identifier("order"); try amount("submissions", positive: true)
        case "order.approved", "order.completed": try identifier("order")
        case "order.rejected", "order.cancelled": try identifier("order"); try text("reason")
        case "bonus.added", "fine.issued":
            try identifier("worker"); try amount("amount_cents", positive: true); try text("reason")
        case "payout.paid": try identifier("worker"); try amount("amount_cents", positive: true); try text("reference")
        case "invoice.issued":
            try identifier("worker")
            guard Self.period(try Self.string(data["period"], "period")) != nil else { throw Invalid("period") }
        case "subscription.changed":
            try oneOf("change", ["created", "upgraded", "downgraded", "cancelled", "reactivated"])
            try identifier("plan"); try amount("mrr_cents")
        case "audit.recorded":
            try identifier("action"); try identifier("target_type"); try identifier("target_id")
            try oneOf("risk", ["low", "medium", "high", "critical"])
            if let metadata = data["metadata"] {
                guard case .object = metadata else { throw Invalid("metadata") }
            }
        default:
            throw Invalid("unknown type")
        }
        return ValidEvent(id: id, tenant: tenant, type: type, at: at, actor: actor, data: normalisedData)
    }

    private static func string(_ value: StrictJSON.Value?, _ name: String) throws -> [UInt8] {
        guard let bytes = value?.stringBytes else { throw Invalid("\(name) missing or not a string") }
        return bytes
    }

    private static func replacing(_ key: String, in object: StrictJSON.Value, with value: StrictJSON.Value) -> StrictJSON.Value {
        guard case .object(let fields) = object else { return object }
        return .object(fields.map { $0.key.elementsEqual(key.utf8) ? ($0.key, value) : $0 })
    }

    private static func codePointCount(_ bytes: [UInt8]) -> Int {
        bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    private static func isTenant(_ bytes: [UInt8]) -> Bool {
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = bytes.first, isLowerAlphanumeric(first), bytes.count <= 63 else { return false }
        return bytes.dropFirst().allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// An integer written without fraction nor exponent; nil otherwise or when too long to matter.
    private static func integer(_ raw: [UInt8]) -> Int64? {
        var digits = raw[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ (48...57).contains($0) }) else {
            // Longer integers are far out of range anyway: report them as such.
            if !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) }) { return negative ? -1 : Int64.max }
            return nil
        }
        let magnitude = digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
        return negative ? -magnitude : magnitude
    }

    /// Days since 1970-01-01 from leap-year counts (not the generator's era algorithm).
    static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        func leapYearsThrough(_ year: Int64) -> Int64 { year / 4 - year / 100 + year / 400 }
        var days = 365 * (year - 1970) + leapYearsThrough(year - 1) - leapYearsThrough(1969)
        for earlierMonth in 1..<month { days += daysInMonth(year: year, month: earlierMonth) }
        return days + day - 1
    }

    static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Microseconds since 1970 of `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z`, nil when the text breaks the grammar.
    static func timestamp(_ bytes: [UInt8]) -> Int64? {
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        func byte(_ index: Int, _ expected: Character) -> Bool {
            index < bytes.count && bytes[index] == expected.asciiValue!
        }
        guard bytes.count >= 20, byte(4, "-"), byte(7, "-"), byte(10, "T"), byte(13, ":"), byte(16, ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var fraction: Int64 = 0
        var index = 19
        if byte(19, ".") {
            let digitsEnd = bytes.count - 1
            let digitCount = digitsEnd - 20
            guard (1...6).contains(digitCount), let digits = number(20..<digitsEnd) else { return nil }
            fraction = digits
            for _ in digitCount..<6 { fraction *= 10 }
            index = digitsEnd
        }
        guard index == bytes.count - 1, byte(index, "Z") else { return nil }
        let days = daysSince1970(year: year, month: month, day: day)
        return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + fraction
    }

    /// `YYYY-MM` as `year * 12 + month - 1`.
    static func period(_ bytes: [UInt8]) -> Int64? {
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
              bytes.enumerated().allSatisfy({ $0.offset == 4 || (48...57).contains($0.element) })
        else { return nil }
        let year = bytes[0..<4].reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
        let month = bytes[5..<7].reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
        guard (1...12).contains(month) else { return nil }
        return year * 12 + month - 1
    }

    /// The month of an instant as `year * 12 + month - 1`, by searching the calendar.
    static func periodOf(_ microseconds: Int64) -> Int64 {
        var days = microseconds / 86_400_000_000
        if microseconds % 86_400_000_000 < 0 { days -= 1 }
        var year = 1970 + days / 366
        while daysSince1970(year: year + 1, month: 1, day: 1) <= days { year += 1 }
        var month: Int64 = 1
        while month < 12 && daysSince1970(year: year, month: month + 1, day: 1) <= days { month += 1 }
        return year * 12 + month - 1
    }

    // MARK: Rules (`rule`)

    /// Applies the event to `state`, or returns why the rules refuse it (leaving `state` as it was).
    /// Every case checks before it changes anything.
    private static func apply(_ event: ValidEvent, to state: inout TenantState, statistics: inout Statistics) -> String? {
        let data = event.data
        func bytes(_ key: String) -> [UInt8] { data[key]?.stringBytes ?? [] }
        func integer(_ key: String) -> Int64 {
            guard case .number(let raw) = data[key] else { return 0 }
            return Self.integer(raw) ?? 0
        }
        let period = Self.periodOf(event.at)

        switch String(decoding: event.type, as: UTF8.self) {
        case "invitation.created":
            guard state.invitations[bytes("invitation")] == nil else { return "invitation exists" }
            guard let expiresAt = Int64(String(decoding: bytes("expires_at"), as: UTF8.self)) else {
                return "expires_at lost"
            }
            state.invitations[bytes("invitation")] = (.pending, expiresAt)
        case "invitation.accepted":
            guard let invitation = state.invitations[bytes("invitation")] else { return "unknown invitation" }
            guard invitation.status == .pending else { return "invitation not pending" }
            guard event.at < invitation.expiresAt else { return "invitation expired" }
            guard !state.users.contains(bytes("user")) else { return "user registered" }
            state.invitations[bytes("invitation")]?.status = .accepted
            state.users.insert(bytes("user"))
        case "invitation.revoked":
            guard let invitation = state.invitations[bytes("invitation")] else { return "unknown invitation" }
            guard invitation.status == .pending else { return "invitation not pending" }
            state.invitations[bytes("invitation")]?.status = .revoked
        case "worker.rate_set":
            state.rates[bytes("worker")] = integer("fixed_monthly_cents")
        case "order.placed":
            guard state.orders[bytes("order")] == nil else { return "order exists" }
            state.orders[bytes("order")] = Order(state: .placed)
        case "order.accepted":
            guard state.orders[bytes("order")]?.state == .placed else { return "order not placed" }
            state.orders[bytes("order")]?.state = .accepted
        case "job.assigned":
            guard let order = state.orders[bytes("order")], [.placed, .accepted, .assigned, .rejected].contains(order.state) else {
                return "order not assignable"
            }
            state.orders[bytes("order")] = Order(state: .assigned, writer: bytes("writer"), fee: integer("fee_cents"))
        case "order.submitted":
            guard let order = state.orders[bytes("order")], [.assigned, .rejected].contains(order.state) else {
                return "order not submittable"
            }
            state.orders[bytes("order")]?.state = .submitted
        case "order.approved":
            guard let order = state.orders[bytes("order")], order.state == .submitted, let writer = order.writer else {
                return "order not submitted"
            }
            guard !state.issuedInvoices.contains(InvoiceKey(worker: writer, period: period)) else { return "invoice issued" }
            state.orders[bytes("order")]?.state = .approved
            state.pending[writer, default: 0] += order.fee
        case "order.rejected":
            guard state.orders[bytes("order")]?.state == .submitted else { return "order not submitted" }
            state.orders[bytes("order")]?.state = .rejected
        case "order.completed":
            guard let order = state.orders[bytes("order")], order.state == .approved, let writer = order.writer else {
                return "order not approved"
            }
            state.orders[bytes("order")]?.state = .completed
            state.pending[writer, default: 0] -= order.fee
            state.available[writer, default: 0] += order.fee
        case "order.cancelled":
            guard let order = state.orders[bytes("order")], ![.approved, .completed, .cancelled].contains(order.state) else {
                return "order not cancellable"
            }
            state.orders[bytes("order")]?.state = .cancelled
        case "bonus.added", "fine.issued":
            let worker = bytes("worker")
            guard !state.issuedInvoices.contains(InvoiceKey(worker: worker, period: period)) else { return "invoice issued" }
            let sign: Int64 = event.type.elementsEqual("bonus.added".utf8) ? 1 : -1
            state.available[worker, default: 0] += sign * integer("amount_cents")
            if state.available[worker, default: 0] < 0 { statistics.negativeBalancesSeen += 1 }
        case "payout.paid":
            let worker = bytes("worker")
            guard integer("amount_cents") <= state.available[worker, default: 0] else { return "payout above available" }
            state.available[worker, default: 0] -= integer("amount_cents")
            statistics.payoutsAppended += 1
        case "invoice.issued":
            let worker = bytes("worker")
            let invoicePeriod = Self.period(bytes("period"))!
            guard invoicePeriod < period else { return "period not ended" }
            guard state.issuedInvoices.insert(InvoiceKey(worker: worker, period: invoicePeriod)).inserted else {
                return "invoice issued twice"
            }
            state.available[worker, default: 0] += state.rates[worker] ?? 0
            statistics.invoicesAppended += 1
        case "subscription.changed":
            let change = String(decoding: bytes("change"), as: UTF8.self)
            switch (change, state.subscription) {
            case ("created", .none): state.subscription = .active
            case ("created", _): return "subscription exists"
            case (_, .none): return "no subscription"
            case ("cancelled", .cancelled), ("upgraded", .cancelled), ("downgraded", .cancelled): return "subscription cancelled"
            case ("reactivated", .active): return "subscription active"
            case ("cancelled", _): state.subscription = .cancelled
            default: state.subscription = .active
            }
        case "audit.recorded":
            break
        default:
            preconditionFailure("type validated above")
        }
        return nil
    }
}

@Suite struct GeneratorReferenceLedgerTests {
    /// The reference must itself reproduce the fixture's outcomes and money before it
    /// may judge the generator.
    @Test func referenceLedgerReproducesTheSampleFixture() throws {
        let linesURL = try #require(Bundle.module.url(forResource: "sample", withExtension: "jsonl", subdirectory: "Fixtures"))
        let expectedURL = try #require(Bundle.module.url(forResource: "sample.expected", withExtension: "json", subdirectory: "Fixtures"))
        let bytes = Array(try Data(contentsOf: linesURL))
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: expectedURL)) as? [String: Any])
        let outcomes = try #require(expected["outcomes"] as? [[String: Any]])

        var reference = ReferenceLedger()
        var actual: [Int: ReferenceLedger.Outcome] = [:]
        for (offset, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if let outcome = reference.offer(line) { actual[offset + 1] = outcome }
        }
        #expect(actual.count == outcomes.count)
        for entry in outcomes {
            let lineNumber = try #require(entry["line"] as? Int)
            let outcome = try #require(actual[lineNumber])
            switch entry["outcome"] as? String {
            case "appended":
                #expect(outcome == .appended(position: entry["position"] as? Int ?? -1), "line \(lineNumber)")
            case "duplicate":
                #expect(outcome == .duplicate(position: entry["position"] as? Int ?? -1), "line \(lineNumber)")
            default:
                #expect(outcome.name == entry["code"] as? String, "line \(lineNumber): \(outcome)")
            }
        }

        let tenants = try #require(expected["tenants"] as? [String: [String: Any]])
        for (tenant, models) in tenants {
            let balances = try #require(models["balances"] as? [String: [String: Any]])
            for (worker, balance) in balances {
                let (available, pending) = reference.balance(tenant: tenant, worker: worker)
                #expect(Int64(balance["available_cents"] as? Int ?? -1) == available, "\(tenant) \(worker)")
                #expect(Int64(balance["pending_cents"] as? Int ?? -1) == pending, "\(tenant) \(worker)")
            }
            let invoices = try #require(models["invoices"] as? [String: [String: Any]])
            for (key, invoice) in invoices {
                let parts = key.split(separator: "/").map(String.init)
                let issued = reference.isInvoiceIssued(tenant: tenant, worker: parts[0], period: parts[1])
                #expect(issued == (invoice["status"] as? String == "issued"), "\(tenant) \(key)")
            }
        }
    }
}
