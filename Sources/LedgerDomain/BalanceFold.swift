#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fold that keeps only the worker balances of every tenant: the fast path for replaying a
/// log into balances (benchmarked on its own), with the same figures as `ReadModels`.
///
/// ```swift
/// var fold = BalanceFold()
/// for recorded in log { fold.fold(recorded) }
/// fold.balance(tenant: "acme", worker: "w-17")?.availableCents
/// ```
///
/// A replay that decodes only the money fields of a record (without building an `Event`)
/// calls `apply(_:tenant:worker:)` directly.
public struct BalanceFold: Sendable {
    /// The filter: which appended events this fold takes into account.
    public let asOf: AsOf
    /// Which balances the fold keeps: every one (nil), or one tenant's, or one worker's. A
    /// query for one worker folds only that worker's movements (and loads only its snapshot
    /// entry), so it costs a byte comparison per money event instead of a table probe.
    public let scope: BalanceScope?
    /// The position of the last event offered to `fold` (folded or skipped), 0 before any.
    public internal(set) var lastPosition: UInt64 = 0
    var table = BalanceTable()

    /// An empty fold of the events `asOf` selects.
    public init(asOf: AsOf = .end, scope: BalanceScope? = nil) {
        self.asOf = asOf
        self.scope = scope
    }

    /// Folds the next appended event of the log; skips it when the as-of filter excludes it
    /// or when it moves no money. Events must come in log order (increasing positions).
    public mutating func fold(_ recorded: RecordedEvent) {
        precondition(recorded.position > lastPosition, "events must be folded in log order")
        lastPosition = recorded.position
        guard asOf.includes(position: recorded.position, at: recorded.event.at) else { return }
        guard let (worker, movement) = BalanceMovement.of(recorded.event, effect: recorded.effect) else { return }
        apply(movement, tenant: recorded.event.tenant, worker: worker)
    }

    /// Applies one money movement already selected by the caller (as-of filter included).
    /// A zero amount moves no money and creates no balance.
    public mutating func apply(_ movement: BalanceMovement, tenant: Name, worker: Name) {
        guard movement.amountCents != 0 else { return }
        if let scope, !scope.includes(tenant: tenant, worker: worker) { return }
        tenant.withUTF8Bytes { tenantBytes in
            worker.withUTF8Bytes { workerBytes in table.apply(movement, tenant: tenantBytes, worker: workerBytes) }
        }
    }

    /// Applies one money movement of a worker whose tenant and id are given as UTF-8 bytes, as
    /// a replay that decodes only the money fields of a log record has them: no `String` is
    /// built unless the worker is new. A zero amount moves no money and creates no balance.
    @inline(__always)
    public mutating func apply(_ movement: BalanceMovement, tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) {
        guard movement.amountCents != 0 else { return }
        if let scope, !scope.includes(tenant: tenant, worker: worker) { return }
        table.apply(movement, tenant: tenant, worker: worker)
    }

    /// Folds one log record given by its fields (type code, payload, tenant, position and
    /// business time in microseconds), as a replay reads them: the money fields are read from
    /// the payload (`EventBinaryCodec.decodeMoney`, which checks them), and only a money event
    /// the as-of filter includes touches a balance. One call per record, so that a replay
    /// crosses into this module once per record rather than once per step.
    @inline(__always)
    public mutating func fold(type: UInt16, payload: UnsafeRawBufferPointer, tenant: UnsafeRawBufferPointer,
                              position: UInt64, at: Int64) throws(PayloadError) {
        lastPosition = position
        guard let money = try EventBinaryCodec.decodeMoney(type: type, payload: payload) else { return }
        guard asOf.includes(position: position, at: Timestamp(microseconds: at)) else { return }
        let movement: BalanceMovement
        switch money.kind {
        case .approval: movement = .approval(feeCents: money.amountCents)
        case .completion: movement = .completion(feeCents: money.amountCents)
        case .bonus: movement = .bonus(amountCents: money.amountCents)
        case .fine: movement = .fine(amountCents: money.amountCents)
        case .payout: movement = .payout(amountCents: money.amountCents)
        case .invoice: movement = .fixedPay(amountCents: money.amountCents)
        }
        apply(movement, tenant: tenant, worker: money.worker)
    }

    /// The balance of `worker` of `tenant`, or nil when no non-zero amount moved for them.
    public func balance(tenant: Name, worker: Name) -> WorkerBalance? {
        let index = tenant.withUTF8Bytes { tenantBytes in
            worker.withUTF8Bytes { workerBytes in table.index(tenant: tenantBytes, worker: workerBytes) }
        }
        return index.map { table.balance(at: $0) }
    }

    /// Every balance of `tenant`, sorted by worker id.
    public func balances(tenant: Name) -> [WorkerBalance] {
        tenant.withUTF8Bytes { table.balances(ofTenant: $0) }.sorted { $0.worker < $1.worker }
    }

    /// The tenants with at least one balance, sorted.
    public var tenants: [Name] {
        table.tenantNames.sorted()
    }

    /// The number of (tenant, worker) balances.
    public var count: Int { table.count }
}

/// The balances a ``BalanceFold`` keeps: one tenant's, or one worker's of one tenant.
public struct BalanceScope: Sendable, Equatable {
    public let tenant: Name
    /// nil: every worker of `tenant`.
    public let worker: Name?
    private let tenantBytes: [UInt8]
    private let workerBytes: [UInt8]?

    public init(tenant: Name, worker: Name? = nil) {
        self.tenant = tenant
        self.worker = worker
        tenantBytes = Array(tenant.string.utf8)
        workerBytes = worker.map { Array($0.string.utf8) }
    }

    public func includes(tenant: Name, worker: Name) -> Bool {
        tenant == self.tenant && (self.worker.map { $0 == worker } ?? true)
    }

    /// The same test on UTF-8 bytes, as a replay reads them from a record.
    @inline(__always)
    public func includes(tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) -> Bool {
        guard Self.same(tenant, tenantBytes) else { return false }
        guard let workerBytes else { return true }
        return Self.same(worker, workerBytes)
    }

    @inline(__always)
    private static func same(_ bytes: UnsafeRawBufferPointer, _ expected: [UInt8]) -> Bool {
        guard bytes.count == expected.count else { return false }
        return expected.withUnsafeBytes { own in
            own.count == 0 || memcmp(own.baseAddress!, bytes.baseAddress!, own.count) == 0
        }
    }
}
