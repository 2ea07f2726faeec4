import LedgerDomain
import LedgerEngine
import Testing

enum CodecBinary {
    static func payload(_ event: Event, _ effect: Effect) -> [UInt8] {
        var payload: [UInt8] = []
        EventBinaryCodec.encodePayload(event, effect: effect, into: &payload)
        return payload
    }

    /// Decodes `payload` with the record fields of `event` (or the overrides).
    static func decode(_ event: Event, _ payload: [UInt8], type: UInt16? = nil, at: Int64? = nil,
                       tenant: [UInt8]? = nil, id: [UInt8]? = nil, actor: [UInt8]? = nil,
                       names: NameCache? = nil) -> Result<(Event, Effect), PayloadError> {
        let tenantBytes = tenant ?? Array(event.tenant.string.utf8)
        let idBytes = id ?? Array(event.id.string.utf8)
        let actorBytes = actor ?? Array(event.actor.string.utf8)
        return tenantBytes.withUnsafeBytes { tenant in
            idBytes.withUnsafeBytes { id in
                actorBytes.withUnsafeBytes { actor in
                    payload.withUnsafeBytes { payload in
                        Result { () throws(PayloadError) in
                            try EventBinaryCodec.decode(tenant: tenant, id: id, type: type ?? UInt16(event.type.rawValue),
                                                        at: at ?? event.at.microseconds, actor: actor, payload: payload, names: names)
                        }
                    }
                }
            }
        }
    }

    static func roundTrip(_ event: Event, _ effect: Effect) throws -> (Event, Effect) {
        try decode(event, payload(event, effect)).get()
    }

    static func money(type: EventType, _ payload: [UInt8]) -> Result<(MoneyMovementKind, String, Int64)?, PayloadError> {
        payload.withUnsafeBytes { bytes in
            Result { () throws(PayloadError) in
                guard let movement = try EventBinaryCodec.decodeMoney(type: UInt16(type.rawValue), payload: bytes) else { return nil }
                return (movement.kind, String(decoding: movement.worker, as: UTF8.self), movement.amountCents)
            }
        }
    }
}

@Suite("Binary payload codec")
struct CodecBinaryTests {
    static let seed: UInt64 = 0x5EED_C0DE

    private func event(_ data: EventData, extras: String = "") -> Event {
        Event(tenant: "acme", id: "e-1", at: Timestamp(microseconds: 1_772_619_300_000_000), actor: "u-1", data: data, extras: extras)
    }

