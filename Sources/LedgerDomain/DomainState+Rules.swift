import LedgerEngine

/// The business rules of EVENTS.md section 3 (`rule` refusals) and how an accepted
/// event changes the state. Read in lifecycle order: decide, then apply.
extension DomainState {
    /// Checks the business rules of `event` against the state so far; on acceptance returns
    /// the Effect fixed now. See `decide(_:)` for encoded events, which this encodes first.
    public func decide(_ event: Event) -> Result<Effect, Refusal> {
        event.withEncoded { encoded in decide(encoded).map { effect(of: $0) } }
    }

    /// Applies an accepted event with its fixed effect (`decide`'s, or the log's). See
    /// `apply(_:effect:)` for encoded events, which this encodes first.
    public mutating func apply(_ event: Event, effect: Effect) {
        event.withEncoded { encoded in apply(encoded, effect: effect) }
    }

    /// Checks the business rules (`rule` refusals only: the caller has already done `invalid`
    /// and duplicate/conflict) of `event` against the state so far. On acceptance returns the
    /// decision: the effect fixed now (which writer an approval pays and how much, which fixed
    /// pay an invoice freezes, which role an acceptance grants), to apply with `apply(_:_:)`
    /// before this state changes otherwise.
    ///
    /// Messages name the rule and entity, e.g.
    /// `payout of 12000 cents exceeds available 9000 for worker w-17`.
    public func decide(_ event: EncodedEvent) -> Result<Decision, Refusal> {
        // nil: the tenant has no entity yet, so every look-up below finds nothing.
        let scopeIndex = tenantKeys.find(scope: 0, event.tenant)
        let scope = scopeIndex.map(UInt32.init)
        /// A decision of no effect, with what was found for `apply`.
        func accepted(_ fixed: Decision.Fixed = .none, entity: Int32 = -1) -> Result<Decision, Refusal> {
            .success(Decision(fixed: fixed, scope: scopeIndex ?? -1, entity: entity))
        }
        var fields = EncodedFieldReader(event.fields)
        switch event.type {
        case .invitationCreated:
            let invitation = fields.string()
            if find(invitation, in: invitationKeys, scope: scope) != nil {
                return refuse("invitation \(text(invitation)) already exists")
            }
            return accepted()

        case .invitationAccepted:
            let invitation = fields.string()
            let user = fields.string()
            guard let index = find(invitation, in: invitationKeys, scope: scope) else {
                return refuse("invitation \(text(invitation)) is unknown, it cannot be accepted")
            }
            let existing = invitations[Int(index)]
            guard existing.status == .pending else {
                return refuse("invitation \(text(invitation)) is \(existing.status.name), not pending: it cannot be accepted")
            }
            guard event.at < existing.expiresAt else {
                return refuse(
                    "invitation \(text(invitation)) expired at \(existing.expiresAt.canonical): "
                        + "acceptance at \(event.at.canonical) is not before it")
            }
            if find(user, in: userKeys, scope: scope) != nil {
                return refuse("user \(text(user)) is already registered, invitation \(text(invitation)) cannot register it again")
            }
            return accepted(.acceptance(role: existing.role), entity: index)

        case .invitationRevoked:
            let invitation = fields.string()
            guard let index = find(invitation, in: invitationKeys, scope: scope) else {
                return refuse("invitation \(text(invitation)) is unknown, it cannot be revoked")
            }
            let existing = invitations[Int(index)]
            guard existing.status == .pending else {
                return refuse("invitation \(text(invitation)) is \(existing.status.name), not pending: it cannot be revoked")
            }
            return accepted(entity: index)

        case .workerRateSet, .auditRecorded:
            return accepted()

        case .orderPlaced:
            let order = fields.string()
            if find(order, in: orderKeys, scope: scope) != nil {
                return refuse("order \(text(order)) already exists")
            }
            return accepted()

        case .orderAccepted:
            return checkOrder(fields.string(), scope: scope, type: event.type, allowed: .acceptable).flatMap { accepted(entity: $0.index) }

        case .jobAssigned:
            return checkOrder(fields.string(), scope: scope, type: event.type, allowed: .assignable).flatMap { accepted(entity: $0.index) }

        case .orderSubmitted:
            return checkOrder(fields.string(), scope: scope, type: event.type, allowed: .submittable).flatMap { accepted(entity: $0.index) }

        case .orderApproved:
            let order = fields.string()
            let checked = checkOrder(order, scope: scope, type: event.type, allowed: .reviewable)
            guard case .success(let (current, index)) = checked else { return checked.map { _ in .none } }
            guard current.writer >= 0 else {
                preconditionFailure("submitted order \(text(order)) has no writer: only job.assigned leads to submitted")
            }
            let period = event.at.period
            if workers[Int(current.writer)].isIssued(period.ordinal) {
                return refuse(
                    "invoice of worker \(workerKeys.name(at: current.writer)) for \(period.text) is already issued: "
                        + "approval of order \(text(order)) cannot count for it")
            }
            return accepted(.approval(writer: current.writer, feeCents: current.feeCents, submissions: current.submissions), entity: index)

        case .orderRejected:
            return checkOrder(fields.string(), scope: scope, type: event.type, allowed: .reviewable).flatMap { accepted(entity: $0.index) }

        case .orderCompleted:
            let order = fields.string()
            let checked = checkOrder(order, scope: scope, type: event.type, allowed: .completable)
            guard case .success(let (current, index)) = checked else { return checked.map { _ in .none } }
            guard current.writer >= 0 else {
                preconditionFailure("approved order \(text(order)) has no writer: only job.assigned leads to approved")
            }
            return accepted(.completion(writer: current.writer, feeCents: current.feeCents), entity: index)

        case .orderCancelled:
            return checkOrder(fields.string(), scope: scope, type: event.type, allowed: .cancellable).flatMap { accepted(entity: $0.index) }

        case .bonusAdded, .fineIssued:
            let worker = fields.string()
            let period = event.at.period
            if let index = find(worker, in: workerKeys, scope: scope), workers[Int(index)].isIssued(period.ordinal) {
                return refuse(
                    "invoice of worker \(text(worker)) for \(period.text) is already issued: "
                        + "\(event.type.name) cannot count for it")
            }
            return accepted()

        case .payoutPaid:
            let worker = fields.string()
            let amountCents = fields.amount()
            let available = find(worker, in: workerKeys, scope: scope).map { workers[Int($0)].availableCents } ?? 0
            if amountCents > available {
                return refuse("payout of \(amountCents) cents exceeds available \(available) for worker \(text(worker))")
            }
            return accepted()

        case .invoiceIssued:
            let worker = fields.string()
            let period = fields.period()
            let index = find(worker, in: workerKeys, scope: scope)
            if let index, workers[Int(index)].isIssued(period.ordinal) {
                return refuse("invoice of worker \(text(worker)) for \(period.text) is already issued")
            }
            let periodOfEvent = event.at.period
            if !(period < periodOfEvent) {
                return refuse(
                    "period \(period.text) has not ended: invoice.issued at "
                        + "\(event.at.canonical) is in \(periodOfEvent.text)")
            }
            return accepted(.invoice(fixedPayCents: index.map { workers[Int($0)].fixedMonthlyCents } ?? 0))

        case .subscriptionChanged:
            guard let change = SubscriptionChange(rawValue: fields.byte()) else {
                preconditionFailure("encoded subscription change out of its table")
            }
            return decideSubscription(change, status: scope.flatMap { subscriptions[Int($0)] }).flatMap { _ in accepted() }
        }
    }

