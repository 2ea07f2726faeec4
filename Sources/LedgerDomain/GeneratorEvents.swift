/// The valid events: each writer decides an event the rules accept given the model,
/// applies it to the model and writes it into `line`.
///
/// Mix per line of a started tenant (per mille, before fallbacks): invoices first when
/// some are due (one line in three), a subscription change when its planned time has
/// come, then audit 60, payout 50, bonus 40, fine 25, rate 15, invitations 30 created,
/// 18 accepted, 6 revoked, and the order lifecycle for the rest (756).
extension HistoryGenerator {
    /// Writes one valid event of a tenant picked by weight.
    mutating func writeValidLine() {
        let tenant = pickTenant()
        if tenants[tenant].subscription == .none {
            writeSubscriptionCreated(tenant)
            return
        }
        if tenants[tenant].hasQueuedInvoice && random.below(3) == 0 {
            writeInvoiceIssued(tenant)
            return
        }
        if lineAt >= tenants[tenant].nextSubscriptionChangeAt {
            writeSubscriptionChanged(tenant)
            return
        }
        let roll = random.below(1000)
        let written: Bool
        switch roll {
        case ..<60: written = writeAuditRecorded(tenant)
        case ..<110: written = writePayout(tenant)
        case ..<150: written = writeAdjustment(tenant, type: .bonusAdded)
        case ..<175: written = writeAdjustment(tenant, type: .fineIssued)
        case ..<190: written = writeRateSet(tenant)
        case ..<220: written = writeInvitationCreated(tenant)
        case ..<238: written = writeInvitationAccepted(tenant)
        case ..<244: written = writeInvitationRevoked(tenant)
        default: written = false
        }
        if !written { writeOrderEvent(tenant) }
    }

    /// Starts an event of `tenant` in `line`. A valid event uses up the tenant's next
    /// event id; a bad one borrows it, so the next valid event reuses it (a refused line
    /// is not in the log).
    mutating func beginEvent(
        _ tenant: Int, _ type: EventType, at: Int64? = nil,
        actor actorPrefix: StaticString, _ actorNumber: Int? = nil, usesID: Bool = true
    ) {
        let idNumber = tenants[tenant].lastEventNumber + 1
        if usesID { tenants[tenant].lastEventNumber = idNumber }
        line.beginEvent(
            idNumber: idNumber, tenant: tenants[tenant].name, tenantIndex: tenant, type: type,
            at: at ?? lineAt, atStyle: lineAtStyle, actorPrefix: actorPrefix, actorNumber: actorNumber)
    }

    /// A random manager of the tenant, `u-mgr-<n>`.
    mutating func pickManager(_ tenant: Int) -> Int {
        random.inRange(1...tenants[tenant].managerCount)
    }

    /// A random existing worker number, or 0 when the tenant has none.
    mutating func pickWorker(_ tenant: Int) -> Int {
        let count = tenants[tenant].workers.count
        return count == 0 ? 0 : random.inRange(1...count)
    }

    /// A new worker known only from money events so far (imported history).
    mutating func addWorker(_ tenant: Int) -> Int {
        tenants[tenant].workers.append(GeneratorWorker())
        return tenants[tenant].workers.count
    }

    // MARK: Subscription

    mutating func writeSubscriptionCreated(_ tenant: Int) {
        let roll = random.below(100)
        let planIndex = roll < 35 ? 0 : roll < 75 ? 1 : roll < 95 ? 2 : 3
        tenants[tenant].subscription = .active
        tenants[tenant].planIndex = planIndex
        scheduleSubscriptionChange(tenant, days: 10...40)
        writeSubscription(tenant, change: "created", planIndex: planIndex, mrrCents: GeneratorVocabulary.plans[planIndex].mrrCents)
    }

    /// An upgrade or downgrade now and then, a rare cancellation, a reactivation after it.
    mutating func writeSubscriptionChanged(_ tenant: Int) {
        let lastPlan = GeneratorVocabulary.plans.count - 1
        var planIndex = tenants[tenant].planIndex
        if tenants[tenant].subscription == .cancelled {
            tenants[tenant].subscription = .active
            scheduleSubscriptionChange(tenant, days: 10...45)
            let mrrCents = GeneratorVocabulary.plans[planIndex].mrrCents
            writeSubscription(tenant, change: "reactivated", planIndex: planIndex, mrrCents: mrrCents)
            return
        }
        let roll = random.below(100)
        if roll >= 88 {
            tenants[tenant].subscription = .cancelled
            scheduleSubscriptionChange(tenant, days: 3...20)
            writeSubscription(tenant, change: "cancelled", planIndex: planIndex, mrrCents: 0)
            return
        }
        let upgrades = (roll < 50 && planIndex < lastPlan) || planIndex == 0
        planIndex += upgrades ? 1 : -1
        tenants[tenant].planIndex = planIndex
        scheduleSubscriptionChange(tenant, days: 10...45)
        writeSubscription(
            tenant, change: upgrades ? "upgraded" : "downgraded", planIndex: planIndex,
            mrrCents: GeneratorVocabulary.plans[planIndex].mrrCents)
    }

