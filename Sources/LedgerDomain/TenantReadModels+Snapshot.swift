/// The tables of one tenant in the state bytes of a read-model snapshot: the per-tenant part
/// of the layout documented in ReadModels+Snapshot.swift, written and read in that order.
extension TenantReadModels {
    /// The periods an invoice can have: years 0000-9999 of the interchange format.
    static let periodOrdinals: Range<Int64> = 0..<(10_000 * 12)

    func writeSnapshot(into writer: inout SnapshotWriter) {
        writer.name(tenant)
        writer.unsigned(UInt64(auditCount))
        writer.signed(latestAt.microseconds)

        let rateWorkers = fixedMonthlyTable.keys.sortedByBytes()
        writer.unsigned(UInt64(rateWorkers.count))
        for worker in rateWorkers {
            writer.name(worker)
            writer.signed(fixedMonthlyTable[worker]!)
        }

        let invoiceKeys = invoiceTable.keys.sorted(by: InvoiceKey.precedes)
        writer.unsigned(UInt64(invoiceKeys.count))
        for key in invoiceKeys {
            let tally = invoiceTable[key]!
            writer.name(key.worker)
            writer.signed(Int64(key.period.ordinal))
            writer.signed(tally.submissionCount)
            writer.signed(tally.workPayCents)
            writer.signed(tally.bonusCents)
            writer.signed(tally.fineCents)
            writer.optionalSigned(tally.frozenFixedPayCents)
        }

        let orderIDs = orderTable.keys.sortedByBytes()
        writer.unsigned(UInt64(orderIDs.count))
        for orderID in orderIDs {
            let order = orderTable[orderID]!.view
            writer.name(orderID)
            writer.byte(order.status.rawValue)
            writer.optionalName(order.client)
            writer.optionalName(order.manager)
            writer.optionalName(order.writer)
            writer.optionalSigned(order.feeCents)
            writer.optionalSigned(order.priceCents)
            writer.optionalSigned(order.submissions)
            writer.optionalName(order.title.map { Name($0) })
        }

        let invitationIDs = invitationTable.keys.sortedByBytes()
        writer.unsigned(UInt64(invitationIDs.count))
        for invitationID in invitationIDs {
            let invitation = invitationTable[invitationID]!
            writer.name(invitationID)
            writer.byte(invitation.status.rawValue)
            writer.optionalName(invitation.email)
            writer.optionalEnumeration(invitation.role)
            writer.optionalSigned(invitation.expiresAt?.microseconds)
            writer.optionalName(invitation.user)
        }

        let userIDs = userTable.keys.sortedByBytes()
        writer.unsigned(UInt64(userIDs.count))
        for userID in userIDs {
            writer.name(userID)
            writer.byte(userTable[userID]!.rawValue)
        }

        writer.flag(subscriptionRecord != nil)
        if let subscription = subscriptionRecord {
            writer.name(subscription.plan)
            writer.signed(subscription.mrrCents)
            writer.byte(subscription.status.rawValue)
            writer.unsigned(UInt64(subscription.history.count))
            for entry in subscription.history {
                writer.unsigned(entry.position)
                writer.signed(entry.at.microseconds)
                writer.name(entry.actor)
                writer.byte(entry.change.rawValue)
                writer.name(entry.plan)
                writer.signed(entry.mrrCents)
            }
        }

        let accounts = journalTable.map { (name: Name($0.key.name), account: $0.key, balanceCents: $0.value) }
            .sortedByName { $0.name }
        writer.unsigned(UInt64(accounts.count))
        for account in accounts {
            let (kind, worker) = account.account.snapshotKind
            writer.byte(kind.rawValue)
            if let worker { writer.name(worker) }
            writer.signed(account.balanceCents)
        }
    }

