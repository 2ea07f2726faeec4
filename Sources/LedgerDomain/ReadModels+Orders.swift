/// The order read model (EVENTS.md section 4): each order's fields and its history.

/// One order (job) of a tenant. A field that only unfolded events set is nil (for example
/// `manager` before `order.accepted`, or `title` when `order.placed` is after the as-of time).
public struct OrderView: Sendable, Hashable {
    public var order: Name
    /// Set by every order event, so never nil once the order appears.
    public var status: OrderStatus
    public var client: Name?
    public var manager: Name?
    /// The latest folded assignment's writer (a later assignment replaces it).
    public var writer: Name?
    /// The latest folded assignment's fee.
    public var feeCents: Int64?
    public var priceCents: Int64?
    /// The latest folded submission's count.
    public var submissions: Int64?
    /// Free text; `""` when placed with an empty title, nil when `order.placed` is not folded.
    public var title: String?
    /// Every folded `order.*` and `job.assigned` event naming this order, in log order; empty
    /// when the models do not keep histories (`ReadModels.keepsHistories`).
    public var history: [OrderHistoryEntry]

    public init(order: Name, status: OrderStatus) {
        self.order = order
        self.status = status
        self.history = []
    }
}

/// One event of an order's history.
public struct OrderHistoryEntry: Sendable, Hashable {
    public var position: UInt64
    public var at: Timestamp
    public var actor: Name
    /// The event's data and fixed effect, kept so that `details` is written only when asked.
    public var data: EventData
    public var effect: Effect

    public init(position: UInt64, at: Timestamp, actor: Name, data: EventData, effect: Effect) {
        self.position = position
        self.at = at
        self.actor = actor
        self.data = data
        self.effect = effect
    }

    public var type: EventType { data.type }

    /// A short human description of what the event did, e.g. `writer w-1, fee 20000 cents`.
    /// Free-form: only `(position, at, actor, type)` are part of the contract.
    public var details: String {
        switch data {
        case .orderPlaced(_, let client, let title, let priceCents):
            return "client \(client), title \"\(title)\", price \(priceCents) cents"
        case .orderAccepted(_, let manager):
            return "manager \(manager)"
        case .jobAssigned(_, let writer, let feeCents):
            return "writer \(writer), fee \(feeCents) cents"
        case .orderSubmitted(_, let submissions):
            return "submissions \(submissions)"
        case .orderApproved:
            if case .approval(let writer, let feeCents, let submissions) = effect {
                return "fee \(feeCents) cents to pending of \(writer), \(submissions) submissions"
            }
            return "approved"
        case .orderRejected(_, let reason):
            return "reason \"\(reason)\""
        case .orderCompleted:
            if case .completion(let writer, let feeCents) = effect {
                return "fee \(feeCents) cents from pending to available of \(writer)"
            }
            return "completed"
        case .orderCancelled(_, let reason):
            return "reason \"\(reason)\""
        default:
            return ""
        }
    }
}

extension TenantReadModels {
    mutating func foldOrder(_ recorded: RecordedEvent) {
        let event = recorded.event
        let order: Name
        let status: OrderStatus
        switch event.data {
        case .orderPlaced(let placed, _, _, _): (order, status) = (placed, .placed)
        case .orderAccepted(let accepted, _): (order, status) = (accepted, .accepted)
        case .jobAssigned(let assigned, _, _): (order, status) = (assigned, .assigned)
        case .orderSubmitted(let submitted, _): (order, status) = (submitted, .submitted)
        case .orderApproved(let approved): (order, status) = (approved, .approved)
        case .orderRejected(let rejected, _): (order, status) = (rejected, .rejected)
        case .orderCompleted(let completed): (order, status) = (completed, .completed)
        case .orderCancelled(let cancelled, _): (order, status) = (cancelled, .cancelled)
        default: return
        }
        let keepsHistories = keepsHistories
        withUnsafeMutablePointer(to: &orderHistories) { histories in
            orderTable[order, default: OrderRecord(view: OrderView(order: order, status: status))]
                .fold(recorded, status: status, histories: keepsHistories ? histories : nil)
        }
    }

    /// Every order, sorted by order id.
    public func orders() -> [OrderView] {
        orderTable.values.sorted { $0.view.order < $1.view.order }.map { $0.view(histories: orderHistories) }
    }