    /// Decides `event` and, when it is accepted, writes it and applies it, in one access to
    /// the state: `write` gets the payload's effect part (encoded into `effect`, the caller's
    /// reused buffer) and records the event; when `write` throws, nothing is applied. Returns
    /// the refusal, or what `write` returned. (A caller whose state is a class's property
    /// copied it, arrays and all, for each `decide` and `encodeEffect`: a method that mutates
    /// works on it in place.)
    public mutating func decideAndApply<Written>(
        _ event: EncodedEvent, effect: inout [UInt8], write: (UnsafeRawBufferPointer) throws -> Written
    ) rethrows -> Result<Written, Refusal> {
        switch decide(event) {
        case .failure(let refusal):
            return .failure(refusal)
        case .success(let decision):
            effect.removeAll(keepingCapacity: true)
            encodeEffect(of: decision, type: event.type, into: &effect)
            let written = try effect.withUnsafeBytes { try write($0) }
            apply(event, decision)
            return .success(written)
        }
    }

    private func decideSubscription(_ change: SubscriptionChange, status: SubscriptionStatus?) -> Result<Decision, Refusal> {
        guard let status else {
            if change == .created { return .success(.none) }
            return refuse("subscription change \(change.name) before the subscription is created")
        }
        switch (change, status) {
        case (.created, _):
            return refuse("subscription is already created")
        case (.cancelled, .cancelled):
            return refuse("subscription is already cancelled")
        case (.upgraded, .cancelled), (.downgraded, .cancelled):
            return refuse("subscription is cancelled: it cannot be \(change.name)")
        case (.reactivated, .active):
            return refuse("subscription is active: only a cancelled subscription can be reactivated")
        default:
            return .success(.none)
        }
    }