    /// Reads the tables that follow the tenant's name into these (empty) models. The tenant's
    /// audit count is taken out of `positionsLeft`, the positions no earlier tenant claimed.
    mutating func readSnapshot(
        from reader: inout SnapshotReader, positionsLeft: inout UInt64, lastPosition: UInt64
    ) throws(SnapshotError) {
        let auditCountOffset = reader.offset
        let folded = try reader.unsigned("audit count")
        guard folded >= 1, folded <= positionsLeft, let count = Int(exactly: folded) else {
            throw SnapshotError(
                offset: auditCountOffset,
                reason: "audit count \(folded) of \(tenant) is not in 1...\(positionsLeft), the positions left")
        }
        positionsLeft -= folded
        auditCount = count
        latestAt = Timestamp(microseconds: try reader.signed("latest at"))

        var previousWorker: Name? = nil
        for _ in 0..<(try reader.count("fixed monthly rate count")) {
            let worker = try reader.name(after: previousWorker, "fixed monthly rate worker")
            previousWorker = worker
            fixedMonthlyTable[worker] = try reader.signed("fixed monthly cents")
        }

        var previousInvoice: InvoiceKey? = nil
        for _ in 0..<(try reader.count("invoice count")) {
            let start = reader.offset
            let worker = try reader.name("invoice worker")
            let ordinalOffset = reader.offset
            let ordinal = try reader.signed("invoice period")
            guard Self.periodOrdinals.contains(ordinal) else {
                throw SnapshotError(offset: ordinalOffset, reason: "invoice period ordinal \(ordinal) is outside years 0000-9999")
            }
            let key = InvoiceKey(worker: worker, period: Period(ordinal: Int32(ordinal)))
            if let previousInvoice, !InvoiceKey.precedes(previousInvoice, key) {
                throw SnapshotError(offset: start, reason: "invoice \(worker)/\(key.period.ordinal) is not after \(previousInvoice.worker)/\(previousInvoice.period.ordinal)")
            }
            previousInvoice = key
            invoiceTable[key] = InvoiceTally(
                submissionCount: try reader.signed("invoice submission count"),
                workPayCents: try reader.signed("invoice work pay cents"),
                bonusCents: try reader.signed("invoice bonus cents"),
                fineCents: try reader.signed("invoice fine cents"),
                frozenFixedPayCents: try reader.optionalSigned("invoice frozen fixed pay cents"))
        }

        var previousOrder: Name? = nil
        for _ in 0..<(try reader.count("order count")) {
            let orderID = try reader.name(after: previousOrder, "order")
            previousOrder = orderID
            var order = OrderView(order: orderID, status: try reader.enumeration(OrderStatus.self, "order status"))
            order.client = try reader.optionalName("order client")
            order.manager = try reader.optionalName("order manager")
            order.writer = try reader.optionalName("order writer")
            order.feeCents = try reader.optionalSigned("order fee cents")
            order.priceCents = try reader.optionalSigned("order price cents")
            order.submissions = try reader.optionalSigned("order submissions")
            order.title = try reader.optionalName("order title")?.string
            orderTable[orderID] = OrderRecord(view: order)
        }

        var previousInvitation: Name? = nil
        for _ in 0..<(try reader.count("invitation count")) {
            let invitationID = try reader.name(after: previousInvitation, "invitation")
            previousInvitation = invitationID
            let statusOffset = reader.offset
            let status = try reader.enumeration(InvitationStatus.self, "invitation status")
            guard status != .expired else {
                throw SnapshotError(offset: statusOffset, reason: "invitation status expired is never stored by the read models")
            }
            invitationTable[invitationID] = InvitationRecord(
                status: status,
                email: try reader.optionalName("invitation email"),
                role: try reader.optionalEnumeration(Role.self, "invitation role"),
                expiresAt: try reader.optionalSigned("invitation expires_at").map(Timestamp.init(microseconds:)),
                user: try reader.optionalName("invitation user"))
        }

        var previousUser: Name? = nil
        for _ in 0..<(try reader.count("user count")) {
            let userID = try reader.name(after: previousUser, "user")
            previousUser = userID
            userTable[userID] = try reader.enumeration(Role.self, "user role")
        }

        if try reader.flag("subscription") {
            try readSubscription(from: &reader, lastPosition: lastPosition)
        }

        var previousAccount: Name? = nil
        for _ in 0..<(try reader.count("journal account count")) {
            let start = reader.offset
            let account: JournalAccount
            switch try reader.enumeration(JournalAccountKind.self, "journal account kind") {
            case .expenseWork: account = .expenseWork
            case .expenseBonus: account = .expenseBonus
            case .expenseFixed: account = .expenseFixed
            case .incomeFines: account = .incomeFines
            case .assetCash: account = .assetCash
            case .workerPending: account = .workerPending(try reader.name("journal account worker"))
            case .workerAvailable: account = .workerAvailable(try reader.name("journal account worker"))
            }
            let name = Name(account.name)
            if let previousAccount, !(previousAccount < name) {
                throw SnapshotError(offset: start, reason: "journal account \(name) is not after \(previousAccount)")
            }
            previousAccount = name
            journalTable[account] = try reader.signed("journal account balance cents")
        }
    }

