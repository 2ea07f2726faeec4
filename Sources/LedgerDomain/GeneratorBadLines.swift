/// Bad lines: each one is refused (or is a duplicate) whatever the ledger's state, and
/// none of them touches the generator's model. Invalid lines are good events spoiled on
/// purpose; duplicates and conflicts replay a recently appended line; rule breakers are
/// well-formed events that the state refuses.
///
/// Kinds, in percent of bad lines: malformed JSON 9, missing field 9, bad amount 11,
/// bad timestamp 9, unknown type 6, other bad field 10, duplicate 14, conflict 10,
/// rule breakers 22 (split evenly between the seven kinds of `LineKind`).
extension HistoryGenerator {
    mutating func writeBadLine() {
        let roll = random.below(100)
        switch roll {
        case ..<9: writeMalformedJSON()
        case ..<18: writeMissingField()
        case ..<29: writeBadAmount()
        case ..<38: writeBadTimestamp()
        case ..<44: writeUnknownType()
        case ..<54: writeBadField()
        case ..<68: if recentLineCount > 0 { writeDuplicate() } else { writeMissingField() }
        case ..<78: if recentLineCount > 0 { writeConflict() } else { writeBadAmount() }
        default: writeRuleBreaker()
        }
    }

    // MARK: Good events to spoil

    /// The event types a spoiled line starts from.
    private enum BaseType: CaseIterable {
        case bonus, fine, payout, orderPlaced, rate, jobAssigned, submitted, subscription, invitation, audit, invoice
    }

    /// Writes into `line` a well-formed event of a random tenant that the model does not
    /// record (its id is borrowed, not used up).
    private mutating func writeBase(_ type: BaseType) {
        let tenant = pickTenant()
        let worker = max(pickWorker(tenant), 1)
        switch type {
        case .bonus:
            let amount = Int64(random.inRange(2...50)) * 500
            writeAdjustmentLine(tenant, type: .bonusAdded, at: lineAt, worker: worker, amount: amount, usesID: false)
        case .fine:
            let amount = Int64(random.inRange(5...150)) * 100
            writeAdjustmentLine(tenant, type: .fineIssued, at: lineAt, worker: worker, amount: amount, usesID: false)
        case .payout:
            writePayoutLine(tenant, worker: worker, amount: Int64(random.inRange(1...400)) * 100, usesID: false)
        case .orderPlaced:
            let client = random.inRange(1...tenants[tenant].clientCount)
            let price = Int64(random.inRange(10...400)) * 500
            writeOrderPlacedLine(tenant, order: tenants[tenant].lastOrderNumber + 1, client: client, price: price, usesID: false)
        case .rate:
            writeRate(tenant, worker: worker, cents: Int64(random.inRange(10...80)) * 5_000, usesID: false)
        case .jobAssigned:
            let manager = pickManager(tenant)
            beginEvent(tenant, .jobAssigned, actor: "u-mgr-", manager, usesID: false)
            line.dataPaddedIdentifier("order", prefix: "o-", number: max(pickOpenOrderNumber(tenant), 1))
            line.dataIdentifier("writer", prefix: "w-", number: worker)
            line.dataInteger("fee_cents", Int64(random.inRange(20...200)) * 100, isAmount: true)
            line.endEvent()
        case .submitted:
            beginEvent(tenant, .orderSubmitted, actor: "w-", worker, usesID: false)
            line.dataPaddedIdentifier("order", prefix: "o-", number: max(pickOpenOrderNumber(tenant), 1))
            line.dataInteger("submissions", Int64(random.inRange(1...4)), isAmount: true)
            line.endEvent()
        case .subscription:
            let planIndex = random.below(GeneratorVocabulary.plans.count)
            let mrrCents = GeneratorVocabulary.plans[planIndex].mrrCents
            writeSubscription(tenant, change: "upgraded", planIndex: planIndex, mrrCents: mrrCents, usesID: false)
        case .invitation:
            let invitation = GeneratorInvitation(
                number: tenants[tenant].lastInvitationNumber + 1, role: .writer,
                expiresAt: lineAt + 7 * DomainCalendar.microsecondsPerDay)
            writeInvitationCreated(tenant, invitation, usesID: false)
        case .audit:
            _ = writeAuditRecorded(tenant, usesID: false)
        case .invoice:
            let period = firstMonthOrdinal + Int64(max(currentMonth - 1, 0))
            writeInvoiceLine(tenant, worker: worker, periodOrdinal: period, usesID: false)
        }
    }