    private mutating func scheduleSubscriptionChange(_ tenant: Int, days: ClosedRange<Int>) {
        let seconds = Int64(random.inRange(days.lowerBound * 86_400...days.upperBound * 86_400))
        tenants[tenant].nextSubscriptionChangeAt = lineAt + seconds * DomainCalendar.microsecondsPerSecond
    }

    /// Writes a `subscription.changed` (valid or not: the caller decides `usesID`).
    mutating func writeSubscription(
        _ tenant: Int, change: StaticString, planIndex: Int, mrrCents: Int64, usesID: Bool = true
    ) {
        beginEvent(tenant, .subscriptionChanged, actor: "u-admin", usesID: usesID)
        line.dataString("change", text: change)
        line.dataString("plan", text: GeneratorVocabulary.plans[planIndex].name)
        line.dataInteger("mrr_cents", mrrCents, isAmount: true)
        line.endEvent()
    }

    // MARK: Invitations

    mutating func writeInvitationCreated(_ tenant: Int) -> Bool {
        let roll = random.below(100)
        let role: Role = roll < 55 ? .writer : roll < 80 ? .client : roll < 95 ? .manager : .admin
        let validityDays: [Int64] = [3, 7, 7, 7, 14, 30]
        let expiresAt = lineAt + validityDays[random.below(validityDays.count)] * DomainCalendar.microsecondsPerDay
        tenants[tenant].lastInvitationNumber += 1
        let invitation = GeneratorInvitation(number: tenants[tenant].lastInvitationNumber, role: role, expiresAt: expiresAt)
        // About one invitation in seven is never answered and expires.
        if random.below(7) != 0 {
            tenants[tenant].actionableInvitations.append(invitation)
        }
        writeInvitationCreated(tenant, invitation)
        return true
    }

    mutating func writeInvitationCreated(_ tenant: Int, _ invitation: GeneratorInvitation, usesID: Bool = true) {
        beginEvent(tenant, .invitationCreated, actor: "u-admin", usesID: usesID)
        line.dataIdentifier("invitation", prefix: "inv-", number: invitation.number)
        line.dataEmail(role: invitation.role, number: invitation.number, domain: tenants[tenant].name)
        line.dataString("role", text: GeneratorLine.roleName(invitation.role))
        line.dataTimestamp("expires_at", invitation.expiresAt, style: lineAtStyle)
        line.endEvent()
    }

    /// Accepts a random actionable invitation; one found expired is revoked instead, as
    /// an admin tidying up would.
    mutating func writeInvitationAccepted(_ tenant: Int) -> Bool {
        guard let invitation = takeActionableInvitation(tenant) else { return false }
        if lineAt >= invitation.expiresAt {
            writeRevocation(tenant, invitation.number)
            return true
        }
        tenants[tenant].lastAcceptedInvitationNumber = invitation.number
        let userPrefix: StaticString
        let userNumber: Int
        switch invitation.role {
        case .writer:
            // Now and then a worker known from money events registers (imported history).
            let candidate = pickWorker(tenant)
            if candidate != 0 && !tenants[tenant].workers[candidate - 1].isRegistered && random.below(4) == 0 {
                userNumber = candidate
            } else {
                userNumber = addWorker(tenant)
            }
            tenants[tenant].workers[userNumber - 1].isRegistered = true
            userPrefix = "w-"
        case .manager:
            tenants[tenant].managerCount += 1
            userNumber = tenants[tenant].managerCount
            userPrefix = "u-mgr-"
        case .client:
            tenants[tenant].clientCount += 1
            userNumber = tenants[tenant].clientCount
            userPrefix = "u-client-"
        case .admin:
            tenants[tenant].adminCount += 1
            userNumber = tenants[tenant].adminCount
            userPrefix = "u-admin-"
        }
        writeAcceptance(tenant, invitation: invitation.number, userPrefix: userPrefix, userNumber: userNumber)
        return true
    }