    private mutating func readSubscription(from reader: inout SnapshotReader, lastPosition: UInt64) throws(SnapshotError) {
        let start = reader.offset
        let plan = try reader.name("subscription plan")
        let mrrCents = try reader.signed("subscription mrr cents")
        let status = try reader.enumeration(SubscriptionStatus.self, "subscription status")
        let countOffset = reader.offset
        let count = try reader.count("subscription history count")
        guard count >= 1 else {
            throw SnapshotError(offset: countOffset, reason: "a subscription without a change in its history")
        }
        var history: [SubscriptionHistoryEntry] = []
        history.reserveCapacity(count)
        for _ in 0..<count {
            let positionOffset = reader.offset
            let position = try reader.unsigned("subscription change position")
            guard position >= 1, position <= lastPosition, position > (history.last?.position ?? 0) else {
                throw SnapshotError(
                    offset: positionOffset,
                    reason: "subscription change position \(position) is not after the previous one or is past \(lastPosition)")
            }
            history.append(
                SubscriptionHistoryEntry(
                    position: position,
                    at: Timestamp(microseconds: try reader.signed("subscription change at")),
                    actor: try reader.name("subscription change actor"),
                    change: try reader.enumeration(SubscriptionChange.self, "subscription change"),
                    plan: try reader.name("subscription change plan"),
                    mrrCents: try reader.signed("subscription change mrr cents")))
        }
        // The current plan, MRR and status are those the last change set (EVENTS.md section 3).
        let last = history[history.count - 1]
        guard plan == last.plan, mrrCents == last.mrrCents, status == (last.change == .cancelled ? .cancelled : .active) else {
            throw SnapshotError(offset: start, reason: "the subscription's plan, MRR or status is not the one its last change set")
        }
        subscriptionRecord = SubscriptionView(plan: plan, mrrCents: mrrCents, status: status, history: history)
    }
}

extension InvoiceKey {
    /// Worker bytes, then period: the order invoices are written in.
    static func precedes(_ left: InvoiceKey, _ right: InvoiceKey) -> Bool {
        if left.worker == right.worker { return left.period.ordinal < right.period.ordinal }
        return left.worker < right.worker
    }
}

/// The kind byte of a journal account in a snapshot; worker accounts are followed by the worker.
enum JournalAccountKind: UInt8, CaseIterable {
    case expenseWork = 1, expenseBonus, expenseFixed, incomeFines, assetCash, workerPending, workerAvailable
}

extension JournalAccount {
    /// The kind byte and, for a worker account, the worker.
    var snapshotKind: (kind: JournalAccountKind, worker: Name?) {
        switch self {
        case .expenseWork: (.expenseWork, nil)
        case .expenseBonus: (.expenseBonus, nil)
        case .expenseFixed: (.expenseFixed, nil)
        case .incomeFines: (.incomeFines, nil)
        case .assetCash: (.assetCash, nil)
        case .workerPending(let worker): (.workerPending, worker)
        case .workerAvailable(let worker): (.workerAvailable, worker)
        }
    }
}