    @Test func writesTheDocumentedLayout() {
        // docs/FORMAT.md, "Event payloads", worked examples.
        let bonus = event(.bonusAdded(worker: "w-17", amountCents: 5000, reason: "Great month"))
        #expect(CodecBinary.payload(bonus, .none) == [0x04] + Array("w-17".utf8) + [0x88, 0x27, 0x0B] + Array("Great month".utf8) + [0x00])
        let approval = event(.orderApproved(order: "o-1"))
        #expect(CodecBinary.payload(approval, .approval(writer: "w-1", feeCents: 20000, submissions: 3))
            == [0x03] + Array("w-1".utf8) + [0xA0, 0x9C, 0x01, 0x03, 0x03] + Array("o-1".utf8) + [0x00])
        let invoice = event(.invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1)))
        // fixed pay 100000 = 0xA0 0x8D 0x06; period ordinal 2026*12+0 = 24312 = 0xF8 0xBD 0x01
        #expect(CodecBinary.payload(invoice, .invoice(fixedPayCents: 100_000))
            == [0xA0, 0x8D, 0x06, 0x03] + Array("w-1".utf8) + [0xF8, 0xBD, 0x01, 0x00])
        let expiry = Timestamp(parsing: "2026-01-09T09:00:00Z".utf8)!
        let created = event(.invitationCreated(invitation: "inv-1", email: "w1@acme.example", role: .writer, expiresAt: expiry))
        #expect(CodecBinary.payload(created, .none)
            == [0x05] + Array("inv-1".utf8) + [0x0F] + Array("w1@acme.example".utf8) + [0x04, 0x80, 0x90, 0xE0, 0x80, 0x98, 0xFC, 0xA3, 0x06, 0x00])
        let invitation = event(.invitationCreated(invitation: "i", email: "e", role: .client,
                                                  expiresAt: Timestamp(microseconds: -1)))
        #expect(CodecBinary.payload(invitation, .none) == [0x01, 0x69, 0x01, 0x65, 0x03, 0x01, 0x00])
        let audit = event(.auditRecorded(action: "a", targetType: "t", targetID: "i", risk: .high, metadata: #"{"k":1}"#),
                          extras: #"{"x":true}"#)
        #expect(CodecBinary.payload(audit, .none)
            == [0x01, 0x61, 0x01, 0x74, 0x01, 0x69, 0x03, 0x08] + Array(#"{"k":1}"#.utf8) + [0x0A] + Array(#"{"x":true}"#.utf8))
    }

    @Test func randomEventsRoundTripWithTheirEffects() throws {
        var random = CodecRandom(seed: Self.seed)
        for iteration in 0..<1500 {
            let (original, effect) = CodecRandomEvents.event(&random)
            let payload = CodecBinary.payload(original, effect)
            switch CodecBinary.decode(original, payload) {
            case .success(let (decoded, decodedEffect)):
                #expect(codecIdentical(original, decoded), "seed \(Self.seed) iteration \(iteration): \(original)")
                #expect(decodedEffect == effect, "seed \(Self.seed) iteration \(iteration)")
            case .failure(let error):
                Issue.record("seed \(Self.seed) iteration \(iteration): \(error) for \(original)")
            }
        }
    }

    @Test func everyTruncatedPayloadIsAnErrorWithItsOffset() {
        var random = CodecRandom(seed: Self.seed ^ 1)
        for _ in 0..<150 {
            let (original, effect) = CodecRandomEvents.event(&random)
            let payload = CodecBinary.payload(original, effect)
            for length in 0..<payload.count {
                guard case .failure(let error) = CodecBinary.decode(original, Array(payload[..<length])) else {
                    Issue.record("a payload cut at \(length) of \(payload.count) decoded: \(original)")
                    continue
                }
                #expect(error.type == UInt16(original.type.rawValue))
                #expect(error.offset.map { $0 <= length } ?? false, "\(error)")
            }
            guard case .failure(let error) = CodecBinary.decode(original, payload + [0]) else {
                Issue.record("a payload with a byte more decoded")
                continue
            }
            #expect(error.field == "end" && error.offset == payload.count)
        }
    }

    @Test func corruptBytesNeverCrashAndDecodeOnlyToWhatEncodesBackIdentically() {
        var random = CodecRandom(seed: Self.seed ^ 2)
        for _ in 0..<60 {
            let (original, effect) = CodecRandomEvents.event(&random)
            let payload = CodecBinary.payload(original, effect)
            for index in payload.indices {
                for replacement: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF, payload[index] &+ 1] where replacement != payload[index] {
                    var corrupt = payload
                    corrupt[index] = replacement
                    // A decoded corrupt payload is another valid event, whose payload is exactly these bytes.
                    if case .success(let (decoded, decodedEffect)) = CodecBinary.decode(original, corrupt) {
                        #expect(CodecBinary.payload(decoded, decodedEffect) == corrupt)
                    }
                }
            }
        }
    }

    @Test func reportsTheFieldTheOffsetAndTheReason() {
        let bonus = event(.bonusAdded(worker: "w-17", amountCents: 5000, reason: "x"))
        func failure(_ payload: [UInt8], type: UInt16? = nil) -> PayloadError? {
            if case .failure(let error) = CodecBinary.decode(bonus, payload, type: type) { return error }
            return nil
        }
        let zeroAmount = failure([0x01, 0x77, 0x00, 0x00, 0x00])
        #expect(zeroAmount?.field == "amount_cents" && zeroAmount?.offset == 2 && zeroAmount?.reason == "0 is outside [1, 10^12]")
        #expect(zeroAmount?.description == "malformed bonus.added record: field amount_cents at payload byte 2: 0 is outside [1, 10^12]")
        let overlong = failure([0x01, 0x77, 0x81, 0x00, 0x00, 0x00])
        #expect(overlong?.field == "amount_cents" && overlong?.reason == "varint not in its shortest form")
        let overflow = failure([0x01, 0x77] + Array(repeating: 0xFF, count: 10) + [0x01, 0x00, 0x00])
        #expect(overflow?.reason == "varint overflows 64 bits")
        let longString = failure([0x09, 0x77])
        #expect(longString?.field == "worker" && longString?.offset == 0 && longString?.reason.contains("runs past") == true)
        let badUTF8 = failure([0x01, 0xC0, 0x01, 0x00, 0x00])
        #expect(badUTF8?.field == "worker" && badUTF8?.reason == "invalid UTF-8")
        let emptyWorker = failure([0x00, 0x01, 0x00, 0x00])
        #expect(emptyWorker?.field == "worker" && emptyWorker?.reason == "empty identifier")
        let badExtras = failure([0x01, 0x77, 0x01, 0x00, 0x02, 0x7B, 0x7D])
        #expect(badExtras?.field == "extras" && badExtras?.offset == 4)
        let unknownType = failure([], type: 19)
        #expect(unknownType?.field == "type" && unknownType?.offset == nil)
        #expect(unknownType?.description == "malformed type 19 record: field type: unknown event type code")

        let role = event(.invitationCreated(invitation: "i", email: "e", role: .client, expiresAt: Timestamp(microseconds: 0)))
        if case .failure(let error) = CodecBinary.decode(role, [0x01, 0x69, 0x01, 0x65, 0x09, 0x00, 0x00]) {
            #expect(error.field == "role" && error.offset == 4 && error.reason == "unknown code 9")
        } else {
            Issue.record("role code 9 decoded")
        }
        let audit = event(.auditRecorded(action: "a", targetType: "t", targetID: "i", risk: .low, metadata: nil))
        let nonCanonical = Array(#"{"b":1,"a":2}"#.utf8)
        let payload = [0x01, 0x61, 0x01, 0x74, 0x01, 0x69, 0x01, UInt8(nonCanonical.count + 1)] + nonCanonical + [0x00]
        if case .failure(let error) = CodecBinary.decode(audit, payload) {
            #expect(error.field == "metadata" && error.reason == "JSON not in canonical form")
        } else {
            Issue.record("non-canonical metadata decoded")
        }
        let repeating = Array(#"{"order":"x"}"#.utf8)
        let approved = event(.orderApproved(order: "o"))
        let approvedPayload: [UInt8] = [0x01, 0x77, 0x00, 0x01, 0x01, 0x6F, UInt8(repeating.count)] + repeating
        if case .failure(let error) = CodecBinary.decode(approved, approvedPayload) {
            #expect(error.field == "extras" && error.reason == "repeats the field order")
        } else {
            Issue.record("extras repeating a field decoded")
        }
    }

    @Test func theDeepestLinesTheParserAcceptsRoundTripThroughPayloadAndExport() throws {
        func nested(_ count: Int) -> String { String(repeating: "[", count: count) + String(repeating: "]", count: count) }
        let metadataPrefix = #"{"id":"e","tenant":"t","type":"audit.recorded","at":"2026-01-01T00:00:00Z","actor":"a","data":{"action":"a","target_type":"t","target_id":"i","risk":"low","metadata":{"a":"#
        // The line's object is level 1, data 2, metadata 3: 61 arrays reach level 64.
        let deepest = try codecEvent(metadataPrefix + nested(61) + #"},"x":"# + nested(62) + "}}")
        guard case .failure = codecParse(metadataPrefix + nested(62) + "}}}") else {
            Issue.record("metadata nested past level 64 parsed")
            return
        }
        let (decoded, _) = try CodecBinary.roundTrip(deepest, .none)
        #expect(codecIdentical(deepest, decoded))
        #expect(codecIdentical(deepest, try codecEvent(EventLineWriter.line(deepest))))
        // A payload may not hold what no line can: metadata one level deeper.
        let tooDeep = Array(("{\"a\":" + nested(62) + "}").utf8)
        let payload: [UInt8] = [0x01, 0x61, 0x01, 0x74, 0x01, 0x69, 0x01] + [UInt8((tooDeep.count + 1) & 0x7F | 0x80), UInt8((tooDeep.count + 1) >> 7)] + tooDeep + [0x00]
        guard case .failure(let error) = CodecBinary.decode(deepest, payload) else {
            Issue.record("metadata nested past level 64 decoded")
            return
        }
        #expect(error.field == "metadata" && error.reason.contains("nested deeper than 64 levels"), "\(error)")
    }

    @Test func checksTheRecordFields() {
        let approved = event(.orderApproved(order: "o"))
        let payload = CodecBinary.payload(approved, .approval(writer: "w", feeCents: 1, submissions: 1))
        let cases: [(String, Result<(Event, Effect), PayloadError>)] = [
            ("tenant", CodecBinary.decode(approved, payload, tenant: Array("Acme".utf8))),
            ("tenant", CodecBinary.decode(approved, payload, tenant: [])),
            ("id", CodecBinary.decode(approved, payload, id: [])),
            ("id", CodecBinary.decode(approved, payload, id: Array(repeating: 0x61, count: 65))),
            ("actor", CodecBinary.decode(approved, payload, actor: [0xFF])),
            ("at", CodecBinary.decode(approved, payload, at: Timestamp.textMaximum.microseconds + 1)),
            ("at", CodecBinary.decode(approved, payload, at: .min)),
        ]
        for (field, result) in cases {
            guard case .failure(let error) = result else {
                Issue.record("bad \(field) decoded")
                continue
            }
            #expect(error.field == field && error.offset == nil, "\(error)")
        }
        #expect((try? CodecBinary.decode(approved, payload, id: Array(repeating: 0x61, count: 64)).get()) != nil)
    }

    @Test func decodeMoneyReadsTheWorkerAndAmountOfEveryMoneyEvent() throws {
        let cases: [(EventData, Effect, MoneyMovementKind?, String, Int64)] = [
            (.orderApproved(order: "o"), .approval(writer: "w-a", feeCents: 20000, submissions: 2), .approval, "w-a", 20000),
            (.orderCompleted(order: "o"), .completion(writer: "w-c", feeCents: 0), .completion, "w-c", 0),
            (.bonusAdded(worker: "w-b", amountCents: 1, reason: "r"), .none, .bonus, "w-b", 1),
            (.fineIssued(worker: "w-f", amountCents: 1_000_000_000_000, reason: ""), .none, .fine, "w-f", 1_000_000_000_000),
            (.payoutPaid(worker: "w-p", amountCents: 42, reference: "x"), .none, .payout, "w-p", 42),
            (.invoiceIssued(worker: "w-i", period: Period(year: 2026, month: 2)), .invoice(fixedPayCents: 150_000), .invoice, "w-i", 150_000),
            (.jobAssigned(order: "o", writer: "w", feeCents: 5), .none, nil, "", 0),
            (.workerRateSet(worker: "w", fixedMonthlyCents: 5), .none, nil, "", 0),
            (.invitationAccepted(invitation: "i", user: "u"), .acceptance(role: .admin), nil, "", 0),
        ]
        for (data, effect, kind, worker, amount) in cases {
            let payload = CodecBinary.payload(event(data), effect)
            let movement = try CodecBinary.money(type: data.type, payload).get()
            if let kind {
                #expect(movement?.0 == kind && movement?.1 == worker && movement?.2 == amount, "\(data)")
                for length in 0..<payload.count - 1 {
                    // Cut inside the prefix that decodeMoney reads.
                    let cut = Array(payload[..<length])
                    if case .success(let partial?) = CodecBinary.money(type: data.type, cut) {
                        #expect(partial.1 == worker && partial.2 == amount, "cut at \(length) read past the end")
                    }
                }
            } else {
                #expect(movement == nil, "\(data)")
            }
        }
        let unknown = [UInt8]().withUnsafeBytes { bytes in
            Result { () throws(PayloadError) in try EventBinaryCodec.decodeMoney(type: 0, payload: bytes) }
        }
        guard case .failure(let error) = unknown else {
            Issue.record("type 0 read as money")
            return
        }
        #expect(error.field == "type")
    }

    @Test func decodeMoneyAgreesWithTheFullDecodeOnRandomEvents() throws {
        var random = CodecRandom(seed: Self.seed ^ 3)
        for _ in 0..<2000 {
            let (original, effect) = CodecRandomEvents.event(&random)
            let movement = try CodecBinary.money(type: original.type, CodecBinary.payload(original, effect)).get()
            switch (original.data, effect) {
            case (.orderApproved, .approval(let writer, let fee, _)):
                #expect(movement?.0 == .approval && movement?.1 == writer.string && movement?.2 == fee)
            case (.orderCompleted, .completion(let writer, let fee)):
                #expect(movement?.0 == .completion && movement?.1 == writer.string && movement?.2 == fee)
            case (.bonusAdded(let worker, let amount, _), _):
                #expect(movement?.0 == .bonus && movement?.1 == worker.string && movement?.2 == amount)
            case (.fineIssued(let worker, let amount, _), _):
                #expect(movement?.0 == .fine && movement?.1 == worker.string && movement?.2 == amount)
            case (.payoutPaid(let worker, let amount, _), _):
                #expect(movement?.0 == .payout && movement?.1 == worker.string && movement?.2 == amount)
            case (.invoiceIssued(let worker, _), .invoice(let fixedPay)):
                #expect(movement?.0 == .invoice && movement?.1 == worker.string && movement?.2 == fixedPay)
            default:
                #expect(movement == nil)
            }
        }
    }
}
