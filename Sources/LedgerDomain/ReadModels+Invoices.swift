import LedgerLog
/// The invoice read model (EVENTS.md section 3 "Invoices"): one invoice per worker and period.

/// Whether an invoice is still open or frozen by `invoice.issued`.
public enum InvoiceStatus: UInt8, Sendable, CaseIterable {
    case draft = 1, issued

    /// The name the read models print, e.g. `"draft"`.
    public var name: String {
        switch self {
        case .draft: "draft"
        case .issued: "issued"
        }
    }
}

/// The invoice of one worker for one period, in cents.
public struct InvoiceView: Sendable, Hashable {
    public var worker: Name
    public var period: Period
    /// Sum of `submissions` of the orders approved in the period with this worker as writer.
    public var submissionCount: Int64
    /// Sum of the fees of those approvals.
    public var workPayCents: Int64
    public var bonusCents: Int64
    public var fineCents: Int64
    /// Draft: the worker's latest folded `fixed_monthly_cents` (0 if none); issued: the pay frozen at issue.
    public var fixedPayCents: Int64
    public var status: InvoiceStatus

    public init(
        worker: Name, period: Period, submissionCount: Int64, workPayCents: Int64, bonusCents: Int64, fineCents: Int64,
        fixedPayCents: Int64, status: InvoiceStatus
    ) {
        self.worker = worker
        self.period = period
        self.submissionCount = submissionCount
        self.workPayCents = workPayCents
        self.bonusCents = bonusCents
        self.fineCents = fineCents
        self.fixedPayCents = fixedPayCents
        self.status = status
    }

    /// `fixed + work + bonus - fine`.
    public var totalCents: Int64 { fixedPayCents + workPayCents + bonusCents - fineCents }

    /// The invoice's key in reports, `<worker>/<YYYY-MM>`.
    public var key: String { "\(worker.string)/\(period.text)" }
}

struct InvoiceKey: Hashable, Sendable {
    var worker: Name
    var period: Period

    /// `KeyedHash` of the worker's bytes, with the period and the table's seed (see `Name._rawHashValue`).
    func _rawHashValue(seed: Int) -> Int {
        let periodSeed = UInt64(UInt32(bitPattern: period.ordinal)) &* KeyedHash.constant0
        return worker.withUTF8Bytes { KeyedHash().hash($0, seed: UInt64(bitPattern: Int64(seed)) ^ periodSeed) }
    }
}

/// What the folded events put into one invoice.
struct InvoiceTally: Sendable {
    var submissionCount: Int64 = 0
    var workPayCents: Int64 = 0
    var bonusCents: Int64 = 0
    var fineCents: Int64 = 0
    /// The fixed pay frozen by a folded `invoice.issued`; nil while the invoice is a draft.
    var frozenFixedPayCents: Int64? = nil
}

extension TenantReadModels {
    mutating func foldInvoice(_ recorded: RecordedEvent) {
        let event = recorded.event
        switch event.data {
        case .workerRateSet(let worker, let fixedMonthlyCents):
            fixedMonthlyTable[worker] = fixedMonthlyCents
        case .orderApproved:
            // The writer, fee and submissions fixed at append: an approval counts even when
            // the assignment or submission it depends on is not folded (as of a time).
            guard case .approval(let writer, let feeCents, let submissions) = recorded.effect else { return }
            let key = InvoiceKey(worker: writer, period: event.at.period)
            invoiceTable[key, default: InvoiceTally()].submissionCount += submissions
            invoiceTable[key, default: InvoiceTally()].workPayCents += feeCents
        case .bonusAdded(let worker, let amountCents, _):
            let key = InvoiceKey(worker: worker, period: event.at.period)
            invoiceTable[key, default: InvoiceTally()].bonusCents += amountCents
        case .fineIssued(let worker, let amountCents, _):
            let key = InvoiceKey(worker: worker, period: event.at.period)
            invoiceTable[key, default: InvoiceTally()].fineCents += amountCents
        case .invoiceIssued(let worker, let period):
            guard case .invoice(let fixedPayCents) = recorded.effect else { return }
            invoiceTable[InvoiceKey(worker: worker, period: period), default: InvoiceTally()]
                .frozenFixedPayCents = fixedPayCents
        default:
            break
        }
    }

    /// Every invoice, sorted by worker id then period.
    public func invoices() -> [InvoiceView] {
        invoiceTable.map { view(of: $0.key, tally: $0.value) }
            .sorted { ($0.worker, $0.period.ordinal) < ($1.worker, $1.period.ordinal) }
    }

    /// The invoice of `worker` for `period`, or nil when it does not exist yet (no approval,
    /// bonus or fine in that period and not issued).
    public func invoice(worker: Name, period: Period) -> InvoiceView? {
        let key = InvoiceKey(worker: worker, period: period)
        return invoiceTable[key].map { view(of: key, tally: $0) }
    }

    /// The latest folded `fixed_monthly_cents` of `worker`, nil when never set.
    public func fixedMonthlyCents(of worker: Name) -> Int64? {
        fixedMonthlyTable[worker]
    }

    private func view(of key: InvoiceKey, tally: InvoiceTally) -> InvoiceView {
        InvoiceView(
            worker: key.worker,
            period: key.period,
            submissionCount: tally.submissionCount,
            workPayCents: tally.workPayCents,
            bonusCents: tally.bonusCents,
            fineCents: tally.fineCents,
            fixedPayCents: tally.frozenFixedPayCents ?? fixedMonthlyTable[key.worker] ?? 0,
            status: tally.frozenFixedPayCents == nil ? .draft : .issued)
    }
}
