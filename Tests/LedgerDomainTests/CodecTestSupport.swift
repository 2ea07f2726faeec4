import Foundation
import LedgerDomain
import LedgerEngine
import LedgerTestSupport
import Testing

/// Helpers of the codec tests (prefixed `Codec` so that they never clash with the other
/// suites of this target).

/// The shared SplitMix64, so that a failing random test can be replayed.
typealias CodecRandom = SeededGenerator

extension SeededGenerator {
    init(seed: UInt64) { self.init(state: seed) }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }
    mutating func pick<Element>(_ elements: [Element]) -> Element { elements[Int.random(in: 0..<elements.count, using: &self)] }
}

enum CodecFixture {
    static func url(_ name: String, _ fileExtension: String) -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: fileExtension, subdirectory: "Fixtures") else {
            fatalError("fixture \(name).\(fileExtension) missing from the test bundle")
        }
        return url
    }

    /// The physical lines of sample.jsonl (split on "\n"), numbered from 1; the empty piece
    /// after the final newline is dropped.
    static func sampleLines() throws -> [[UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: url("sample", "jsonl")))
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    struct Outcome {
        var line: Int
        var outcome: String
        var code: String?
        var position: Int?
    }

    static func expectedOutcomes() throws -> [Outcome] {
        let data = try Data(contentsOf: url("sample.expected", "json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let outcomes = try #require(document["outcomes"] as? [[String: Any]])
        return try outcomes.map { entry in
            Outcome(line: try #require(entry["line"] as? Int), outcome: try #require(entry["outcome"] as? String),
                    code: entry["code"] as? String, position: entry["position"] as? Int)
        }
    }
}

func codecParse(_ line: String) -> Result<Event, Refusal> {
    EventLineParser.parse(Array(line.utf8))
}

/// The event of a line that must parse, or a recorded test failure.
func codecEvent(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Event {
    switch codecParse(line) {
    case .success(let event): return event
    case .failure(let refusal):
        Issue.record("refused \(refusal): \(line)", sourceLocation: sourceLocation)
        throw refusal
    }
}

/// Exact equality: tenant and id bytes, and `hasSameContent` (byte-exact strings).
func codecIdentical(_ left: Event, _ right: Event) -> Bool {
    left.tenant == right.tenant && left.id == right.id && left.hasSameContent(as: right) && left == right
}

/// Random valid events and their effects, covering every type, odd strings and extras.
enum CodecRandomEvents {
    static let stringPieces: [String] = [
        "a", "Z", "0", "-", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{8}", "\u{C}", "\u{0}", "\u{1}", "\u{1F}",
        "\u{7F}", "é", "e\u{301}", "ß", "€", "中文", "𝄞", "😀", "\u{FFFF}", "\u{2028}", "\u{10FFFF}", "{}", "[1]", "ok",
    ]

    static func string(_ random: inout CodecRandom, scalarsMax: Int = 20, allowEmpty: Bool = true) -> String {
        var result = ""
        let count = Int.random(in: (allowEmpty ? 0 : 1)...max(1, scalarsMax / 2), using: &random)
        for _ in 0..<count {
            let piece = random.pick(stringPieces)
            if result.unicodeScalars.count + piece.unicodeScalars.count <= scalarsMax { result += piece }
        }
        if result.isEmpty && !allowEmpty { result = "x" }
        return result
    }

    static func name(_ random: inout CodecRandom) -> Name { Name(string(&random, allowEmpty: false)) }

    static func tenant(_ random: inout CodecRandom) -> Name {
        let first = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let rest = first + ["-"]
        var text = String(random.pick(first))
        for _ in 0..<Int.random(in: 0...(random.chance(0.1) ? 62 : 8), using: &random) { text.append(random.pick(rest)) }
        return Name(text)
    }

    static func amount(_ random: inout CodecRandom, minimum: Int64) -> Int64 {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: minimum
        case 1: 1_000_000_000_000
        default: Int64.random(in: minimum...1_000_000, using: &random)
        }
    }

    static func timestamp(_ random: inout CodecRandom) -> Timestamp {
        let range = Timestamp.textMinimum.microseconds...Timestamp.textMaximum.microseconds
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return Timestamp(microseconds: Int64.random(in: range, using: &random))
        case 1: return Timestamp(microseconds: Int64.random(in: 1_700_000_000...1_800_000_000, using: &random) * 1_000_000)
        default:
            let seconds = Int64.random(in: 1_700_000_000...1_800_000_000, using: &random)
            let fraction = Int64.random(in: 0..<1_000_000, using: &random)
            return Timestamp(microseconds: seconds * 1_000_000 + fraction)
        }
    }

    /// A canonical extras text obtained through the parser from a random JSON object.
    static func extras(_ random: inout CodecRandom, type: EventType) -> String {
        guard random.chance(0.3) else { return "" }
        let known = Set(knownFieldNames(type))
        var members: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            var key = "x" + string(&random, scalarsMax: 6)
            if known.contains(key) { key += "_extra" }
            members.append(jsonString(key) + ":" + jsonValue(&random, depth: 0))
        }
        let object = "{" + members.joined(separator: ",") + "}"
        // Duplicate random keys are possible: let the parser decide, keep only successes.
        let line = #"{"id":"e","tenant":"t","type":"order.approved","at":"2026-01-01T00:00:00Z","actor":"a","data":{"order":"o","x":"#
            + object + "}}"
        guard case .success(let event) = codecParse(line) else { return "" }
        return event.extras
    }

    static func jsonValue(_ random: inout CodecRandom, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
        case 0: return random.pick(["true", "false", "null"])
        case 1: return random.pick(["0", "-0", "1.50", "10e-1", "-2.5E+3", "123456789012345678901234", "1e-7", "0.000001", "7"])
        case 2, 3: return jsonString(string(&random))
        case 4: return String(Int.random(in: -1000...1000, using: &random))
        case 5: return "[" + (0..<Int.random(in: 0...3, using: &random)).map { _ in jsonValue(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        default: return jsonObject(&random, depth: depth)
        }
    }

    static func jsonObject(_ random: inout CodecRandom, depth: Int) -> String {
        let keys = (0..<Int.random(in: 0...3, using: &random)).map { "k\($0)" + string(&random, scalarsMax: 3) }
        return "{" + keys.map { jsonString($0) + ":" + jsonValue(&random, depth: depth + 1) }.joined(separator: ",") + "}"
    }

    /// A JSON string literal of `text` (escaping only what JSON requires).
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func knownFieldNames(_ type: EventType) -> [String] {
        switch type {
        case .invitationCreated: ["invitation", "email", "role", "expires_at"]
        case .invitationAccepted: ["invitation", "user"]
        case .invitationRevoked: ["invitation"]
        case .workerRateSet: ["worker", "fixed_monthly_cents"]
        case .orderPlaced: ["order", "client", "title", "price_cents"]
        case .orderAccepted: ["order", "manager"]
        case .jobAssigned: ["order", "writer", "fee_cents"]
        case .orderSubmitted: ["order", "submissions"]
        case .orderApproved, .orderCompleted: ["order"]
        case .orderRejected, .orderCancelled: ["order", "reason"]
        case .bonusAdded, .fineIssued: ["worker", "amount_cents", "reason"]
        case .payoutPaid: ["worker", "amount_cents", "reference"]
        case .invoiceIssued: ["worker", "period"]
        case .subscriptionChanged: ["change", "plan", "mrr_cents"]
        case .auditRecorded: ["action", "target_type", "target_id", "risk", "metadata"]
        }
    }

    static func data(_ random: inout CodecRandom, type: EventType) -> EventData {
        switch type {
        case .invitationCreated:
            .invitationCreated(invitation: name(&random), email: name(&random), role: random.pick(Role.allCases), expiresAt: timestamp(&random))
        case .invitationAccepted: .invitationAccepted(invitation: name(&random), user: name(&random))
        case .invitationRevoked: .invitationRevoked(invitation: name(&random))
        case .workerRateSet: .workerRateSet(worker: name(&random), fixedMonthlyCents: amount(&random, minimum: 0))
        case .orderPlaced:
            .orderPlaced(order: name(&random), client: name(&random), title: string(&random), priceCents: amount(&random, minimum: 0))
        case .orderAccepted: .orderAccepted(order: name(&random), manager: name(&random))
        case .jobAssigned: .jobAssigned(order: name(&random), writer: name(&random), feeCents: amount(&random, minimum: 0))
        case .orderSubmitted: .orderSubmitted(order: name(&random), submissions: amount(&random, minimum: 1))
        case .orderApproved: .orderApproved(order: name(&random))
        case .orderRejected: .orderRejected(order: name(&random), reason: string(&random))
        case .orderCompleted: .orderCompleted(order: name(&random))
        case .orderCancelled: .orderCancelled(order: name(&random), reason: string(&random))
        case .bonusAdded: .bonusAdded(worker: name(&random), amountCents: amount(&random, minimum: 1), reason: string(&random))
        case .fineIssued: .fineIssued(worker: name(&random), amountCents: amount(&random, minimum: 1), reason: string(&random))
        case .payoutPaid: .payoutPaid(worker: name(&random), amountCents: amount(&random, minimum: 1), reference: string(&random))
        case .invoiceIssued:
            .invoiceIssued(worker: name(&random), period: Period(year: Int32.random(in: 0...9999, using: &random), month: Int32.random(in: 1...12, using: &random)))
        case .subscriptionChanged:
            .subscriptionChanged(change: random.pick(SubscriptionChange.allCases), plan: name(&random), mrrCents: amount(&random, minimum: 0))
        case .auditRecorded:
            .auditRecorded(action: name(&random), targetType: name(&random), targetID: name(&random), risk: random.pick(Risk.allCases),
                           metadata: random.chance(0.5) ? metadata(&random) : nil)
        }
    }

    static func metadata(_ random: inout CodecRandom) -> String {
        let line = #"{"id":"e","tenant":"t","type":"audit.recorded","at":"2026-01-01T00:00:00Z","actor":"a","data":{"action":"a","target_type":"t","target_id":"i","risk":"low","metadata":"#
            + jsonObject(&random, depth: 2) + "}}"
        guard case .success(let event) = codecParse(line), case .auditRecorded(_, _, _, _, let metadata?) = event.data else { return "{}" }
        return metadata
    }

    static func event(_ random: inout CodecRandom) -> (Event, Effect) {
        let type = random.pick(EventType.allCases)
        let event = Event(tenant: tenant(&random), id: Name(string(&random, scalarsMax: 64, allowEmpty: false)),
                          at: timestamp(&random), actor: Name(string(&random, scalarsMax: 64, allowEmpty: false)),
                          data: data(&random, type: type), extras: extras(&random, type: type))
        let effect: Effect = switch type {
        case .orderApproved: .approval(writer: name(&random), feeCents: amount(&random, minimum: 0), submissions: amount(&random, minimum: 1))
        case .orderCompleted: .completion(writer: name(&random), feeCents: amount(&random, minimum: 0))
        case .invoiceIssued: .invoice(fixedPayCents: amount(&random, minimum: 0))
        case .invitationAccepted: .acceptance(role: random.pick(Role.allCases))
        default: .none
        }
        return (event, effect)
    }
}