    /// The order `order`, or nil when none of its events was folded.
    public func order(_ order: Name) -> OrderView? {
        orderTable[order]?.view(histories: orderHistories)
    }
}

/// An order as the read models hold it: its fields, and where its history is in the tenant's
/// `OrderHistories` (the view's own `history` stays empty until a query asks for the order).
struct OrderRecord: Sendable {
    var view: OrderView
    /// The indices of the order's first and latest history entries, -1 before the first.
    var historyFirst = -1
    var historyLast = -1
    var historyCount = 0

    init(view: OrderView) {
        self.view = view
    }

    mutating func fold(_ recorded: RecordedEvent, status: OrderStatus, histories: UnsafeMutablePointer<OrderHistories>?) {
        view.status = status
        view.setFields(from: recorded.event.data)
        guard let histories else { return }
        let index = histories.pointee.append(
            OrderHistoryEntry(
                position: recorded.position, at: recorded.event.at, actor: recorded.event.actor,
                data: recorded.event.data, effect: recorded.effect),
            after: historyLast)
        if historyFirst < 0 { historyFirst = index }
        historyLast = index
        historyCount += 1
    }

    /// The order with its history gathered.
    func view(histories: OrderHistories) -> OrderView {
        var view = view
        view.history = histories.entries(from: historyFirst, count: historyCount)
        return view
    }
}

/// Every history entry of one tenant's orders, in folding order, in chunks of a fixed size,
/// each entry linked to its order's next one. One order's history used to be an array of its
/// own: one allocation per order (and more for long ones) while replaying, the most of what a
/// replay of all read models allocated (137 k of 199 k mallocs per 1M events). Chunks keep a
/// copy-on-write copy after a query to one chunk, not the whole store.
struct OrderHistories: Sendable {
    static let chunkShift = 12
    static let chunkSize = 1 << chunkShift

    private struct Link: Sendable {
        var entry: OrderHistoryEntry
        /// The index of the same order's next entry, -1 for its latest.
        var next: Int
    }

    private var chunks: [ContiguousArray<Link>] = []
    private(set) var count = 0

    /// Appends `entry` after the entry at `previous` (-1: the order's first) and returns its index.
    mutating func append(_ entry: OrderHistoryEntry, after previous: Int) -> Int {
        let index = count
        if index & (Self.chunkSize - 1) == 0 {
            var chunk = ContiguousArray<Link>()
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[index >> Self.chunkShift].append(Link(entry: entry, next: -1))
        if previous >= 0 {
            chunks[previous >> Self.chunkShift][previous & (Self.chunkSize - 1)].next = index
        }
        count += 1
        return index
    }

    /// The `count` entries of the chain starting at `first`, in order.
    func entries(from first: Int, count: Int) -> [OrderHistoryEntry] {
        var entries: [OrderHistoryEntry] = []
        entries.reserveCapacity(count)
        var index = first
        while index >= 0, entries.count < count {
            let link = chunks[index >> Self.chunkShift][index & (Self.chunkSize - 1)]
            entries.append(link.entry)
            index = link.next
        }
        return entries
    }
}

/// The fields of an order that its events set. One rule for every holder of order rows
/// (the in-memory read model and the SQLite projection): `setFields(from:)`.
public protocol OrderFields {
    var client: Name? { get set }
    var manager: Name? { get set }
    var writer: Name? { get set }
    var feeCents: Int64? { get set }
    var priceCents: Int64? { get set }
    var submissions: Int64? { get set }
    var title: String? { get set }
}

extension OrderFields {
    /// Sets the fields `data` carries. Approvals and completions carry the writer and fee in
    /// their effect, but an order's own fields are those of its folded events only.
    public mutating func setFields(from data: EventData) {
        switch data {
        case .orderPlaced(_, let client, let title, let priceCents):
            self.client = client
            self.title = title
            self.priceCents = priceCents
        case .orderAccepted(_, let manager):
            self.manager = manager
        case .jobAssigned(_, let writer, let feeCents):
            self.writer = writer
            self.feeCents = feeCents
        case .orderSubmitted(_, let submissions):
            self.submissions = submissions
        default:
            break
        }
    }
}

extension OrderView: OrderFields {}