    mutating func writeAcceptance(
        _ tenant: Int, invitation: Int, userPrefix: StaticString, userNumber: Int, usesID: Bool = true
    ) {
        beginEvent(tenant, .invitationAccepted, actor: userPrefix, userNumber, usesID: usesID)
        line.dataIdentifier("invitation", prefix: "inv-", number: invitation)
        line.dataIdentifier("user", prefix: userPrefix, number: userNumber)
        line.endEvent()
    }

    mutating func writeInvitationRevoked(_ tenant: Int) -> Bool {
        guard let invitation = takeActionableInvitation(tenant) else { return false }
        writeRevocation(tenant, invitation.number)
        return true
    }

    private mutating func writeRevocation(_ tenant: Int, _ number: Int) {
        tenants[tenant].lastRevokedInvitationNumber = number
        beginEvent(tenant, .invitationRevoked, actor: "u-admin")
        line.dataIdentifier("invitation", prefix: "inv-", number: number)
        line.endEvent()
    }

    /// Removes and returns a random actionable invitation, nil when there is none.
    private mutating func takeActionableInvitation(_ tenant: Int) -> GeneratorInvitation? {
        let count = tenants[tenant].actionableInvitations.count
        guard count > 0 else { return nil }
        let index = random.below(count)
        tenants[tenant].actionableInvitations.swapAt(index, count - 1)
        return tenants[tenant].actionableInvitations.removeLast()
    }

    // MARK: Pay and money

    mutating func writeRateSet(_ tenant: Int) -> Bool {
        var worker = pickWorker(tenant)
        if worker == 0 || random.below(100) < 35 { worker = addWorker(tenant) }
        let cents: Int64 = random.below(10) == 0 ? 0 : Int64(random.inRange(10...80)) * 5_000
        tenants[tenant].workers[worker - 1].fixedMonthlyCents = cents
        writeRate(tenant, worker: worker, cents: cents)
        return true
    }

    mutating func writeRate(_ tenant: Int, worker: Int, cents: Int64, usesID: Bool = true) {
        beginEvent(tenant, .workerRateSet, actor: "u-admin", usesID: usesID)
        line.dataIdentifier("worker", prefix: "w-", number: worker)
        line.dataInteger("fixed_monthly_cents", cents, isAmount: true)
        line.endEvent()
    }

    /// A bonus or a fine for a random worker; one in seven is dated some days back, unless
    /// that month's invoice is already issued.
    mutating func writeAdjustment(_ tenant: Int, type: EventType) -> Bool {
        let worker = pickWorker(tenant)
        guard worker != 0 else { return false }
        var at = lineAt
        if random.below(7) == 0 {
            let late = lateAt()
            if tenants[tenant].workers[worker - 1].invoiceStatus(month: monthIndex(of: late)) != .issued {
                at = late
            }
        }
        let month = at == lineAt ? currentMonth : monthIndex(of: at)
        tenants[tenant].recordActivity(worker: worker, month: month, monthsEnded: monthsEnded)
        let amount: Int64
        if type == .bonusAdded {
            amount = Int64(random.inRange(2...50)) * 500
            tenants[tenant].workers[worker - 1].availableCents += amount
        } else {
            amount = Int64(random.inRange(5...150)) * 100
            tenants[tenant].workers[worker - 1].availableCents -= amount
        }
        writeAdjustmentLine(tenant, type: type, at: at, worker: worker, amount: amount)
        return true
    }

    mutating func writeAdjustmentLine(
        _ tenant: Int, type: EventType, at: Int64, worker: Int, amount: Int64, usesID: Bool = true
    ) {
        let reasons = type == .bonusAdded ? GeneratorVocabulary.bonusReasons : GeneratorVocabulary.fineReasons
        if type == .bonusAdded {
            beginEvent(tenant, type, at: at, actor: "u-admin", usesID: usesID)
        } else {
            beginEvent(tenant, type, at: at, actor: "u-mgr-", pickManager(tenant), usesID: usesID)
        }
        line.dataIdentifier("worker", prefix: "w-", number: worker)
        line.dataInteger("amount_cents", amount, isAmount: true)
        line.dataString("reason", escapedText: reasons[random.below(reasons.count)])
        line.endEvent()
    }

