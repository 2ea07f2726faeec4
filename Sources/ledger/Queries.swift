import ArgumentParser
import Foundation
import Ledger
import LedgerDomain

extension LedgerCommand {
    struct Balance: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Worker balances: available, pending and total earned (cents).")
        @OptionGroup var query: QueryOptions
        @Option(name: .long, help: "Only this worker.") var worker: String?

        func run() throws {
            try reportingFailures {
                // The fast path: the balances section of a snapshot, then only money fields.
                let fold = try query.loadBalances(worker: worker)
                var rows = Rows(["tenant", "worker", "available_cents", "pending_cents", "total_earned_cents"])
                let tenants = query.tenant.map { [Name($0)] } ?? fold.tenants
                for tenant in tenants {
                    for balance in fold.balances(tenant: tenant) where worker.map({ Name($0) == balance.worker }) ?? true {
                        rows.append([Cell(tenant), Cell(balance.worker), .cents(balance.availableCents),
                                     .cents(balance.pendingCents), .cents(balance.totalEarnedCents)])
                    }
                }
                print(rows.render(query.format), terminator: "")
            }
        }
    }

    struct Invoice: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Monthly invoices per worker: submissions, work pay, bonus, fine, fixed pay, total, status.")
        @OptionGroup var query: QueryOptions
        @Option(name: .long, help: "Only this worker.") var worker: String?
        @Option(name: .long, help: "Only this period (YYYY-MM).") var period: String?

        func validate() throws {
            if let period, Period(parsing: Array(period.utf8)) == nil {
                throw ValidationError("--period \(period): expected YYYY-MM with month 01-12")
            }
        }

        func run() throws {
            try reportingFailures {
                let (_, tenants) = try query.load()
                let wanted = period.flatMap { Period(parsing: Array($0.utf8)) }
                var rows = Rows(["tenant", "worker", "period", "submission_count", "work_pay_cents", "bonus_cents",
                                 "fine_cents", "fixed_pay_cents", "total_cents", "status"])
                for tenant in tenants {
                    for invoice in tenant.invoices()
                    where (worker.map { Name($0) == invoice.worker } ?? true) && (wanted.map { $0 == invoice.period } ?? true) {
                        rows.append([Cell(tenant.tenant), Cell(invoice.worker), .text(invoice.period.text),
                                     .integer(invoice.submissionCount), .cents(invoice.workPayCents),
                                     .cents(invoice.bonusCents), .cents(invoice.fineCents), .cents(invoice.fixedPayCents),
                                     .cents(invoice.totalCents), .text(invoice.status.name)])
                    }
                }
                print(rows.render(query.format), terminator: "")
            }
        }
    }

    struct Order: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Orders (jobs): state, parties, fee, price; with an order id, its history too.")
        @OptionGroup var query: QueryOptions
        @Argument(help: "An order id: show that order's history.") var order: String?

        func validate() throws {
            if order != nil && query.tenant == nil {
                throw ValidationError("an order id is scoped by tenant: give --tenant too")
            }
        }

        func run() throws {
            try reportingFailures {
                let (_, tenants) = try query.load(includeHistories: order != nil)
                var rows = Rows(["tenant", "order", "state", "client", "manager", "writer", "fee_cents",
                                 "price_cents", "submissions", "title"])
                var history = Rows(["position", "at", "actor", "type", "details"])
                for tenant in tenants {
                    let orders = order.map { tenant.order(Name($0)).map { [$0] } ?? [] } ?? tenant.orders()
                    for view in orders {
                        rows.append([Cell(tenant.tenant), Cell(view.order), .text(view.status.name), Cell(view.client),
                                     Cell(view.manager), Cell(view.writer), Cell(cents: view.feeCents),
                                     Cell(cents: view.priceCents), Cell(view.submissions), Cell(view.title)])
                        if order != nil {
                            for entry in view.history {
                                history.append([.integer(Int64(entry.position)), .text(entry.at.canonical),
                                                Cell(entry.actor), .text(entry.type.name), .text(entry.details)])
                            }
                        }
                    }
                }
                if order != nil && rows.rows.isEmpty {
                    throw ValidationError("no order \(order!) in tenant \(query.tenant!) (as of the point asked)")
                }
                if order != nil && query.format == .json {
                    print("{\"order\":" + rows.render(.json).dropLast() + ",\"history\":" + history.render(.json).dropLast() + "}")
                } else {
                    print(rows.render(query.format), terminator: "")
                    if order != nil {
                        if query.format == .table { print("\nHistory:") } else { print() }
                        print(history.render(query.format), terminator: "")
                    }
                }
            }
        }
    }

    struct Invitations: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invitations (status pending, accepted, revoked or expired at the as-of time) and users.")
        @OptionGroup var query: QueryOptions
        @Flag(name: .long, help: "List the registered users and their roles instead.") var users = false

        func run() throws {
            try reportingFailures {
                let (_, tenants) = try query.load()
                if users {
                    var rows = Rows(["tenant", "user", "role"])
                    for tenant in tenants {
                        for user in tenant.users() { rows.append([Cell(tenant.tenant), Cell(user.user), .text(user.role.name)]) }
                    }
                    print(rows.render(query.format), terminator: "")
                    return
                }
                var rows = Rows(["tenant", "invitation", "status", "role", "email", "expires_at", "user"])
                for tenant in tenants {
                    for invitation in tenant.invitations() {
                        rows.append([Cell(tenant.tenant), Cell(invitation.invitation), .text(invitation.status.name),
                                     Cell(invitation.role?.name), Cell(invitation.email), Cell(invitation.expiresAt),
                                     Cell(invitation.user)])
                    }
                }
                print(rows.render(query.format), terminator: "")
            }
        }
    }

    struct Subscription: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's subscription: plan, MRR, status; --history for every change.")
        @OptionGroup var query: QueryOptions
        @Flag(name: .long, help: "List every change instead.") var history = false

        func run() throws {
            try reportingFailures {
                let (_, tenants) = try query.load()
                if history {
                    var rows = Rows(["tenant", "position", "at", "actor", "change", "plan", "mrr_cents"])
                    for tenant in tenants {
                        for entry in tenant.subscription?.history ?? [] {
                            rows.append([Cell(tenant.tenant), .integer(Int64(entry.position)), .text(entry.at.canonical),
                                         Cell(entry.actor), .text(entry.change.name), Cell(entry.plan), .cents(entry.mrrCents)])
                        }
                    }
                    print(rows.render(query.format), terminator: "")
                    return
                }
                var rows = Rows(["tenant", "plan", "mrr_cents", "status", "changes"])
                for tenant in tenants {
                    guard let subscription = tenant.subscription else { continue }
                    rows.append([Cell(tenant.tenant), Cell(subscription.plan), .cents(subscription.mrrCents),
                                 .text(subscription.status.name), .integer(Int64(subscription.history.count))])
                }
                print(rows.render(query.format), terminator: "")
            }
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The audit trail: every event as (position, at, actor, type, target), filtered.")
        @OptionGroup var query: QueryOptions
        @Option(name: .long, help: "Only events by this actor.") var actor: String?
        @Option(name: .long, help: "Only events of this type (e.g. payout.paid).") var type: String?
        @Option(name: .long, help: "Only events about this target (worker, order, invitation, worker/YYYY-MM, type/id).") var target: String?
        @Option(name: .long, help: "Only events with at >= TIME.") var since: String?
        @Option(name: .long, help: "Only events with at <= TIME.") var until: String?
        @Option(name: .long, help: "Only audit.recorded events of this risk (low, medium, high, critical).") var risk: String?
        @Option(name: .long, help: "At most this many entries (the newest last).") var limit: Int?

        func validate() throws {
            if let type, EventType(name: type) == nil {
                throw ValidationError("--type \(type): not an event type (\(EventType.allCases.map(\.name).joined(separator: ", ")))")
            }
            for (flag, value) in [("--since", since), ("--until", until)] {
                if let value, Timestamp(parsing: Array(value.utf8)) == nil {
                    throw ValidationError("\(flag) \(value): expected YYYY-MM-DDTHH:MM:SS[.f]Z")
                }
            }
            if let risk, !Risk.allCases.contains(where: { $0.name == risk }) {
                throw ValidationError("--risk \(risk): expected low, medium, high or critical")
            }
            if let limit, limit < 0 { throw ValidationError("--limit must be >= 0") }
        }

        func run() throws {
            try reportingFailures {
                let (_, tenants) = try query.load(includeHistories: true)
                var filter = AuditFilter()
                if let actor { filter.actor = Name(actor) }
                if let type { filter.type = EventType(name: type) }
                if let target { filter.target = Name(target) }
                if let since { filter.since = Timestamp(parsing: Array(since.utf8)) }
                if let until { filter.until = Timestamp(parsing: Array(until.utf8)) }
                if let risk { filter.risk = Risk.allCases.first { $0.name == risk } }
                var rows = Rows(["tenant", "position", "at", "actor", "type", "target", "risk"])
                var entries: [(Name, AuditEntry)] = []
                for tenant in tenants {
                    entries += tenant.auditTrail(filter).map { (tenant.tenant, $0) }
                }
                entries.sort { $0.1.position < $1.1.position }
                if let limit, entries.count > limit { entries = Array(entries.suffix(limit)) }
                for (tenant, entry) in entries {
                    rows.append([Cell(tenant), .integer(Int64(entry.position)), .text(entry.at.canonical), Cell(entry.actor),
                                 .text(entry.type.name), .text(entry.target), Cell(entry.risk?.name)])
                }
                print(rows.render(query.format), terminator: "")
            }
        }
    }

    struct Journal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The double-entry journal: account balances (credits minus debits) and the trial balance; --transfers lists every transfer.")
        @OptionGroup var query: QueryOptions
        @Flag(name: .long, help: "List every transfer instead of the accounts.") var transfers = false

        func run() throws {
            try reportingFailures {
                let (_, tenants) = try query.load(includeHistories: transfers)
                if transfers {
                    var rows = Rows(["tenant", "position", "at", "debit", "credit", "amount_cents"])
                    for tenant in tenants {
                        for transfer in tenant.journalTransfers {
                            rows.append([Cell(tenant.tenant), .integer(Int64(transfer.position)), .text(transfer.at.canonical),
                                         .text(transfer.debit.name), .text(transfer.credit.name), .cents(transfer.amountCents)])
                        }
                    }
                    print(rows.render(query.format), terminator: "")
                    return
                }
                var rows = Rows(["tenant", "account", "balance_cents"])
                var unbalanced: [String] = []
                for tenant in tenants {
                    var sum: Int64 = 0
                    for account in tenant.journalAccounts() {
                        rows.append([Cell(tenant.tenant), .text(account.account.name), .cents(account.balanceCents)])
                        sum += account.balanceCents
                    }
                    if query.format == .table {
                        rows.append([Cell(tenant.tenant), .text("trial balance (sum, must be 0)"), .cents(sum)])
                    }
                    if sum != 0 { unbalanced.append(tenant.tenant.string) }
                }
                print(rows.render(query.format), terminator: "")
                if !unbalanced.isEmpty {
                    Terminal.error("the journal does not balance for \(unbalanced.joined(separator: ", "))")
                    throw ExitStatus.damaged
                }
            }
        }
    }
}
