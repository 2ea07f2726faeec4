import LedgerEngine

/// The state the rules need, for all tenants, built by applying appended events in log order.
///
/// This is the write side of the domain: it holds only what `decide` reads (order states,
/// invitation states, registered users, available balances, fixed monthly pay, issued
/// invoices, subscription status), never a read model. The lifecycle per offered event is
/// validate (the JSON parser), deduplicate (the log's idempotency index), then:
///
/// ```swift
/// var state = DomainState()
/// switch state.decide(event) {
/// case .success(let effect):
///     // append (event, effect) to the log, then:
///     state.apply(event, effect: effect)
/// case .failure(let refusal):
///     print(refusal)   // rule: payout of 12000 cents exceeds available 9000 for worker w-17
/// }
/// ```
///
/// Every entity id is scoped by its tenant: each tenant has its own tables, keyed by
/// `Name` (UTF-8 bytes, never Unicode-normalised).
public struct DomainState: Sendable {
    /// Index of each tenant's state in `tenants`, so that `apply` mutates it in place.
    var tenantIndexes: [Name: Int] = [:]
    var tenants: [TenantRuleState] = []

    /// An empty state: no tenant, no entity.
    public init() {}

    /// The number of tenants that have at least one applied event.
    public var tenantCount: Int { tenants.count }

    /// The available balance the payout rule checks for `worker` of `tenant` (0 when unknown).
    public func availableCents(tenant: Name, worker: Name) -> Int64 {
        guard let index = tenantIndexes[tenant] else { return 0 }
        return tenants[index].workers[worker]?.availableCents ?? 0
    }

    /// The index of `tenant`'s state, created empty on its first event.
    mutating func tenantIndex(for tenant: Name) -> Int {
        if let index = tenantIndexes[tenant] { return index }
        let index = tenants.count
        tenants.append(TenantRuleState())
        tenantIndexes[tenant] = index
        return index
    }
}

/// What the rules know of one tenant.
struct TenantRuleState: Sendable {
    /// The state of a tenant with no applied event, used to decide its first events.
    static let empty = TenantRuleState()

    var invitations: [Name: InvitationRuleState] = [:]
    /// Users registered by `invitation.accepted` (a worker id seen only in money events is not one).
    var registeredUsers: Set<Name> = []
    var workers: [Name: WorkerRuleState] = [:]
    var orders: [Name: OrderRuleState] = [:]
    /// nil until `created`.
    var subscription: SubscriptionStatus? = nil
}

struct InvitationRuleState: Sendable {
    /// `pending`, `accepted` or `revoked`: expiry is decided from the acceptance's own `at`.
    var status: InvitationStatus
    var role: Role
    var expiresAt: Timestamp
}

/// A worker as the rules see it: any id named by a money or pay event.
struct WorkerRuleState: Sendable {
    /// The payout rule's balance: completed fees + bonuses + fixed pay - fines - payouts.
    var availableCents: Int64 = 0
    /// The fixed monthly pay in effect (log order), frozen by the next `invoice.issued`.
    var fixedMonthlyCents: Int64 = 0
    /// Periods (`Period.ordinal`) whose invoice is issued: no more approvals, bonuses, fines.
    var issuedPeriods: Set<Int32> = []
}

struct OrderRuleState: Sendable {
    var status: OrderStatus
    /// Set by `job.assigned`; every `submitted`, `approved` or `completed` order has one.
    var writer: Name? = nil
    var feeCents: Int64 = 0
    var submissions: Int64 = 0
}
