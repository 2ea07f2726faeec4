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
/// Every entity id is scoped by its tenant: the tables are keyed by (tenant, id) as `Name`s
/// (UTF-8 bytes, never Unicode-normalised).
public struct DomainState: Sendable {
    // One flat table per entity kind, keyed by (tenant, id): one hash lookup per entity read,
    // where a table per tenant would need two.
    var invitations: [TenantScopedName: InvitationRuleState] = [:]
    /// Users registered by `invitation.accepted` (a worker id seen only in money events is not one).
    var registeredUsers: Set<TenantScopedName> = []
    var workers: [TenantScopedName: WorkerRuleState] = [:]
    var orders: [TenantScopedName: OrderRuleState] = [:]
    /// Per tenant; absent until `created`.
    var subscriptions: [Name: SubscriptionStatus] = [:]

    /// An empty state: no tenant, no entity.
    public init() {}

    /// The available balance the payout rule checks for `worker` of `tenant` (0 when unknown).
    public func availableCents(tenant: Name, worker: Name) -> Int64 {
        workers[TenantScopedName(tenant, worker)]?.availableCents ?? 0
    }
}

/// An entity id scoped by its tenant: `w-1` of `acme` and `w-1` of `globex` are different workers.
struct TenantScopedName: Hashable, Sendable {
    var tenant: Name
    var id: Name

    init(_ tenant: Name, _ id: Name) {
        self.tenant = tenant
        self.id = id
    }

    /// `KeyedHash` of both names' bytes and the table's seed (see `Name._rawHashValue`).
    func _rawHashValue(seed: Int) -> Int {
        tenant.withUTF8Bytes { tenant in
            id.withUTF8Bytes { id in KeyedHash().hash(tenant, id, seed: UInt64(bitPattern: Int64(seed))) }
        }
    }
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
