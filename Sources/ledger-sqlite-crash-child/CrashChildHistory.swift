import LedgerDomain

/// SplitMix64: a tiny deterministic generator, so that every run of the child with the same
/// seed builds the same history and the same batches.
struct CrashChildGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// A deterministic history for the crash tests: random events over a few tenants offered to the
/// decider, the accepted ones kept with their positions and fixed effects, as the log holds them.
enum CrashChildHistory {
    static let tenants: [Name] = ["acme", "globex", "initech", "umbrella"]
    /// Worker ids, two of them the same text in two Unicode forms and one with a NUL character:
    /// the tables must keep them apart and read them back byte for byte.
    static let workers: [Name] = ["w-1", "w-2", "w-3", "w-4", "w-5", "w-\u{E9}", "w-e\u{301}", "w-\u{0}nul"]
    static let ordersPerTenant = 120
    static let invitationsPerTenant = 40
    static let usersPerTenant = 30
    static let startMicroseconds: Int64 = 1_767_225_600_000_000  // 2026-01-01T00:00:00Z
    static let microsecondsPerHour: Int64 = 3_600_000_000

    /// The appended events of `offeredCount` offered ones, positions 1, 2, ...
    static func make(seed: UInt64, offeredCount: Int) -> [RecordedEvent] {
        var random = CrashChildGenerator(state: seed)
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
    /// the position only, so that the checkpoint can be checked after a crash.
    static func chainHash(seed: UInt64, position: UInt64) -> [UInt8] {
        var random = CrashChildGenerator(state: seed ^ (position &* 0x2545_F491_4F6C_DD1D))
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            withUnsafeBytes(of: random.next().littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    static func randomEvent(_ random: inout CrashChildGenerator, index: Int, offeredCount: Int) -> Event {
        let tenant = tenants[Int.random(in: 0..<tenants.count, using: &random)]
        let worker = workers[Int.random(in: 0..<workers.count, using: &random)]
        let order = Name("o-\(Int.random(in: 1...ordersPerTenant, using: &random))")
        let invitation = Name("inv-\(Int.random(in: 1...invitationsPerTenant, using: &random))")
        let user = Name("u-\(Int.random(in: 1...usersPerTenant, using: &random))")
        let cents = Int64.random(in: 0...3, using: &random) * 2500
        let positive = Int64.random(in: 1...40, using: &random) * 500
        // Business time runs over about five months, mostly forward, sometimes back, with
        // microsecond fractions so that canonical texts carry fractions of every length.
        let hours = Int64(index) * 3600 / Int64(max(offeredCount, 1)) - Int64.random(in: 0...72, using: &random)
        let fraction = [0, 500_000, 120_000, 1, 999_999][Int.random(in: 0..<5, using: &random)]
        let at = Timestamp(microseconds: startMicroseconds + hours * microsecondsPerHour + Int64(fraction))
        let data: EventData
        switch Int.random(in: 0..<21, using: &random) {
        case 0:
            let days = Int64.random(in: -2...10, using: &random)
            data = .invitationCreated(
                invitation: invitation, email: Name("\(user)@example.com"), role: Role.allCases.randomElement(using: &random)!,
                expiresAt: Timestamp(microseconds: at.microseconds + days * 24 * microsecondsPerHour))
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
            let month = Int32.random(in: 1...6, using: &random)
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