    /// The order's state when it exists and is in one of `allowed`, else the refusal.
    private func checkOrder(_ order: UnsafeRawBufferPointer, scope: UInt32?, type: EventType,
                            allowed: OrderStatusSet) -> Result<(state: OrderRuleState, index: Int32), Refusal> {
        guard let index = find(order, in: orderKeys, scope: scope) else {
            return refuse("order \(text(order)) is unknown: \(type.name) needs an existing order")
        }
        let current = orders[Int(index)]
        guard allowed.contains(current.status) else {
            let names = OrderStatus.allCases.filter(allowed.contains).map(\.name).joined(separator: " or ")
            return refuse("order \(text(order)) is \(current.status.name): \(type.name) needs \(names)")
        }
        return .success((current, index))
    }

    @inline(__always)
    private func find(_ id: UnsafeRawBufferPointer, in keys: ScopedKeyTable, scope: UInt32?) -> Int32? {
        guard let scope else { return nil }
        return keys.find(scope: scope, id)
    }

    private func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

    private func refuse<Success>(_ message: String) -> Result<Success, Refusal> {
        .failure(Refusal(.rule, message))
    }

    /// The effect of a decision, with the writer by name.
    public func effect(of decision: Decision) -> Effect {
        switch decision.fixed {
        case .none: .none
        case .approval(let writer, let feeCents, let submissions):
            .approval(writer: workerKeys.name(at: writer), feeCents: feeCents, submissions: submissions)
        case .completion(let writer, let feeCents): .completion(writer: workerKeys.name(at: writer), feeCents: feeCents)
        case .invoice(let fixedPayCents): .invoice(fixedPayCents: fixedPayCents)
        case .acceptance(let role): .acceptance(role: role)
        }
    }

    /// Appends the payload's effect part of an event of `type` with this decision: the bytes
    /// `EventBinaryCodec.encodeEffect(effect(of: decision), of: type, into:)` writes.
    public func encodeEffect(of decision: Decision, type: EventType, into payload: inout [UInt8]) {
        switch decision.fixed {
        case .approval(let writer, let feeCents, let submissions):
            precondition(type == .orderApproved, "\(type.name) cannot carry an approval")
            workerKeys.withKey(at: writer) {
                EventBinaryCodec.appendApproval(writer: $0, feeCents: feeCents, submissions: submissions, into: &payload)
            }
        case .completion(let writer, let feeCents):
            precondition(type == .orderCompleted, "\(type.name) cannot carry a completion")
            workerKeys.withKey(at: writer) { EventBinaryCodec.appendCompletion(writer: $0, feeCents: feeCents, into: &payload) }
        default:
            EventBinaryCodec.encodeEffect(effect(of: decision), of: type, into: &payload)
        }
    }

