/// The read models of EVENTS.md section 4, folded in memory from the log.
///
/// Choices where EVENTS.md is silent (each reproduces the sample fixture's expected files):
/// - An approval's `submissions` are fixed with its writer and fee (`Effect.approval`): as of
///   a time, an approval whose `order.submitted` is later still counts its submissions in the
///   writer's invoice.
/// - An order's own fields (`writer`, `fee_cents`, `submissions`, ...) come only from its
///   folded events, never from the effects of approvals or completions, so as of a time they
///   may be null on an approved order whose writer is paid.
/// - An invitation's `email`, `role` and `expires_at` come only from `invitation.created`; the
///   role an acceptance grants is its fixed effect and goes to the user.
/// - The audit trail's time range is inclusive at both ends.

/// Which appended events a read model folds.
public enum AsOf: Sendable, Hashable {
    /// Every appended event.
    case end
    /// The appended events with position <= P.
    case position(UInt64)
    /// The appended events whose business time `at` <= T, in log order, with the effects
    /// fixed when each was appended.
    case time(Timestamp)

    /// Whether the appended event at `position` with business time `at` is folded.
    @inlinable
    public func includes(position: UInt64, at: Timestamp) -> Bool {
        switch self {
        case .end: true
        case .position(let last): position <= last
        case .time(let time): at <= time
        }
    }
}

/// All read models, for all tenants, folded from `RecordedEvent`s in log order.
///
/// A pure fold: `fold` never fails and never reads anything but the recorded event (its
/// event and its fixed effect), so a fold as of a position or a time gives the same figures
/// whatever happened later in the log.
///
/// ```swift
/// var models = ReadModels(asOf: .time(endOfFebruary))
/// for recorded in log { models.fold(recorded) }   // events after the as-of point are skipped
/// if let acme = models.tenant("acme") {
///     for balance in acme.balances() { print(balance.worker, balance.availableCents) }
/// }
/// ```
///
/// Models that only answer figures (snapshots, and queries that start from one) fold with
/// `keepsHistories: false`: the lists that grow by one entry per event (the audit trail, each
/// order's history, the journal's transfers) stay empty; every other figure is the same.
public struct ReadModels: Sendable {
    /// The filter: which appended events this fold takes into account.
    public let asOf: AsOf
    /// Whether folding appends to the history lists: the audit trail, each order's history and
    /// the journal's transfers. When false they stay empty (`auditCount` still counts).
    public let keepsHistories: Bool
    /// The position of the last event offered to `fold` (folded or skipped), 0 before any.
    public internal(set) var lastPosition: UInt64 = 0
    /// Index of each tenant's models in `tenantModels`, so that folding mutates them in place.
    var tenantIndexes: [Name: Int] = [:]
    var tenantModels: [TenantReadModels] = []
    /// The index of the tenant folded last (a hint, checked before use).
    var lastTenantIndex = 0

    /// Empty read models that will fold the events `asOf` selects, with the history lists
    /// unless `keepsHistories` is false.
    public init(asOf: AsOf = .end, keepsHistories: Bool = true) {
        self.asOf = asOf
        self.keepsHistories = keepsHistories
    }

    /// Folds the next appended event of the log; skips it when the as-of filter excludes it.
    /// Events must come in log order (increasing positions).
    public mutating func fold(_ recorded: RecordedEvent) {
        fold(recorded, parts: .all)
    }

    /// Folds the next appended event into `parts` of the read models only (the others stay as
    /// they are): one half of a fold split over two threads, which
    /// ``init(merging:_:takingFromSecond:)`` puts back together.
    public mutating func fold(_ recorded: RecordedEvent, parts: ReadModelParts) {
        precondition(recorded.position > lastPosition, "events must be folded in log order")
        lastPosition = recorded.position
        guard asOf.includes(position: recorded.position, at: recorded.event.at) else { return }
        let tenant = recorded.event.tenant
        let index: Int
        // Runs of one tenant's events are common: one comparison instead of a hash lookup.
        if lastTenantIndex < tenantModels.count, tenantModels[lastTenantIndex].tenant == tenant {
            index = lastTenantIndex
        } else if let existing = tenantIndexes[tenant] {
            index = existing
        } else {
            index = tenantModels.count
            tenantModels.append(TenantReadModels(tenant: tenant, asOf: asOf, keepsHistories: keepsHistories))
            tenantIndexes[tenant] = index
        }
        lastTenantIndex = index
        tenantModels[index].fold(recorded, parts: parts)
    }

    /// The read models of two folds of the same events, `first` folded into the complement of
    /// `secondParts` and `second` into `secondParts`: equal to one fold into all parts.
    /// Both must have folded the same events with the same as-of filter (checked: same last
    /// position, same tenants in the same order).
    public init(merging first: ReadModels, _ second: ReadModels, takingFromSecond secondParts: ReadModelParts) {
        precondition(first.asOf == second.asOf && first.keepsHistories == second.keepsHistories
                     && first.lastPosition == second.lastPosition
                     && first.tenantModels.count == second.tenantModels.count,
                     "merged read models must have folded the same events")
        self = first
        for index in second.tenantModels.indices {
            tenantModels[index].take(secondParts, from: second.tenantModels[index])
        }
    }