    /// The number of a random open order, 0 when there is none.
    private mutating func pickOpenOrderNumber(_ tenant: Int) -> Int {
        let count = tenants[tenant].openOrders.count
        return count == 0 ? 0 : tenants[tenant].openOrders[random.below(count)].number
    }

    /// Rewrites `line` with `edit`, through `scratch`.
    private mutating func applyEdit(_ edit: GeneratorLineEdit) {
        scratch.reset()
        line.rewrite(edit, into: &scratch)
        swap(&line, &scratch)
    }

    private static func quoted(_ text: [UInt8]) -> [UInt8] {
        [UInt8(ascii: "\"")] + text + [UInt8(ascii: "\"")]
    }

    private static func quoted(_ text: String) -> [UInt8] {
        quoted(Array(text.utf8))
    }

    // MARK: Invalid

    private mutating func writeMalformedJSON() {
        lastLineKind = .malformedJSON
        writeBase(BaseType.allCases[random.below(BaseType.allCases.count)])
        switch random.below(6) {
        case 0, 1:
            // Cut short (a crash in the middle of a write), on a character boundary.
            var length = random.inRange(1...line.count - 1)
            while length > 1 && line.bytes[length] & 0xC0 == 0x80 { length -= 1 }
            line.replaceBytes(with: line.bytes(0..<length))
        case 2:
            var bytes = Array(line.bytes)
            bytes.insert(UInt8(ascii: ","), at: bytes.count - 1)
            line.replaceBytes(with: bytes)
        case 3:
            // `{id:"e-...` : a key without quotes.
            var bytes = Array(line.bytes)
            bytes.removeSubrange(4...4)
            bytes.removeSubrange(1...1)
            line.replaceBytes(with: bytes)
        case 4:
            // Two events glued on one line.
            let bytes = Array(line.bytes)
            line.replaceBytes(with: bytes + bytes)
        default:
            let texts = ["this is not JSON", "<html><body>502 Bad Gateway</body></html>", "{\"id\":", "}", "[{\"id\":\"e-1\"}"]
            line.replaceBytes(with: Array(texts[random.below(texts.count)].utf8))
        }
    }

    private mutating func writeMissingField() {
        lastLineKind = .missingField
        writeBase(BaseType.allCases[random.below(BaseType.allCases.count)])
        var edit = GeneratorLineEdit()
        if random.below(2) == 0 {
            edit.omittedTopField = random.below(GeneratorLine.topFieldCount)
        } else {
            // Every field but an audit's optional metadata (always its fifth) is required.
            edit.omittedDataField = random.below(min(line.dataFieldCount, 4))
        }
        applyEdit(edit)
    }

    private mutating func writeBadAmount() {
        lastLineKind = .badAmount
        let amountTypes: [BaseType] = [.bonus, .fine, .payout, .orderPlaced, .rate, .jobAssigned, .submitted, .subscription]
        let type = amountTypes[random.below(amountTypes.count)]
        writeBase(type)
        guard let index = line.amountFieldIndex, let amount = line.amountValue else {
            preconditionFailure("amount base without an amount")
        }
        let mustBePositive = type == .bonus || type == .fine || type == .payout || type == .submitted
        let text: String
        switch random.below(8) {
        case 0: text = "\(amount).5"
        case 1: text = "\(amount).0"
        case 2: text = "\(max(amount / 100, 1))e2"
        case 3: text = "-\(max(amount, 1))"
        case 4: text = "\(1_000_000_000_000 + Int64(random.inRange(1...1_000_000)))"
        case 5: text = mustBePositive ? "0" : "-1"
        case 6: text = "\"\(amount)\""
        default: text = random.below(2) == 0 ? "true" : "null"
        }
        var edit = GeneratorLineEdit()
        edit.dataReplacement = (index, Array(text.utf8))
        applyEdit(edit)
    }