    /// Applies an accepted event with the effect the log holds for it (a replay), or that
    /// `decide` fixed by name.
    public mutating func apply(_ event: EncodedEvent, effect: Effect) {
        let decision: Decision
        switch effect {
        case .none: decision = .none
        case .approval(let writer, let feeCents, let submissions):
            let scope = tenantScope(event.tenant)
            let index = writer.withUTF8Bytes { workerIndex(scope: scope, $0) }
            decision = Decision(fixed: .approval(writer: index, feeCents: feeCents, submissions: submissions))
        case .completion(let writer, let feeCents):
            let scope = tenantScope(event.tenant)
            let index = writer.withUTF8Bytes { workerIndex(scope: scope, $0) }
            decision = Decision(fixed: .completion(writer: index, feeCents: feeCents))
        case .invoice(let fixedPayCents): decision = Decision(fixed: .invoice(fixedPayCents: fixedPayCents))
        case .acceptance(let role): decision = Decision(fixed: .acceptance(role: role))
        }
        apply(event, decision)
    }

    /// Applies an accepted event with the decision `decide` made for it in this state. Never
    /// fails: a decision that does not belong to the event's type is a programmer error and
    /// stops the process.
    public mutating func apply(_ event: EncodedEvent, _ decision: Decision) {
        let scope = decision.scope >= 0 ? UInt32(decision.scope) : tenantScope(event.tenant)
        assert(decision.scope < 0 || tenantKeys.find(scope: 0, event.tenant) == decision.scope, "a decision of this state")
        var fields = EncodedFieldReader(event.fields)
        /// The order or invitation the event acts on: the one `decide` found, else looked up.
        func entity(_ id: UnsafeRawBufferPointer, in keys: ScopedKeyTable) -> Int32? {
            assert(decision.entity < 0 || keys.find(scope: scope, id) == decision.entity, "a decision of this state")
            return decision.entity >= 0 ? decision.entity : keys.find(scope: scope, id)
        }
        switch event.type {
        case .invitationCreated:
            let invitation = fields.string()
            _ = fields.string()  // email
            guard let role = Role(rawValue: fields.byte()) else { preconditionFailure("encoded role out of its table") }
            let created = InvitationRuleState(status: .pending, role: role, expiresAt: fields.timestamp())
            let (index, isNew) = invitationKeys.findOrInsert(scope: scope, invitation)
            if isNew { invitations.append(created) } else { invitations[Int(index)] = created }
        case .invitationAccepted:
            guard case .acceptance = decision.fixed else { mismatch(event, decision) }
            if let index = entity(fields.string(), in: invitationKeys) { invitations[Int(index)].status = .accepted }
            _ = userKeys.findOrInsert(scope: scope, fields.string())
        case .invitationRevoked:
            if let index = entity(fields.string(), in: invitationKeys) { invitations[Int(index)].status = .revoked }
        case .workerRateSet:
            let index = Int(workerIndex(scope: scope, fields.string()))
            workers[index].isKnown = true
            workers[index].fixedMonthlyCents = fields.amount()
        case .orderPlaced:
            let (index, isNew) = orderKeys.findOrInsert(scope: scope, fields.string())
            if isNew { orders.append(OrderRuleState(status: .placed)) } else { orders[Int(index)] = OrderRuleState(status: .placed) }
        case .orderAccepted:
            if let index = entity(fields.string(), in: orderKeys) { orders[Int(index)].status = .accepted }
        case .jobAssigned:
            guard let index = entity(fields.string(), in: orderKeys) else { return }
            let writer = workerIndex(scope: scope, fields.string())
            // "a later assignment replaces both" the writer and the fee.
            orders[Int(index)].status = .assigned
            orders[Int(index)].writer = writer
            orders[Int(index)].feeCents = fields.amount()
        case .orderSubmitted:
            guard let index = entity(fields.string(), in: orderKeys) else { return }
            orders[Int(index)].status = .submitted
            orders[Int(index)].submissions = fields.amount()
        case .orderApproved:
            guard case .approval = decision.fixed else { mismatch(event, decision) }
            // The fee goes to pending, which no rule reads: only the read models track it.
            if let index = entity(fields.string(), in: orderKeys) { orders[Int(index)].status = .approved }
        case .orderRejected:
            if let index = entity(fields.string(), in: orderKeys) { orders[Int(index)].status = .rejected }
        case .orderCompleted:
            guard case .completion(let writer, let feeCents) = decision.fixed else { mismatch(event, decision) }
            if let index = entity(fields.string(), in: orderKeys) { orders[Int(index)].status = .completed }
            workers[Int(writer)].isKnown = true
            workers[Int(writer)].availableCents += feeCents
        case .orderCancelled:
            if let index = entity(fields.string(), in: orderKeys) { orders[Int(index)].status = .cancelled }
        case .bonusAdded:
            credit(worker: fields.string(), cents: fields.amount(), scope: scope)
        case .fineIssued, .payoutPaid:
            credit(worker: fields.string(), cents: -fields.amount(), scope: scope)
        case .invoiceIssued:
            guard case .invoice(let fixedPayCents) = decision.fixed else { mismatch(event, decision) }
            let index = Int(workerIndex(scope: scope, fields.string()))
            workers[index].isKnown = true
            workers[index].issue(period: fields.period(), fixedPayCents: fixedPayCents)
        case .subscriptionChanged:
            let change = fields.byte()
            subscriptions[Int(scope)] = change == SubscriptionChange.cancelled.rawValue ? .cancelled : .active
        case .auditRecorded:
            break
        }
    }