    /// The tenants with at least one folded event, sorted by UTF-8 bytes.
    public var tenants: [Name] {
        tenantIndexes.keys.sorted()
    }

    /// The read models of one tenant, or nil when none of its events was folded.
    public func tenant(_ tenant: Name) -> TenantReadModels? {
        guard let index = tenantIndexes[tenant] else { return nil }
        return tenantModels[index]
    }
}

/// The read models a fold updates, so that one fold can be split over two threads: each
/// thread folds every event into its own parts, and the halves are merged
/// (``ReadModels/init(merging:_:takingFromSecond:)``). The parts share no state.
public struct ReadModelParts: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The audit trail (its list; the count is kept by every part).
    public static let audit = ReadModelParts(rawValue: 1 << 0)
    /// Worker balances.
    public static let balances = ReadModelParts(rawValue: 1 << 1)
    /// Invitations, users and the subscription.
    public static let access = ReadModelParts(rawValue: 1 << 2)
    /// Orders and their histories.
    public static let orders = ReadModelParts(rawValue: 1 << 3)
    /// Monthly invoices and the fixed monthly pay they show.
    public static let invoices = ReadModelParts(rawValue: 1 << 4)
    /// The journal's accounts and transfers.
    public static let journal = ReadModelParts(rawValue: 1 << 5)
    public static let all: ReadModelParts = [.audit, .balances, .access, .orders, .invoices, .journal]
}

/// The read models of one tenant. Every list a query returns is sorted deterministically
/// (by entity id in UTF-8 byte order, or by log position).
public struct TenantReadModels: Sendable {
    /// The tenant these models belong to.
    public let tenant: Name
    /// The as-of time T of a fold `.time(T)`, nil otherwise.
    public let asOfTime: Timestamp?
    /// Whether the audit trail, the orders' histories and the journal's transfers are kept
    /// (`ReadModels.keepsHistories`); when false they are empty.
    public let keepsHistories: Bool
    /// The number of this tenant's events that were folded (its audit trail's length).
    public internal(set) var auditCount: Int = 0
    /// The latest business time among this tenant's folded events.
    public internal(set) var latestAt: Timestamp

    var balanceTable: [Name: WorkerBalance] = [:]
    /// The latest folded `fixed_monthly_cents` per worker, shown by draft invoices.
    var fixedMonthlyTable: [Name: Int64] = [:]
    var invoiceTable: [InvoiceKey: InvoiceTally] = [:]
    var orderTable: [Name: OrderRecord] = [:]
    /// The orders' histories (empty unless `keepsHistories`).
    var orderHistories = OrderHistories()
    var invitationTable: [Name: InvitationRecord] = [:]
    var userTable: [Name: Role] = [:]
    var subscriptionRecord: SubscriptionView? = nil
    var journalTable: [JournalAccount: Int64] = [:]
    var transferList: [JournalTransfer] = []
    var auditList: [AuditEntry] = []

    init(tenant: Name, asOf: AsOf, keepsHistories: Bool) {
        self.tenant = tenant
        self.keepsHistories = keepsHistories
        if case .time(let time) = asOf {
            asOfTime = time
        } else {
            asOfTime = nil
        }
        latestAt = Timestamp(microseconds: .min)
    }

    /// The time invitation expiry is judged at: T for a fold as of time T, else the latest
    /// `at` among this tenant's folded events, so that the same log always gives the same answer.
    public var statusTime: Timestamp { asOfTime ?? latestAt }

    mutating func fold(_ recorded: RecordedEvent, parts: ReadModelParts) {
        let event = recorded.event
        auditCount += 1
        if latestAt < event.at { latestAt = event.at }
        if keepsHistories, parts.contains(.audit) { foldAudit(recorded) }
        if parts.contains(.balances), let (worker, movement) = BalanceMovement.of(event, effect: recorded.effect) {
            foldBalance(worker: worker, movement: movement)
        }
        if parts.contains(.access) { foldAccess(recorded) }
        if parts.contains(.orders) { foldOrder(recorded) }
        if parts.contains(.invoices) { foldInvoice(recorded) }
        if parts.contains(.journal) { foldJournal(recorded) }
    }

    /// Replaces the state of `parts` with `other`'s (the same tenant, folded from the same events).
    mutating func take(_ parts: ReadModelParts, from other: TenantReadModels) {
        precondition(tenant == other.tenant && auditCount == other.auditCount, "merged read models must have folded the same events")
        if parts.contains(.audit) { auditList = other.auditList }
        if parts.contains(.balances) { balanceTable = other.balanceTable }
        if parts.contains(.access) {
            invitationTable = other.invitationTable
            userTable = other.userTable
            subscriptionRecord = other.subscriptionRecord
        }
        if parts.contains(.orders) {
            orderTable = other.orderTable
            orderHistories = other.orderHistories
        }
        if parts.contains(.invoices) {
            invoiceTable = other.invoiceTable
            fixedMonthlyTable = other.fixedMonthlyTable
        }
        if parts.contains(.journal) {
            journalTable = other.journalTable
            transferList = other.transferList
        }
    }
}
