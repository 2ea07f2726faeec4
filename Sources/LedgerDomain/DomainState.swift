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
/// The rules read events in their encoded form (``EncodedEvent``: the record's bytes), so that
/// an import judges what its parser wrote without making a `String`; the `Event` forms above
/// encode the event first. Every entity id is scoped by its tenant: each table numbers its
/// (tenant, id) keys by their UTF-8 bytes (never Unicode-normalised) in a ``ScopedKeyTable`` and
/// keeps the entities' states in an array by that number.
public struct DomainState: Sendable {
    /// Tenants (scope 0), numbered: the scope of every other table's keys.
    var tenantKeys = ScopedKeyTable()
    /// Per tenant number; nil until `created`.
    var subscriptions: [SubscriptionStatus?] = []
    var invitationKeys = ScopedKeyTable()
    var invitations: [InvitationRuleState] = []
    /// Users registered by `invitation.accepted` (a worker id seen only in money events is not one).
    var userKeys = ScopedKeyTable()
    /// Workers, and the writers orders name (which are workers, though the rules know nothing
    /// of them until a money or pay event names them: `isKnown`).
    var workerKeys = ScopedKeyTable()
    var workers: [WorkerRuleState] = []
    var orderKeys = ScopedKeyTable()
    var orders: [OrderRuleState] = []

    /// An empty state: no tenant, no entity.
    public init() {}

    /// The available balance the payout rule checks for `worker` of `tenant` (0 when unknown).
    public func availableCents(tenant: Name, worker: Name) -> Int64 {
        tenant.withUTF8Bytes { tenant in
            worker.withUTF8Bytes { worker in
                guard let scope = tenantKeys.find(scope: 0, tenant), let index = workerKeys.find(scope: UInt32(scope), worker) else {
                    return 0
                }
                return workers[Int(index)].availableCents
            }
        }
    }

    /// The number of `tenant`, made now if it is new.
    mutating func tenantScope(_ tenant: UnsafeRawBufferPointer) -> UInt32 {
        let (index, isNew) = tenantKeys.findOrInsert(scope: 0, tenant)
        if isNew { subscriptions.append(nil) }
        return UInt32(index)
    }

    /// The number of the worker (`scope`, `worker`), made now (not yet known to the rules) if new.
    mutating func workerIndex(scope: UInt32, _ worker: UnsafeRawBufferPointer) -> Int32 {
        let (index, isNew) = workerKeys.findOrInsert(scope: scope, worker)
        if isNew { workers.append(WorkerRuleState()) }
        return index
    }
}

struct InvitationRuleState: Sendable {
    /// `pending`, `accepted` or `revoked`: expiry is decided from the acceptance's own `at`.
    var status: InvitationStatus
    var role: Role
    var expiresAt: Timestamp
}

/// A worker as the rules see it: any id named by a money or pay event (`isKnown`), or the
/// writer of an order before any such event.
struct WorkerRuleState: Sendable {
    /// True once a money or pay event named the worker (a snapshot holds only these).
    var isKnown = false
    /// The payout rule's balance: completed fees + bonuses + fixed pay - fines - payouts.
    var availableCents: Int64 = 0
    /// The fixed monthly pay in effect (log order), frozen by the next `invoice.issued`.
    var fixedMonthlyCents: Int64 = 0
    /// Periods (`Period.ordinal`) whose invoice is issued, ascending: no more approvals,
    /// bonuses, fines. (A few per worker: a sorted array, searched from its end.)
    var issuedPeriods: [Int32] = []

    func isIssued(_ period: Int32) -> Bool {
        for issued in issuedPeriods.reversed() where issued <= period { return issued == period }
        return false
    }
}

struct OrderRuleState: Sendable {
    var status: OrderStatus
    /// Set by `job.assigned` (the writer's number in `workerKeys`), else -1; every
    /// `submitted`, `approved` or `completed` order has one.
    var writer: Int32 = -1
    var feeCents: Int64 = 0
    var submissions: Int64 = 0
}

/// What `decide` fixed for an accepted event (EVENTS.md section 2): its ``Effect``, with the
/// writer an approval or a completion pays as its number in the state that decided. Valid for
/// that state only (`DomainState.effect(of:)` and `encodeEffect(of:type:into:)` read it).
public struct Decision: Sendable {
    enum Fixed: Sendable {
        case none
        case approval(writer: Int32, feeCents: Int64, submissions: Int64)
        case completion(writer: Int32, feeCents: Int64)
        case invoice(fixedPayCents: Int64)
        case acceptance(role: Role)
    }

    let fixed: Fixed
    /// What `decide` found, so that `apply` need not look it up again: the tenant's number
    /// (-1 when the state had none yet) and the number of the entity the event acts on (the
    /// order of an `order.*` or `job.assigned`, the invitation of an acceptance or a
    /// revocation; -1 otherwise).
    var scope: Int32 = -1
    var entity: Int32 = -1

    init(fixed: Fixed, scope: Int32 = -1, entity: Int32 = -1) {
        self.fixed = fixed
        self.scope = scope
        self.entity = entity
    }

    static let none = Decision(fixed: .none)
}