    /// Pays out all or part of a positive available balance; false when the few workers
    /// tried have nothing to pay.
    mutating func writePayout(_ tenant: Int) -> Bool {
        for _ in 0..<4 {
            let worker = pickWorker(tenant)
            guard worker != 0 else { return false }
            let available = tenants[tenant].workers[worker - 1].availableCents
            guard available > 0 else { continue }
            var amount = available
            if random.below(2) == 0 {
                amount = available * Int64(random.inRange(20...90)) / 100 / 100 * 100
                if amount <= 0 { amount = available }
            }
            tenants[tenant].workers[worker - 1].availableCents -= amount
            writePayoutLine(tenant, worker: worker, amount: amount)
            return true
        }
        return false
    }

    mutating func writePayoutLine(_ tenant: Int, worker: Int, amount: Int64, usesID: Bool = true) {
        if usesID { tenants[tenant].lastPayoutNumber += 1 }
        if random.below(10) < 7 {
            beginEvent(tenant, .payoutPaid, actor: "u-admin", usesID: usesID)
        } else {
            beginEvent(tenant, .payoutPaid, actor: "system", usesID: usesID)
        }
        line.dataIdentifier("worker", prefix: "w-", number: worker)
        line.dataInteger("amount_cents", amount, isAmount: true)
        line.dataPaddedIdentifier("reference", prefix: "PO-", number: tenants[tenant].lastPayoutNumber + (usesID ? 0 : 1))
        line.endEvent()
    }

    /// Issues the oldest queued invoice: its month has ended, and it was never issued.
    mutating func writeInvoiceIssued(_ tenant: Int) {
        let (worker, month) = tenants[tenant].dequeueInvoice()
        precondition(tenants[tenant].workers[worker - 1].invoiceStatus(month: month) == .queued, "invoice issued twice")
        precondition(month < currentMonth, "invoice for a month that has not ended")
        tenants[tenant].workers[worker - 1].setInvoiceStatus(.issued, month: month)
        tenants[tenant].workers[worker - 1].availableCents += tenants[tenant].workers[worker - 1].fixedMonthlyCents
        tenants[tenant].lastIssuedInvoice = (worker, month)
        writeInvoiceLine(tenant, worker: worker, periodOrdinal: firstMonthOrdinal + Int64(month))
    }

    mutating func writeInvoiceLine(_ tenant: Int, worker: Int, periodOrdinal: Int64, usesID: Bool = true) {
        if random.below(5) < 4 {
            beginEvent(tenant, .invoiceIssued, actor: "system", usesID: usesID)
        } else {
            beginEvent(tenant, .invoiceIssued, actor: "u-admin", usesID: usesID)
        }
        line.dataIdentifier("worker", prefix: "w-", number: worker)
        line.dataPeriod("period", ordinal: periodOrdinal)
        line.endEvent()
    }

    // MARK: Audit

    /// An audit entry; one in ten is entered late.
    mutating func writeAuditRecorded(_ tenant: Int, usesID: Bool = true) -> Bool {
        let at = random.below(10) == 0 ? lateAt() : lineAt
        let actorRoll = random.below(100)
        if actorRoll < 50 {
            beginEvent(tenant, .auditRecorded, at: at, actor: "u-admin", usesID: usesID)
        } else if actorRoll < 85 {
            beginEvent(tenant, .auditRecorded, at: at, actor: "u-mgr-", pickManager(tenant), usesID: usesID)
        } else {
            beginEvent(tenant, .auditRecorded, at: at, actor: "system", usesID: usesID)
        }
        let action = GeneratorVocabulary.auditActions[random.below(GeneratorVocabulary.auditActions.count)]
        line.dataString("action", text: action.action)
        line.dataString("target_type", text: action.targetType)
        switch action.target {
        case .user:
            line.dataIdentifier("target_id", prefix: "u-mgr-", number: pickManager(tenant))
        case .tenant:
            line.dataString("target_id", escapedText: tenants[tenant].name)
        case .numbered(let prefix):
            line.dataIdentifier("target_id", prefix: prefix, number: random.inRange(1...200))
        case .padded(let prefix):
            let number = random.inRange(1...max(tenants[tenant].lastOrderNumber, 1))
            line.dataPaddedIdentifier("target_id", prefix: prefix, number: number)
        }
        let riskRoll = random.below(100)
        let risk: StaticString = riskRoll < 60 ? "low" : riskRoll < 85 ? "medium" : riskRoll < 97 ? "high" : "critical"
        line.dataString("risk", text: risk)
        if random.below(100) < 35 {
            let metadata = GeneratorVocabulary.auditMetadata
            line.dataRaw("metadata", json: metadata[random.below(metadata.count)])
        }
        line.endEvent()
        return true
    }
}
