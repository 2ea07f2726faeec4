/// The audit trail (EVENTS.md section 3 "Audit"): every folded event of every type, as
/// (position, at, actor, type, target), and the risk of `audit.recorded` events.

/// One event of a tenant's audit trail.
public struct AuditEntry: Sendable, Hashable {
    public var position: UInt64
    public var at: Timestamp
    public var actor: Name
    public var type: EventType
    /// The risk of an `audit.recorded` event, nil for other types.
    public var risk: Risk?
    /// Kept in parts so that folding builds no string; `target` joins them when asked.
    var targetParts: AuditTargetParts

    /// What the event is about: the invitation for `invitation.*`; the worker for
    /// `worker.rate_set`, `bonus.added`, `fine.issued`, `payout.paid`; the order for `order.*`
    /// and `job.assigned`; `<worker>/<period>` for `invoice.issued`; the tenant for
    /// `subscription.changed`; `<target_type>/<target_id>` for `audit.recorded`.
    public var target: String {
        switch targetParts {
        case .entity(let name): name.string
        case .invoice(let worker, let period): "\(worker.string)/\(period.text)"
        case .recorded(let targetType, let targetID): "\(targetType.string)/\(targetID.string)"
        }
    }
}

enum AuditTargetParts: Sendable, Hashable {
    case entity(Name)
    case invoice(worker: Name, period: Period)
    case recorded(targetType: Name, targetID: Name)
}

/// Which audit entries a query returns; every criterion left nil matches everything, and the
/// criteria combine with "and".
public struct AuditFilter: Sendable, Hashable {
    public var actor: Name?
    public var type: EventType?
    /// Compared with `AuditEntry.target` code point by code point.
    public var target: Name?
    /// Entries with `at` >= this instant.
    public var since: Timestamp?
    /// Entries with `at` <= this instant.
    public var until: Timestamp?
    /// Only `audit.recorded` entries of this risk.
    public var risk: Risk?

    public init(
        actor: Name? = nil, type: EventType? = nil, target: Name? = nil, since: Timestamp? = nil,
        until: Timestamp? = nil, risk: Risk? = nil
    ) {
        self.actor = actor
        self.type = type
        self.target = target
        self.since = since
        self.until = until
        self.risk = risk
    }

    /// Whether `entry` meets every criterion.
    public func matches(_ entry: AuditEntry) -> Bool {
        if let actor, actor != entry.actor { return false }
        if let type, type != entry.type { return false }
        if let since, entry.at < since { return false }
        if let until, until < entry.at { return false }
        if let risk, risk != entry.risk { return false }
        if let target, target != Name(entry.target) { return false }
        return true
    }
}

extension TenantReadModels {
    mutating func foldAudit(_ recorded: RecordedEvent) {
        let event = recorded.event
        var risk: Risk? = nil
        let target: AuditTargetParts
        switch event.data {
        case .invitationCreated(let invitation, _, _, _), .invitationAccepted(let invitation, _),
            .invitationRevoked(let invitation):
            target = .entity(invitation)
        case .workerRateSet(let worker, _), .bonusAdded(let worker, _, _), .fineIssued(let worker, _, _),
            .payoutPaid(let worker, _, _):
            target = .entity(worker)
        case .orderPlaced(let order, _, _, _), .orderAccepted(let order, _), .jobAssigned(let order, _, _),
            .orderSubmitted(let order, _), .orderApproved(let order), .orderRejected(let order, _),
            .orderCompleted(let order), .orderCancelled(let order, _):
            target = .entity(order)
        case .invoiceIssued(let worker, let period):
            target = .invoice(worker: worker, period: period)
        case .subscriptionChanged:
            target = .entity(event.tenant)
        case .auditRecorded(_, let targetType, let targetID, let recordedRisk, _):
            target = .recorded(targetType: targetType, targetID: targetID)
            risk = recordedRisk
        }
        auditList.append(
            AuditEntry(
                position: recorded.position, at: event.at, actor: event.actor, type: event.type, risk: risk,
                targetParts: target))
    }

    /// The audit entries that match `filter`, in log order; none when the models do not keep
    /// histories (`auditCount` still counts the folded events).
    public func auditTrail(_ filter: AuditFilter = AuditFilter()) -> [AuditEntry] {
        auditList.filter(filter.matches)
    }
}