    private mutating func credit(worker: UnsafeRawBufferPointer, cents: Int64, scope: UInt32) {
        let index = Int(workerIndex(scope: scope, worker))
        workers[index].isKnown = true
        workers[index].availableCents += cents
    }

    private func mismatch(_ event: EncodedEvent, _ decision: Decision) -> Never {
        preconditionFailure("effect \(effect(of: decision)) does not belong to \(event.type.name) \(text(event.id)) of tenant \(text(event.tenant))")
    }
}

extension WorkerRuleState {
    /// Freezes the invoice of `period` and credits its fixed pay.
    mutating func issue(period: Period, fixedPayCents: Int64) {
        let ordinal = period.ordinal
        if !isIssued(ordinal) {
            let place = issuedPeriods.firstIndex { $0 > ordinal } ?? issuedPeriods.count
            issuedPeriods.insert(ordinal, at: place)
        }
        availableCents += fixedPayCents
    }
}

/// A set of order statuses as a bit mask: the state machine's "state in ..." checks run per
/// event, so they use these constants instead of building an array.
struct OrderStatusSet: Sendable, ExpressibleByArrayLiteral {
    var rawValue: UInt16

    init(arrayLiteral statuses: OrderStatus...) {
        rawValue = 0
        for status in statuses { rawValue |= 1 << status.rawValue }
    }

    func contains(_ status: OrderStatus) -> Bool { rawValue & (1 << status.rawValue) != 0 }

    /// `order.accepted`: "state is not `placed`" is refused.
    static let acceptable: OrderStatusSet = [.placed]
    /// `job.assigned`: "state not in `placed, accepted, assigned, rejected`" is refused.
    static let assignable: OrderStatusSet = [.placed, .accepted, .assigned, .rejected]
    /// `order.submitted`: "state not in `assigned, rejected`" is refused.
    static let submittable: OrderStatusSet = [.assigned, .rejected]
    /// `order.approved` and `order.rejected`: "state is not `submitted`" is refused.
    static let reviewable: OrderStatusSet = [.submitted]
    /// `order.completed`: "state is not `approved`" is refused.
    static let completable: OrderStatusSet = [.approved]
    /// `order.cancelled`: "state in `approved, completed, cancelled`" is refused.
    static let cancellable: OrderStatusSet = [.placed, .accepted, .assigned, .submitted, .rejected]
}
