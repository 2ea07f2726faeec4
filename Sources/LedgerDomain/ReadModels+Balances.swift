/// The worker balance read model (EVENTS.md section 4) and the money movements it folds,
/// shared by `ReadModels` and the balances-only `BalanceFold`.

/// The balance of one worker of one tenant, in cents.
public struct WorkerBalance: Sendable, Hashable {
    public var worker: Name
    /// Completed fees + bonuses + fixed pay of issued invoices - fines - payouts (may be negative).
    public var availableCents: Int64 = 0
    /// Fees of approved orders not yet completed.
    public var pendingCents: Int64 = 0
    /// Every fee that reached pending + bonuses + fixed pay of issued invoices; fines and
    /// payouts do not lower it.
    public var totalEarnedCents: Int64 = 0

    public init(worker: Name, availableCents: Int64 = 0, pendingCents: Int64 = 0, totalEarnedCents: Int64 = 0) {
        self.worker = worker
        self.availableCents = availableCents
        self.pendingCents = pendingCents
        self.totalEarnedCents = totalEarnedCents
    }

    /// Applies one money movement of this worker.
    @inlinable
    public mutating func apply(_ movement: BalanceMovement) {
        let change = movement.change
        availableCents += change.available
        pendingCents += change.pending
        totalEarnedCents += change.totalEarned
    }
}

/// One movement of a worker's money, as fixed when its event was appended.
public enum BalanceMovement: Sendable, Hashable {
    /// `order.approved`: the fee goes to pending.
    case approval(feeCents: Int64)
    /// `order.completed`: the fee moves from pending to available.
    case completion(feeCents: Int64)
    /// `bonus.added`: available += amount.
    case bonus(amountCents: Int64)
    /// `fine.issued`: available -= amount (may go below zero).
    case fine(amountCents: Int64)
    /// `payout.paid`: available -= amount.
    case payout(amountCents: Int64)
    /// `invoice.issued`: the frozen fixed pay is credited to available.
    case fixedPay(amountCents: Int64)

    /// What the movement adds to a worker's available, pending and total earned cents (the
    /// one definition of the balance rules, for `WorkerBalance` and the replay's table alike).
    @inlinable
    public var change: (available: Int64, pending: Int64, totalEarned: Int64) {
        switch self {
        case .approval(let feeCents): (0, feeCents, feeCents)
        case .completion(let feeCents): (feeCents, -feeCents, 0)
        case .bonus(let amountCents): (amountCents, 0, amountCents)
        case .fine(let amountCents): (-amountCents, 0, 0)
        case .payout(let amountCents): (-amountCents, 0, 0)
        case .fixedPay(let amountCents): (amountCents, 0, amountCents)
        }
    }

    /// The amount moved, in cents; a movement of 0 moves no money and creates no balance.
    @inlinable
    public var amountCents: Int64 {
        switch self {
        case .approval(let cents), .completion(let cents), .bonus(let cents), .fine(let cents),
            .payout(let cents), .fixedPay(let cents):
            cents
        }
    }

    /// The worker and movement of an appended event, or nil for an event that moves no money.
    /// Approvals and completions pay the writer fixed in `effect`, invoices the frozen fixed pay;
    /// an effect of another kind for them is a broken invariant and stops the process.
    @inlinable
    public static func of(_ event: Event, effect: Effect) -> (worker: Name, movement: BalanceMovement)? {
        switch event.data {
        case .orderApproved:
            guard case .approval(let writer, let feeCents, _) = effect else { preconditionFailure("order.approved needs an approval effect, got \(effect)") }
            return (writer, .approval(feeCents: feeCents))
        case .orderCompleted:
            guard case .completion(let writer, let feeCents) = effect else { preconditionFailure("order.completed needs a completion effect, got \(effect)") }
            return (writer, .completion(feeCents: feeCents))
        case .bonusAdded(let worker, let amountCents, _):
            return (worker, .bonus(amountCents: amountCents))
        case .fineIssued(let worker, let amountCents, _):
            return (worker, .fine(amountCents: amountCents))
        case .payoutPaid(let worker, let amountCents, _):
            return (worker, .payout(amountCents: amountCents))
        case .invoiceIssued(let worker, _):
            guard case .invoice(let fixedPayCents) = effect else { preconditionFailure("invoice.issued needs an invoice effect, got \(effect)") }
            return (worker, .fixedPay(amountCents: fixedPayCents))
        default:
            return nil
        }
    }
}

extension TenantReadModels {
    mutating func foldBalance(worker: Name, movement: BalanceMovement) {
        // "A worker has a balance once a non-zero amount moved for them."
        guard movement.amountCents != 0 else { return }
        balanceTable[worker, default: WorkerBalance(worker: worker)].apply(movement)
    }

    /// Every worker with a balance, sorted by worker id.
    public func balances() -> [WorkerBalance] {
        balanceTable.values.sortedByName { $0.worker }
    }

    /// The balance of `worker`, or nil when no non-zero amount moved for them.
    public func balance(of worker: Name) -> WorkerBalance? {
        balanceTable[worker]
    }
}
