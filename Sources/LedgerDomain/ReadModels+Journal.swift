/// The double-entry journal (EVENTS.md section 4): every money movement is a transfer from a
/// debit account to a credit account; every account reports credits minus debits.

/// An account of a tenant's journal.
public enum JournalAccount: Sendable, Hashable {
    /// `expense:work`: fees of approved orders.
    case expenseWork
    /// `expense:bonus`.
    case expenseBonus
    /// `expense:fixed`: fixed pay of issued invoices.
    case expenseFixed
    /// `income:fines`.
    case incomeFines
    /// `asset:cash`: positive, the cash paid out.
    case assetCash
    /// `worker:<w>:pending`.
    case workerPending(Name)
    /// `worker:<w>:available`.
    case workerAvailable(Name)

    /// The account's name in reports, e.g. `worker:w-17:available`.
    public var name: String {
        switch self {
        case .expenseWork: "expense:work"
        case .expenseBonus: "expense:bonus"
        case .expenseFixed: "expense:fixed"
        case .incomeFines: "income:fines"
        case .assetCash: "asset:cash"
        case .workerPending(let worker): "worker:\(worker.string):pending"
        case .workerAvailable(let worker): "worker:\(worker.string):available"
        }
    }
}

/// One money movement: `amountCents` (never 0) from `debit` to `credit`.
public struct JournalTransfer: Sendable, Hashable {
    public var position: UInt64
    public var at: Timestamp
    public var debit: JournalAccount
    public var credit: JournalAccount
    public var amountCents: Int64

    public init(position: UInt64, at: Timestamp, debit: JournalAccount, credit: JournalAccount, amountCents: Int64) {
        self.position = position
        self.at = at
        self.debit = debit
        self.credit = credit
        self.amountCents = amountCents
    }
}

/// An account and its balance, credits minus debits.
public struct JournalAccountBalance: Sendable, Hashable {
    public var account: JournalAccount
    public var balanceCents: Int64

    public init(account: JournalAccount, balanceCents: Int64) {
        self.account = account
        self.balanceCents = balanceCents
    }
}

extension TenantReadModels {
    mutating func foldJournal(_ recorded: RecordedEvent) {
        let debit: JournalAccount
        let credit: JournalAccount
        let amountCents: Int64
        switch (recorded.event.data, recorded.effect) {
        case (.orderApproved, .approval(let writer, let feeCents, _)):
            (debit, credit, amountCents) = (.expenseWork, .workerPending(writer), feeCents)
        case (.orderCompleted, .completion(let writer, let feeCents)):
            (debit, credit, amountCents) = (.workerPending(writer), .workerAvailable(writer), feeCents)
        case (.bonusAdded(let worker, let bonusCents, _), _):
            (debit, credit, amountCents) = (.expenseBonus, .workerAvailable(worker), bonusCents)
        case (.fineIssued(let worker, let fineCents, _), _):
            (debit, credit, amountCents) = (.workerAvailable(worker), .incomeFines, fineCents)
        case (.invoiceIssued(let worker, _), .invoice(let fixedPayCents)):
            (debit, credit, amountCents) = (.expenseFixed, .workerAvailable(worker), fixedPayCents)
        case (.payoutPaid(let worker, let payoutCents, _), _):
            (debit, credit, amountCents) = (.workerAvailable(worker), .assetCash, payoutCents)
        default:
            return
        }
        // "A zero amount writes no transfer", so the account is not listed for it either.
        guard amountCents != 0 else { return }
        journalTable[debit, default: 0] -= amountCents
        journalTable[credit, default: 0] += amountCents
        guard keepsHistories else { return }
        transferList.append(
            JournalTransfer(
                position: recorded.position, at: recorded.event.at, debit: debit, credit: credit,
                amountCents: amountCents))
    }

    /// Every account a non-zero transfer touched (even when it nets to 0), sorted by name
    /// (UTF-8 bytes).
    public func journalAccounts() -> [JournalAccountBalance] {
        journalTable.map { (name: Name($0.key.name), balance: JournalAccountBalance(account: $0.key, balanceCents: $0.value)) }
            .sorted { $0.name < $1.name }
            .map(\.balance)
    }

    /// The balance of `account`, or nil when no non-zero transfer touched it.
    public func journalBalance(of account: JournalAccount) -> Int64? {
        journalTable[account]
    }

    /// Every transfer, in log order; empty when the models do not keep histories.
    public var journalTransfers: [JournalTransfer] { transferList }
}