/// Writes an event as a JSON line spelled differently from the canonical one but equal as
/// a JSON value: members shuffled, white space, escapes (`\\uXXXX`, surrogate pairs, `\\/`),
/// timestamps with trailing fraction zeros, `-0`, and an unknown top-level field.
enum CodecNoisyWriter {
    static func line(_ event: Event, _ random: inout CodecRandom) -> String {
        var members: [(String, String)] = [
            ("id", string(event.id.string, &random)),
            ("tenant", string(event.tenant.string, &random)),
            ("type", string(event.type.name, &random)),
            ("at", timestamp(event.at, &random)),
            ("actor", string(event.actor.string, &random)),
            ("data", object(dataMembers(event, &random), &random)),
        ]
        if random.chance(0.3) { members.append(("source", CodecRandomEvents.jsonValue(&random, depth: 1))) }
        return space(&random) + object(members, &random) + space(&random) + (random.chance(0.2) ? "\r" : "")
    }

    static func space(_ random: inout CodecRandom) -> String {
        random.pick(["", "", " ", "\t", "  ", " \t "])
    }

    static func object(_ members: [(String, String)], _ random: inout CodecRandom) -> String {
        let shuffled = members.shuffled(using: &random)
        let body = shuffled.map { key, value in
            space(&random) + (key.hasPrefix("\"") ? key : string(key, &random)) + space(&random) + ":" + space(&random) + value + space(&random)
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    /// A JSON string literal with random escapes.
    static func string(_ text: String, _ random: inout CodecRandom) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            guard mustEscape || random.chance(0.15) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\"" where random.chance(0.5): result += "\\\""
            case "\\" where random.chance(0.5): result += "\\\\"
            case "\n" where random.chance(0.5): result += "\\n"
            case "/" where random.chance(0.5): result += "\\/"
            default:
                if scalar.value >= 0x10000 {
                    let value = scalar.value - 0x10000
                    result += hexEscape(0xD800 + (value >> 10), &random) + hexEscape(0xDC00 + (value & 0x3FF), &random)
                } else {
                    result += hexEscape(scalar.value, &random)
                }
            }
        }
        return result + "\""
    }

    static func hexEscape(_ value: UInt32, _ random: inout CodecRandom) -> String {
        String(format: random.chance(0.5) ? "\\u%04x" : "\\u%04X", value)
    }

    static func timestamp(_ at: Timestamp, _ random: inout CodecRandom) -> String {
        var text = at.canonical
        text.removeLast() // Z
        if random.chance(0.6) {
            if !text.contains(".") { text += "." }
            let fractionCount = text.count - text.distance(from: text.startIndex, to: text.firstIndex(of: ".")!) - 1
            text += String(repeating: "0", count: Int.random(in: max(0, 1 - fractionCount)...(6 - fractionCount), using: &random))
        }
        return "\"" + text + "Z\""
    }

    static func integer(_ value: Int64, _ random: inout CodecRandom) -> String {
        value == 0 && random.chance(0.5) ? "-0" : String(value)
    }

    static func dataMembers(_ event: Event, _ random: inout CodecRandom) -> [(String, String)] {
        func s(_ text: String) -> String { string(text, &random) }
        var members: [(String, String)]
        switch event.data {
        case .invitationCreated(let invitation, let email, let role, let expiresAt):
            members = [("invitation", s(invitation.string)), ("email", s(email.string)), ("role", s(role.name)), ("expires_at", timestamp(expiresAt, &random))]
        case .invitationAccepted(let invitation, let user): members = [("invitation", s(invitation.string)), ("user", s(user.string))]
        case .invitationRevoked(let invitation): members = [("invitation", s(invitation.string))]
        case .workerRateSet(let worker, let cents): members = [("worker", s(worker.string)), ("fixed_monthly_cents", integer(cents, &random))]
        case .orderPlaced(let order, let client, let title, let cents):
            members = [("order", s(order.string)), ("client", s(client.string)), ("title", s(title)), ("price_cents", integer(cents, &random))]
        case .orderAccepted(let order, let manager): members = [("order", s(order.string)), ("manager", s(manager.string))]
        case .jobAssigned(let order, let writer, let cents):
            members = [("order", s(order.string)), ("writer", s(writer.string)), ("fee_cents", integer(cents, &random))]
        case .orderSubmitted(let order, let submissions): members = [("order", s(order.string)), ("submissions", integer(submissions, &random))]
        case .orderApproved(let order), .orderCompleted(let order): members = [("order", s(order.string))]
        case .orderRejected(let order, let reason), .orderCancelled(let order, let reason): members = [("order", s(order.string)), ("reason", s(reason))]
        case .bonusAdded(let worker, let cents, let reason), .fineIssued(let worker, let cents, let reason):
            members = [("worker", s(worker.string)), ("amount_cents", integer(cents, &random)), ("reason", s(reason))]
        case .payoutPaid(let worker, let cents, let reference):
            members = [("worker", s(worker.string)), ("amount_cents", integer(cents, &random)), ("reference", s(reference))]
        case .invoiceIssued(let worker, let period): members = [("worker", s(worker.string)), ("period", s(period.text))]
        case .subscriptionChanged(let change, let plan, let cents):
            members = [("change", s(change.name)), ("plan", s(plan.string)), ("mrr_cents", integer(cents, &random))]
        case .auditRecorded(let action, let targetType, let targetID, let risk, let metadata):
            members = [("action", s(action.string)), ("target_type", s(targetType.string)), ("target_id", s(targetID.string)), ("risk", s(risk.name))]
            if let metadata { members.append(("metadata", metadata)) }
        }
        members += splitCanonicalObject(event.extras)
        return members
    }

    /// The members of a canonical JSON object text as (key literal, value text).
    static func splitCanonicalObject(_ text: String) -> [(String, String)] {
        guard !text.isEmpty else { return [] }
        let scalars = Array(text.unicodeScalars.dropFirst().dropLast())
        var members: [(String, String)] = []
        var depth = 0, inString = false, escaped = false
        var current = String.UnicodeScalarView()
        var key: String?
        for scalar in scalars {
            if inString {
                current.append(scalar)
                if escaped { escaped = false } else if scalar == "\\" { escaped = true } else if scalar == "\"" { inString = false }
                continue
            }
            switch scalar {
            case "\"": inString = true; current.append(scalar)
            case "{", "[": depth += 1; current.append(scalar)
            case "}", "]": depth -= 1; current.append(scalar)
            case ":" where depth == 0 && key == nil: key = String(current); current = String.UnicodeScalarView()
            case "," where depth == 0: members.append((key!, String(current))); key = nil; current = String.UnicodeScalarView()
            default: current.append(scalar)
            }
        }
        members.append((key!, String(current)))
        return members
    }
}
