import LedgerDomain

/// SplitMix64: a tiny deterministic generator, so that a failing seed can be replayed and every
/// run with the same seed builds the same history and the same batches.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Seeded random histories, as the log would hold them: random events over a small world offered
/// to the decider (most are refused), the accepted ones kept with their positions and fixed
/// effects. The world's size decides how often events meet: a small one gives long order and
/// invoice lives, a large one many entities.
public struct RandomHistory: Sendable {
    public var tenants: [Name]
    public var workers: [Name]
    public var ordersPerTenant: Int
    public var invitationsPerTenant: Int
    public var usersPerTenant: Int
    /// Business time moves forward this many hours over the whole history, and each event
    /// steps back up to `hoursBackMax` hours from there.
    public var spanHours: Int64
    public var hoursBackMax: Int64
    /// The microsecond fractions `at` is drawn with, so that canonical texts carry fractions
    /// of every length.
    public var fractions: [Int64]
    /// The months of 2026 invoices are issued for.
    public var invoiceMonths: ClosedRange<Int32>

    public static let startMicroseconds: Int64 = 1_767_225_600_000_000  // 2026-01-01T00:00:00Z
    static let microsecondsPerHour: Int64 = 3_600_000_000

    public init(
        tenants: [Name], workers: [Name], ordersPerTenant: Int, invitationsPerTenant: Int, usersPerTenant: Int,
        spanHours: Int64, hoursBackMax: Int64, fractions: [Int64], invoiceMonths: ClosedRange<Int32>
    ) {
        precondition(!tenants.isEmpty && !workers.isEmpty && !fractions.isEmpty, "an empty world")
        self.tenants = tenants
        self.workers = workers
        self.ordersPerTenant = ordersPerTenant
        self.invitationsPerTenant = invitationsPerTenant
        self.usersPerTenant = usersPerTenant
        self.spanHours = spanHours
        self.hoursBackMax = hoursBackMax
        self.fractions = fractions
        self.invoiceMonths = invoiceMonths
    }

    /// The appended events of `offeredCount` offered ones, positions 1, 2, ...
    public func make(seed: UInt64, offeredCount: Int) -> [RecordedEvent] {
        var random = SeededGenerator(state: seed)
        var state = DomainState()
        var recorded: [RecordedEvent] = []
        recorded.reserveCapacity(offeredCount)
        for index in 0..<offeredCount {
            let event = randomEvent(&random, index: index, offeredCount: offeredCount)
            guard case .success(let effect) = state.decide(event) else { continue }
            state.apply(event, effect: effect)
            recorded.append(RecordedEvent(position: UInt64(recorded.count + 1), event: event, effect: effect))
        }
        return recorded
    }

    /// A stand-in for the log's chain hash after `position`: 32 bytes that depend on the seed and
    /// the position only, so that a checkpoint can be checked after a crash.
    public static func chainHash(seed: UInt64, position: UInt64) -> [UInt8] {
        var random = SeededGenerator(state: seed ^ (position &* 0x2545_F491_4F6C_DD1D))
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            withUnsafeBytes(of: random.next().littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The event offered at `index` of `offeredCount`.
    public func randomEvent(_ random: inout SeededGenerator, index: Int, offeredCount: Int) -> Event {
        let tenant = tenants[Int.random(in: 0..<tenants.count, using: &random)]
        let worker = workers[Int.random(in: 0..<workers.count, using: &random)]
        let order = Name("o-\(Int.random(in: 1...ordersPerTenant, using: &random))")
        let invitation = Name("inv-\(Int.random(in: 1...invitationsPerTenant, using: &random))")
        let user = Name("u-\(Int.random(in: 1...usersPerTenant, using: &random))")
        let cents = Int64.random(in: 0...3, using: &random) * 2500
        let positive = Int64.random(in: 1...40, using: &random) * 500
        let hours = Int64(index) * spanHours / Int64(max(offeredCount, 1)) - Int64.random(in: 0...hoursBackMax, using: &random)
        let fraction = fractions[Int.random(in: 0..<fractions.count, using: &random)]
        let at = Timestamp(microseconds: Self.startMicroseconds + hours * Self.microsecondsPerHour + fraction)
        let data: EventData
        switch Int.random(in: 0..<21, using: &random) {
        case 0:
            let days = Int64.random(in: -2...10, using: &random)
            data = .invitationCreated(
                invitation: invitation, email: Name("\(user)@example.com"), role: Role.allCases.randomElement(using: &random)!,
                expiresAt: Timestamp(microseconds: at.microseconds + days * 24 * Self.microsecondsPerHour))
        case 1: data = .invitationAccepted(invitation: invitation, user: user)
        case 2: data = .invitationRevoked(invitation: invitation)
        case 3: data = .workerRateSet(worker: worker, fixedMonthlyCents: cents * 10)
        case 4, 5: data = .orderPlaced(order: order, client: "c-1", title: "Essay \"\(order)\"", priceCents: positive)
        case 6: data = .orderAccepted(order: order, manager: "m-1")
        case 7, 8: data = .jobAssigned(order: order, writer: worker, feeCents: cents)
        case 9, 10: data = .orderSubmitted(order: order, submissions: Int64.random(in: 1...4, using: &random))
        case 11, 12: data = .orderApproved(order: order)
        case 13: data = .orderRejected(order: order, reason: "redo")
        case 14: data = .orderCompleted(order: order)
        case 15: data = .orderCancelled(order: order, reason: "")
        case 16: data = .bonusAdded(worker: worker, amountCents: positive, reason: "good")
        case 17: data = .fineIssued(worker: worker, amountCents: positive, reason: "late")
        case 18: data = .payoutPaid(worker: worker, amountCents: positive, reference: "p")
        case 19:
            let month = Int32.random(in: invoiceMonths, using: &random)
            data = .invoiceIssued(worker: worker, period: Period(year: 2026, month: month))
        default:
            if Bool.random(using: &random) {
                data = .subscriptionChanged(
                    change: SubscriptionChange.allCases.randomElement(using: &random)!, plan: "pro", mrrCents: cents)
            } else {
                data = .auditRecorded(
                    action: "user.deleted", targetType: "user", targetID: user, risk: Risk.allCases.randomElement(using: &random)!,
                    metadata: nil)
            }
        }
        return Event(tenant: tenant, id: Name("e-\(index)"), at: at, actor: "u-admin", data: data)
    }
}
