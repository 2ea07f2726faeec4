import LedgerEngine

/// The business rules of EVENTS.md section 3 (`rule` refusals) and how an accepted
/// event changes the state. Read in lifecycle order: decide, then apply.
extension DomainState {
    /// Checks the business rules (`rule` refusals only: the caller has already done `invalid`
    /// and duplicate/conflict) of `event` against the state so far. On acceptance returns the
    /// Effect fixed now (which writer an approval pays and how much, which fixed pay an invoice
    /// freezes, which role an acceptance grants).
    ///
    /// Messages name the rule and entity, e.g.
    /// `payout of 12000 cents exceeds available 9000 for worker w-17`.
    public func decide(_ event: Event) -> Result<Effect, Refusal> {
        let tenant = event.tenant
        switch event.data {
        case .invitationCreated(let invitation, _, _, _):
            if invitations[TenantScopedName(tenant, invitation)] != nil {
                return refuse("invitation \(invitation) already exists")
            }
            return .success(.none)

        case .invitationAccepted(let invitation, let user):
            guard let existing = invitations[TenantScopedName(tenant, invitation)] else {
                return refuse("invitation \(invitation) is unknown, it cannot be accepted")
            }
            guard existing.status == .pending else {
                return refuse("invitation \(invitation) is \(existing.status.name), not pending: it cannot be accepted")
            }
            guard event.at < existing.expiresAt else {
                return refuse(
                    "invitation \(invitation) expired at \(existing.expiresAt.canonical): "
                        + "acceptance at \(event.at.canonical) is not before it")
            }
            if registeredUsers.contains(TenantScopedName(tenant, user)) {
                return refuse("user \(user) is already registered, invitation \(invitation) cannot register it again")
            }
            return .success(.acceptance(role: existing.role))

        case .invitationRevoked(let invitation):
            guard let existing = invitations[TenantScopedName(tenant, invitation)] else {
                return refuse("invitation \(invitation) is unknown, it cannot be revoked")
            }
            guard existing.status == .pending else {
                return refuse("invitation \(invitation) is \(existing.status.name), not pending: it cannot be revoked")
            }
            return .success(.none)

        case .workerRateSet:
            return .success(.none)

        case .orderPlaced(let order, _, _, _):
            if orders[TenantScopedName(tenant, order)] != nil {
                return refuse("order \(order) already exists")
            }
            return .success(.none)

        case .orderAccepted(let order, _):
            return checkOrder(order, of: event, allowed: .acceptable).map { _ in .none }

        case .jobAssigned(let order, _, _):
            return checkOrder(order, of: event, allowed: .assignable).map { _ in .none }

        case .orderSubmitted(let order, _):
            return checkOrder(order, of: event, allowed: .submittable).map { _ in .none }

        case .orderApproved(let order):
            let checked = checkOrder(order, of: event, allowed: .reviewable)
            guard case .success(let current) = checked else { return checked.map { _ in .none } }
            guard let writer = current.writer else {
                preconditionFailure("submitted order \(order) has no writer: only job.assigned leads to submitted")
            }
            let period = event.at.period
            if isIssued(tenant: tenant, worker: writer, period: period) {
                return refuse(
                    "invoice of worker \(writer) for \(period.text) is already issued: "
                        + "approval of order \(order) cannot count for it")
            }
            return .success(.approval(writer: writer, feeCents: current.feeCents, submissions: current.submissions))

        case .orderRejected(let order, _):
            return checkOrder(order, of: event, allowed: .reviewable).map { _ in .none }

        case .orderCompleted(let order):
            let checked = checkOrder(order, of: event, allowed: .completable)
            guard case .success(let current) = checked else { return checked.map { _ in .none } }
            guard let writer = current.writer else {
                preconditionFailure("approved order \(order) has no writer: only job.assigned leads to approved")
            }
            return .success(.completion(writer: writer, feeCents: current.feeCents))

        case .orderCancelled(let order, _):
            return checkOrder(order, of: event, allowed: .cancellable).map { _ in .none }

        case .bonusAdded(let worker, _, _), .fineIssued(let worker, _, _):
            let period = event.at.period
            if isIssued(tenant: tenant, worker: worker, period: period) {
                return refuse(
                    "invoice of worker \(worker) for \(period.text) is already issued: "
                        + "\(event.type.name) cannot count for it")
            }
            return .success(.none)

        case .payoutPaid(let worker, let amountCents, _):
            let available = workers[TenantScopedName(tenant, worker)]?.availableCents ?? 0
            if amountCents > available {
                return refuse("payout of \(amountCents) cents exceeds available \(available) for worker \(worker)")
            }
            return .success(.none)

        case .invoiceIssued(let worker, let period):
            if isIssued(tenant: tenant, worker: worker, period: period) {
                return refuse("invoice of worker \(worker) for \(period.text) is already issued")
            }
            let periodOfEvent = event.at.period
            if !(period < periodOfEvent) {
                return refuse(
                    "period \(period.text) has not ended: invoice.issued at "
                        + "\(event.at.canonical) is in \(periodOfEvent.text)")
            }
            return .success(.invoice(fixedPayCents: workers[TenantScopedName(tenant, worker)]?.fixedMonthlyCents ?? 0))

        case .subscriptionChanged(let change, _, _):
            return decideSubscription(change, tenant: tenant)

        case .auditRecorded:
            return .success(.none)
        }
    }