    private mutating func writeBadTimestamp() {
        lastLineKind = .badTimestamp
        let onExpiry = random.below(6) == 0
        writeBase(onExpiry ? .invitation : BaseType.allCases[random.below(BaseType.allCases.count)])
        let instant = onExpiry ? lineAt + 7 * DomainCalendar.microsecondsPerDay : line.at
        let civil = DomainCalendar.civil(instant)
        var text: [UInt8] = []
        var dateTime: [UInt8] = []
        DomainCalendar.appendDateTime(civil, to: &dateTime)
        let date = Array(dateTime[0..<10])
        let time = Array(dateTime[11...])
        switch random.below(9) {
        case 0:
            text = dateTime + Array(".".utf8)
            GeneratorBytes.appendDecimal(UInt64(civil.microsecond) * 10 + UInt64(random.below(10)), minimumDigits: 7, to: &text)
            text += Array("Z".utf8)
        case 1:
            text = dateTime
            DomainCalendar.appendFraction(civil.microsecond, style: .canonical, to: &text)
            text += Array("+00:00".utf8)
        case 2:
            GeneratorBytes.appendDecimal(UInt64(civil.year), minimumDigits: 4, to: &text)
            text += Array("-02-30T".utf8) + time + Array("Z".utf8)
        case 3:
            text = date + Array("T24:".utf8) + Array(time[3...]) + Array("Z".utf8)
        case 4:
            text = dateTime
        case 5:
            text = date + Array("t".utf8) + time + Array("z".utf8)
        case 6:
            text = date
        case 7:
            text = date + Array(" ".utf8) + time + Array("Z".utf8)
        default:
            text = date + Array("T".utf8) + Array(time[0..<6]) + Array("60Z".utf8)
        }
        var edit = GeneratorLineEdit()
        if onExpiry {
            // invitation, email, role, expires_at
            edit.dataReplacement = (3, Self.quoted(text))
        } else {
            edit.topReplacement = (GeneratorLine.TopField.at.rawValue, Self.quoted(text))
        }
        applyEdit(edit)
    }

    private mutating func writeUnknownType() {
        lastLineKind = .unknownType
        writeBase(BaseType.allCases[random.below(BaseType.allCases.count)])
        let names = [
            "bonus.removed", "order.shipped", "invoice.paid", "payout.reversed", "Order.Placed", "order_placed", "",
            "bonus.added ",
        ]
        var edit = GeneratorLineEdit()
        edit.topReplacement = (GeneratorLine.TopField.type.rawValue, Self.quoted(names[random.below(names.count)]))
        applyEdit(edit)
    }

