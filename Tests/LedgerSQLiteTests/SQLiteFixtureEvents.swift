import Foundation
import LedgerDomain

/// (A copy of `LedgerDomainTests/FixtureEvents.swift`: test targets cannot share sources.)
/// A small, test-only converter from the sample fixture's JSON lines to `Event` values, with
/// Foundation's JSONSerialization. It is not the project's parser (that one is strict and fast):
/// it is used only for the lines the expected outcomes say are not `invalid`, and it turns two
/// lines that are equal as JSON values into equal events (key order, white space, `\u`
/// escapes, `-0`, the same instant written differently, unknown top-level fields).
enum SQLiteFixtureEvents {
    struct ConversionError: Error, CustomStringConvertible {
        var description: String
    }

    /// The bytes of a fixture file of `Tests/LedgerSQLiteTests/Fixtures`.
    static func fixture(_ name: String, _ fileExtension: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: fileExtension, subdirectory: "Fixtures")
        else { throw ConversionError(description: "fixture \(name).\(fileExtension) not found") }
        return try Data(contentsOf: url)
    }

    /// The fixture's text, exactly as stored.
    static func fixtureText(_ name: String, _ fileExtension: String) throws -> String {
        String(decoding: try fixture(name, fileExtension), as: UTF8.self)
    }

    /// The physical lines of a JSON Lines file, split on `\n` only (line N is index N - 1).
    static func lines(of data: Data) -> [Data] {
        data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
    }

    /// A line holding only spaces, tabs or CR.
    static func isBlank(_ line: Data) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    static func event(fromLine line: Data) throws -> Event {
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw ConversionError(description: "not a JSON object")
        }
        let data = try field(object, "data", as: [String: Any].self)
        let typeName = try field(object, "type", as: String.self)
        guard let type = EventType(name: typeName) else { throw ConversionError(description: "unknown type \(typeName)") }
        let (eventData, knownKeys) = try eventData(type: type, data: data)
        let extras = data.filter { !knownKeys.contains($0.key) }
        return Event(
            tenant: Name(try field(object, "tenant", as: String.self)),
            id: Name(try field(object, "id", as: String.self)),
            at: try timestamp(try field(object, "at", as: String.self)),
            actor: Name(try field(object, "actor", as: String.self)),
            data: eventData,
            extras: extras.isEmpty ? "" : try canonicalJSON(extras))
    }

    private static func eventData(type: EventType, data: [String: Any]) throws -> (EventData, Set<String>) {
        func name(_ key: String) throws -> Name { Name(try field(data, key, as: String.self)) }
        func text(_ key: String) throws -> String { try field(data, key, as: String.self) }
        func cents(_ key: String) throws -> Int64 { try integer(data, key) }
        switch type {
        case .invitationCreated:
            let role = try enumCase(Role.allCases, named: try text("role"), \.name)
            let event = EventData.invitationCreated(
                invitation: try name("invitation"), email: try name("email"), role: role,
                expiresAt: try timestamp(try text("expires_at")))
            return (event, ["invitation", "email", "role", "expires_at"])
        case .invitationAccepted:
            return (.invitationAccepted(invitation: try name("invitation"), user: try name("user")), ["invitation", "user"])
        case .invitationRevoked:
            return (.invitationRevoked(invitation: try name("invitation")), ["invitation"])
        case .workerRateSet:
            return (
                .workerRateSet(worker: try name("worker"), fixedMonthlyCents: try cents("fixed_monthly_cents")),
                ["worker", "fixed_monthly_cents"]
            )
        case .orderPlaced:
            let event = EventData.orderPlaced(
                order: try name("order"), client: try name("client"), title: try text("title"),
                priceCents: try cents("price_cents"))
            return (event, ["order", "client", "title", "price_cents"])
        case .orderAccepted:
            return (.orderAccepted(order: try name("order"), manager: try name("manager")), ["order", "manager"])
        case .jobAssigned:
            let event = EventData.jobAssigned(order: try name("order"), writer: try name("writer"), feeCents: try cents("fee_cents"))
            return (event, ["order", "writer", "fee_cents"])
        case .orderSubmitted:
            return (.orderSubmitted(order: try name("order"), submissions: try cents("submissions")), ["order", "submissions"])
        case .orderApproved:
            return (.orderApproved(order: try name("order")), ["order"])
        case .orderRejected:
            return (.orderRejected(order: try name("order"), reason: try text("reason")), ["order", "reason"])
        case .orderCompleted:
            return (.orderCompleted(order: try name("order")), ["order"])
        case .orderCancelled:
            return (.orderCancelled(order: try name("order"), reason: try text("reason")), ["order", "reason"])
        case .bonusAdded:
            let event = EventData.bonusAdded(worker: try name("worker"), amountCents: try cents("amount_cents"), reason: try text("reason"))
            return (event, ["worker", "amount_cents", "reason"])
        case .fineIssued:
            let event = EventData.fineIssued(worker: try name("worker"), amountCents: try cents("amount_cents"), reason: try text("reason"))
            return (event, ["worker", "amount_cents", "reason"])
        case .payoutPaid:
            let event = EventData.payoutPaid(
                worker: try name("worker"), amountCents: try cents("amount_cents"), reference: try text("reference"))
            return (event, ["worker", "amount_cents", "reference"])
        case .invoiceIssued:
            return (.invoiceIssued(worker: try name("worker"), period: try period(try text("period"))), ["worker", "period"])
        case .subscriptionChanged:
            let change = try enumCase(SubscriptionChange.allCases, named: try text("change"), \.name)
            let event = EventData.subscriptionChanged(change: change, plan: try name("plan"), mrrCents: try cents("mrr_cents"))
            return (event, ["change", "plan", "mrr_cents"])
        case .auditRecorded:
            let risk = try enumCase(Risk.allCases, named: try text("risk"), \.name)
            let metadata = try data["metadata"].map { value -> String in
                guard let object = value as? [String: Any] else { throw ConversionError(description: "metadata is not an object") }
                return try canonicalJSON(object)
            }
            let event = EventData.auditRecorded(
                action: try name("action"), targetType: try name("target_type"), targetID: try name("target_id"),
                risk: risk, metadata: metadata)
            return (event, ["action", "target_type", "target_id", "risk", "metadata"])
        }
    }

    private static func field<Value>(_ object: [String: Any], _ key: String, as: Value.Type) throws -> Value {
        guard let value = object[key] as? Value else { throw ConversionError(description: "field \(key) missing or mistyped") }
        return value
    }

    private static func integer(_ object: [String: Any], _ key: String) throws -> Int64 {
        guard let number = object[key] as? NSNumber else { throw ConversionError(description: "field \(key) is not a number") }
        let value = number.int64Value
        guard number.doubleValue == Double(value) else { throw ConversionError(description: "field \(key) is not an integer") }
        return value
    }

    private static func enumCase<Case>(_ cases: [Case], named name: String, _ nameOf: (Case) -> String) throws -> Case {
        guard let found = cases.first(where: { nameOf($0).utf8.elementsEqual(name.utf8) }) else {
            throw ConversionError(description: "unknown value \(name)")
        }
        return found
    }

    /// Sorted keys, no white space: equal JSON objects give equal text (enough for this fixture).
    private static func canonicalJSON(_ object: [String: Any]) throws -> String {
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.f]Z`, 1 to 6 fraction digits.
    static func timestamp(_ text: String) throws -> Timestamp {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) throws -> Int64 {
            guard range.upperBound <= bytes.count, let value = Int64(String(decoding: bytes[range], as: UTF8.self)) else {
                throw ConversionError(description: "bad timestamp \(text)")
            }
            return value
        }
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T"), bytes.last == UInt8(ascii: "Z") else {
            throw ConversionError(description: "bad timestamp \(text)")
        }
        var microseconds: Int64 = 0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), (22...27).contains(bytes.count) else {
                throw ConversionError(description: "bad timestamp fraction \(text)")
            }
            let digits = bytes.count - 21
            microseconds = try number(20..<(bytes.count - 1))
            for _ in digits..<6 { microseconds *= 10 }
        }
        let days = daysFromCivil(year: try number(0..<4), month: try number(5..<7), day: try number(8..<10))
        let seconds = days * 86_400 + (try number(11..<13)) * 3600 + (try number(14..<16)) * 60 + (try number(17..<19))
        return Timestamp(microseconds: seconds * 1_000_000 + microseconds)
    }

    /// `YYYY-MM`.
    static func period(_ text: String) throws -> Period {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let year = Int32(parts[0]), let month = Int32(parts[1]), (1...12).contains(month) else {
            throw ConversionError(description: "bad period \(text)")
        }
        return Period(year: year, month: month)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