    private func decideSubscription(_ change: SubscriptionChange, tenant: Name) -> Result<Effect, Refusal> {
        guard let status = subscriptions[tenant] else {
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
    private func checkOrder(_ order: Name, of event: Event, allowed: OrderStatusSet) -> Result<OrderRuleState, Refusal> {
        guard let current = orders[TenantScopedName(event.tenant, order)] else {
            return refuse("order \(order) is unknown: \(event.type.name) needs an existing order")
        }
        guard allowed.contains(current.status) else {
            let names = OrderStatus.allCases.filter(allowed.contains).map(\.name).joined(separator: " or ")
            return refuse("order \(order) is \(current.status.name): \(event.type.name) needs \(names)")
        }
        return .success(current)
    }

    private func isIssued(tenant: Name, worker: Name, period: Period) -> Bool {
        workers[TenantScopedName(tenant, worker)]?.issuedPeriods.contains(period.ordinal) ?? false
    }

    private func refuse<Success>(_ message: String) -> Result<Success, Refusal> {
        .failure(Refusal(.rule, message))
    }

    /// Applies an accepted event with its fixed effect. Never fails: an effect that does not
    /// belong to the event's type is a programmer error and stops the process.
    public mutating func apply(_ event: Event, effect: Effect) {
        let tenant = event.tenant
        switch event.data {
        case .invitationCreated(let invitation, _, let role, let expiresAt):
            invitations[TenantScopedName(tenant, invitation)] = InvitationRuleState(status: .pending, role: role, expiresAt: expiresAt)
        case .invitationAccepted(let invitation, let user):
            guard case .acceptance = effect else { mismatch(event, effect) }
            invitations[TenantScopedName(tenant, invitation)]?.status = .accepted
            registeredUsers.insert(TenantScopedName(tenant, user))
        case .invitationRevoked(let invitation):
            invitations[TenantScopedName(tenant, invitation)]?.status = .revoked
        case .workerRateSet(let worker, let fixedMonthlyCents):
            workers[TenantScopedName(tenant, worker), default: WorkerRuleState()].fixedMonthlyCents = fixedMonthlyCents
        case .orderPlaced(let order, _, _, _):
            orders[TenantScopedName(tenant, order)] = OrderRuleState(status: .placed)
        case .orderAccepted(let order, _):
            orders[TenantScopedName(tenant, order)]?.status = .accepted
        case .jobAssigned(let order, let writer, let feeCents):
            orders[TenantScopedName(tenant, order)]?.assign(writer: writer, feeCents: feeCents)
        case .orderSubmitted(let order, let submissions):
            orders[TenantScopedName(tenant, order)]?.submit(submissions: submissions)
        case .orderApproved(let order):
            guard case .approval = effect else { mismatch(event, effect) }
            // The fee goes to pending, which no rule reads: only the read models track it.
            orders[TenantScopedName(tenant, order)]?.status = .approved
        case .orderRejected(let order, _):
            orders[TenantScopedName(tenant, order)]?.status = .rejected
        case .orderCompleted(let order):
            guard case .completion(let writer, let feeCents) = effect else { mismatch(event, effect) }
            orders[TenantScopedName(tenant, order)]?.status = .completed
            workers[TenantScopedName(tenant, writer), default: WorkerRuleState()].availableCents += feeCents
        case .orderCancelled(let order, _):
            orders[TenantScopedName(tenant, order)]?.status = .cancelled
        case .bonusAdded(let worker, let amountCents, _):
            workers[TenantScopedName(tenant, worker), default: WorkerRuleState()].availableCents += amountCents
        case .fineIssued(let worker, let amountCents, _):
            workers[TenantScopedName(tenant, worker), default: WorkerRuleState()].availableCents -= amountCents
        case .payoutPaid(let worker, let amountCents, _):
            workers[TenantScopedName(tenant, worker), default: WorkerRuleState()].availableCents -= amountCents
        case .invoiceIssued(let worker, let period):
            guard case .invoice(let fixedPayCents) = effect else { mismatch(event, effect) }
            workers[TenantScopedName(tenant, worker), default: WorkerRuleState()].issue(period: period, fixedPayCents: fixedPayCents)
        case .subscriptionChanged(let change, _, _):
            subscriptions[tenant] = change == .cancelled ? .cancelled : .active
        case .auditRecorded:
            break
        }
    }

    private func mismatch(_ event: Event, _ effect: Effect) -> Never {
        preconditionFailure("effect \(effect) does not belong to \(event.type.name) \(event.id) of tenant \(event.tenant)")
    }
}

extension WorkerRuleState {
    /// Freezes the invoice of `period` and credits its fixed pay.
    mutating func issue(period: Period, fixedPayCents: Int64) {
        issuedPeriods.insert(period.ordinal)
        availableCents += fixedPayCents
    }
}

extension OrderRuleState {
    /// "a later assignment replaces both" the writer and the fee.
    mutating func assign(writer: Name, feeCents: Int64) {
        status = .assigned
        self.writer = writer
        self.feeCents = feeCents
    }

    mutating func submit(submissions: Int64) {
        status = .submitted
        self.submissions = submissions
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
