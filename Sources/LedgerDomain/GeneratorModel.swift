/// The generator's own small model of each tenant: just enough of EVENTS.md's state to
/// write only events that the rules accept (and, for bad lines, events they refuse).
///
/// Entities are numbered from 1 within a tenant (`w-1`, `o-1`, `inv-1`...), so that
/// arrays, not dictionaries, hold them: lookups are cheap and nothing in the output
/// depends on hashing order.

/// Where a worker's invoice for one month stands.
enum GeneratorInvoiceStatus: UInt8 {
    /// No approval, bonus or fine in that month yet.
    case none
    /// Activity in a month that has not ended.
    case active
    /// The month has ended; the invoice waits in the tenant's queue to be issued.
    case queued
    /// Issued: no more approvals, bonuses or fines may be dated in that month.
    case issued
}

struct GeneratorWorker {
    var availableCents: Int64 = 0
    var pendingCents: Int64 = 0
    var fixedMonthlyCents: Int64 = 0
    /// Registered as a user through an accepted invitation.
    var isRegistered = false
    /// Invoice status per month, indexed by months since the generator's first month;
    /// months past the end are `.none`.
    var invoiceStatus: [GeneratorInvoiceStatus] = []

    func invoiceStatus(month: Int) -> GeneratorInvoiceStatus {
        month < invoiceStatus.count ? invoiceStatus[month] : .none
    }

    mutating func setInvoiceStatus(_ status: GeneratorInvoiceStatus, month: Int) {
        if month >= invoiceStatus.count {
            invoiceStatus.append(contentsOf: repeatElement(.none, count: month + 1 - invoiceStatus.count))
        }
        invoiceStatus[month] = status
    }
}

/// The states of an open order (`completed` and `cancelled` orders leave the open list).
enum GeneratorOrderState: UInt8 {
    case placed, accepted, assigned, submitted, approved, rejected
}

struct GeneratorOrder {
    var number: Int
    var state: GeneratorOrderState
    var client: Int
    /// 0 until an `order.accepted` names one.
    var manager: Int = 0
    /// 0 until a `job.assigned`.
    var writer: Int = 0
    var feeCents: Int64 = 0
    var priceCents: Int64
}

struct GeneratorInvitation {
    var number: Int
    var role: Role
    var expiresAt: Int64
}

enum GeneratorSubscriptionStatus: UInt8 {
    case none, active, cancelled
}

struct GeneratorTenant {
    /// The tenant id as bytes.
    var name: [UInt8]
    /// The number of the last event id used (`e-000001` is 1).
    var lastEventNumber = 0

    var subscription = GeneratorSubscriptionStatus.none
    var planIndex = 0
    /// When the next planned `subscription.changed` is due.
    var nextSubscriptionChangeAt: Int64 = 0

    /// Worker `w-n` is `workers[n - 1]`.
    var workers: [GeneratorWorker] = []
    /// Orders neither completed nor cancelled, in no particular order.
    var openOrders: [GeneratorOrder] = []
    var lastOrderNumber = 0
    /// The number of the last order that was completed or cancelled, 0 if none.
    var lastClosedOrderNumber = 0

    /// Pending invitations that will be accepted or revoked some day; the others are left
    /// to expire.
    var actionableInvitations: [GeneratorInvitation] = []
    var lastInvitationNumber = 0
    /// 0 when none.
    var lastRevokedInvitationNumber = 0
    var lastAcceptedInvitationNumber = 0

    /// Users `u-mgr-1`, `u-client-1`, `u-admin-1`...: the first few exist from before
    /// the history (imported), the others joined through invitations.
    var managerCount = 2
    var clientCount = 5
    var adminCount = 0

    /// Invoices to issue: (worker number, month index), oldest first from `invoiceQueueHead`.
    var invoiceQueue: [(worker: Int, month: Int)] = []
    var invoiceQueueHead = 0
    /// The last invoice issued, for the rule breakers that need one; worker 0 when none.
    var lastIssuedInvoice: (worker: Int, month: Int) = (0, 0)

    var lastPayoutNumber = 0
    var lastReportNumber = 0
    var lastKeyNumber = 0

    init(name: [UInt8]) {
        self.name = name
    }

    var hasQueuedInvoice: Bool { invoiceQueueHead < invoiceQueue.count }

    mutating func enqueueInvoice(worker: Int, month: Int) {
        // Drop the issued head of the queue now and then, so it does not grow for ever.
        if invoiceQueueHead >= 1024 && invoiceQueueHead * 2 >= invoiceQueue.count {
            invoiceQueue.removeFirst(invoiceQueueHead)
            invoiceQueueHead = 0
        }
        invoiceQueue.append((worker, month))
    }

    mutating func dequeueInvoice() -> (worker: Int, month: Int) {
        precondition(hasQueuedInvoice, "dequeue from an empty invoice queue")
        let entry = invoiceQueue[invoiceQueueHead]
        invoiceQueueHead += 1
        return entry
    }

    /// Records an approval, bonus or fine of `worker` dated in `month`. `monthsEnded` is the
    /// number of months already swept into the invoice queue: activity in such a month
    /// queues its invoice at once.
    mutating func recordActivity(worker: Int, month: Int, monthsEnded: Int) {
        switch workers[worker - 1].invoiceStatus(month: month) {
        case .none:
            if month < monthsEnded {
                workers[worker - 1].setInvoiceStatus(.queued, month: month)
                enqueueInvoice(worker: worker, month: month)
            } else {
                workers[worker - 1].setInvoiceStatus(.active, month: month)
            }
        case .active, .queued:
            break
        case .issued:
            preconditionFailure("activity dated in an issued invoice's month")
        }
    }

    /// Queues the invoices of the months `months` that just ended: every worker with
    /// activity in them, and every worker with fixed monthly pay.
    mutating func queueInvoices(months: Range<Int>) {
        for month in months {
            for index in workers.indices {
                let status = workers[index].invoiceStatus(month: month)
                let isDue = status == .active || (status == .none && workers[index].fixedMonthlyCents > 0)
                if isDue {
                    workers[index].setInvoiceStatus(.queued, month: month)
                    enqueueInvoice(worker: index + 1, month: month)
                }
            }
        }
    }
}