    private mutating func writeBadField() {
        lastLineKind = .badField
        var edit = GeneratorLineEdit()
        let tenantField = GeneratorLine.TopField.tenant.rawValue
        switch random.below(14) {
        case 0:
            writeBase(.bonus)
            var name = Array(line.topValue(.tenant).dropFirst().dropLast())
            name[0] = name[0] &- 32  // upper case: tenant ids are lower case only
            edit.topReplacement = (tenantField, Self.quoted(name))
        case 1:
            writeBase(.fine)
            edit.topReplacement = (tenantField, Self.quoted([UInt8(ascii: "-")] + line.topValue(.tenant).dropFirst().dropLast()))
        case 2:
            writeBase(.audit)
            // 64 characters: one more than `[a-z0-9][a-z0-9-]{0,62}` allows.
            var name = Array(line.topValue(.tenant).dropFirst().dropLast())
            name += Array(repeating: UInt8(ascii: "x"), count: 64 - name.count)
            edit.topReplacement = (tenantField, Self.quoted(name))
        case 3:
            writeBase(.payout)
            // Empty, or 65 code points: one more than an id may have.
            let id = random.below(2) == 0 ? "" : "e-" + String(repeating: "0", count: 63)
            edit.topReplacement = (GeneratorLine.TopField.id.rawValue, Self.quoted(id))
        case 4:
            writeBase(.orderPlaced)
            let actor = random.below(2) == 0 ? "" : String(repeating: "u", count: 65)
            edit.topReplacement = (GeneratorLine.TopField.actor.rawValue, Self.quoted(actor))
        case 5:
            // An empty identifier: every base's first data field is one (or an enumeration).
            writeBase(BaseType.allCases[random.below(BaseType.allCases.count)])
            edit.dataReplacement = (0, Self.quoted(""))
        case 6:
            writeBase(.invitation)
            edit.dataReplacement = (2, Self.quoted(["owner", "Writer", "superuser"][random.below(3)]))
        case 7:
            writeBase(.audit)
            edit.dataReplacement = (3, Self.quoted(["severe", "LOW", "none"][random.below(3)]))
        case 8:
            writeBase(.subscription)
            edit.dataReplacement = (0, Self.quoted(["paused", "renewed", "Created"][random.below(3)]))
        case 9:
            writeBase(.invoice)
            let periods = ["\"2026-13\"", "\"2026-00\"", "\"2026-1\"", "202601", "\"2026-01-01\""]
            edit.dataReplacement = (1, Array(periods[random.below(periods.count)].utf8))
        case 10:
            // The same key twice in one object.
            writeBase(.bonus)
            if random.below(2) == 0 {
                edit.addedDataField = (Array("amount_cents".utf8), Array("100".utf8))
            } else {
                edit.repeatedTopField = GeneratorLine.TopField.actor.rawValue
            }
        case 11:
            writeBase(BaseType.allCases[random.below(BaseType.allCases.count)])
            let values = ["[" + String(decoding: line.topValue(.data), as: UTF8.self) + "]", "null", "\"{}\""]
            edit.dataValue = Array(values[random.below(values.count)].utf8)
        case 12:
            writeBase(.audit)
            let metadata = ["\"ip=10.0.0.1\"", "null", "[1,2]", "42"][random.below(4)]
            if line.dataFieldCount == 5 {
                edit.dataReplacement = (4, Array(metadata.utf8))
            } else {
                edit.addedDataField = (Array("metadata".utf8), Array(metadata.utf8))
            }
        default:
            // An identifier or a top-level string written as a number.
            writeBase(.fine)
            if random.below(2) == 0 {
                edit.dataReplacement = (0, Array("17".utf8))
            } else {
                edit.topReplacement = (GeneratorLine.TopField.type.rawValue, Array("14".utf8))
            }
        }
        applyEdit(edit)
    }

    // MARK: Duplicates and conflicts

    /// A recently appended line, chosen at random.
    private mutating func pickRecentLine() -> GeneratorLine {
        recentLines[random.below(recentLineCount)]
    }

    private mutating func writeDuplicate() {
        lastLineKind = .duplicate
        let source = pickRecentLine()
        var edit = GeneratorLineEdit()
        let roll = random.below(100)
        if roll < 40 {
            line.copy(from: source)
            return
        } else if roll < 80 {
            // A client that serialises with other key orders and spacing.
            for index in stride(from: edit.topOrder.count - 1, to: 0, by: -1) {
                edit.topOrder.swapAt(index, random.below(index + 1))
            }
            edit.reversesData = random.below(2) == 0
            edit.isSpaced = random.below(3) == 0
        } else {
            // The same instant, with its fraction written out.
            var at: [UInt8] = []
            GeneratorBytes.appendTimestamp(source.at, style: random.below(2) == 0 ? .milliseconds : .microseconds, to: &at)
            edit.topReplacement = (GeneratorLine.TopField.at.rawValue, Self.quoted(at))
        }
        line.reset()
        source.rewrite(edit, into: &line)
    }

    private mutating func writeConflict() {
        lastLineKind = .conflict
        let source = pickRecentLine()
        var edit = GeneratorLineEdit()
        let roll = random.below(3)
        if roll == 0, let index = source.amountFieldIndex, let amount = source.amountValue {
            edit.dataReplacement = (index, Array("\(amount + Int64(random.inRange(1...50)) * 100)".utf8))
        } else if roll == 1 {
            let actor = source.topValue(.actor)
            let other = actor.elementsEqual("\"u-admin\"".utf8) ? "system" : "u-admin"
            edit.topReplacement = (GeneratorLine.TopField.actor.rawValue, Self.quoted(other))
        } else {
            var at: [UInt8] = []
            GeneratorBytes.appendTimestamp(source.at + DomainCalendar.microsecondsPerSecond, style: .canonical, to: &at)
            edit.topReplacement = (GeneratorLine.TopField.at.rawValue, Self.quoted(at))
        }
        line.reset()
        source.rewrite(edit, into: &line)
    }
}
