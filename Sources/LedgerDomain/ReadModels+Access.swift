/// The access read models (EVENTS.md section 3 "Access" and "Tenant subscription"):
/// invitations, registered users and the tenant's subscription.

/// One invitation of a tenant. Fields that only unfolded events set are nil.
public struct InvitationView: Sendable, Hashable {
    public var invitation: Name
    /// `expired` when pending and `expiresAt` is at or before the as-of time of the query.
    public var status: InvitationStatus
    public var email: Name?
    public var role: Role?
    public var expiresAt: Timestamp?
    /// The user registered by the folded acceptance.
    public var user: Name?

    public init(
        invitation: Name, status: InvitationStatus, email: Name? = nil, role: Role? = nil, expiresAt: Timestamp? = nil,
        user: Name? = nil
    ) {
        self.invitation = invitation
        self.status = status
        self.email = email
        self.role = role
        self.expiresAt = expiresAt
        self.user = user
    }
}

/// A user registered by `invitation.accepted`, with the role fixed at acceptance.
public struct UserView: Sendable, Hashable {
    public var user: Name
    public var role: Role

    public init(user: Name, role: Role) {
        self.user = user
        self.role = role
    }
}

/// The tenant's subscription: the plan and MRR of the latest folded change.
public struct SubscriptionView: Sendable, Hashable {
    public var plan: Name
    public var mrrCents: Int64
    /// `cancelled` after a `cancelled` change, else `active`.
    public var status: SubscriptionStatus
    /// Every folded change, in log order.
    public var history: [SubscriptionHistoryEntry]

    public init(plan: Name, mrrCents: Int64, status: SubscriptionStatus, history: [SubscriptionHistoryEntry]) {
        self.plan = plan
        self.mrrCents = mrrCents
        self.status = status
        self.history = history
    }
}

/// One `subscription.changed` event.
public struct SubscriptionHistoryEntry: Sendable, Hashable {
    public var position: UInt64
    public var at: Timestamp
    public var actor: Name
    public var change: SubscriptionChange
    public var plan: Name
    public var mrrCents: Int64

    public init(position: UInt64, at: Timestamp, actor: Name, change: SubscriptionChange, plan: Name, mrrCents: Int64) {
        self.position = position
        self.at = at
        self.actor = actor
        self.change = change
        self.plan = plan
        self.mrrCents = mrrCents
    }
}

/// An invitation as folded: its stored status never says `expired`, that is decided per query.
struct InvitationRecord: Sendable {
    var status: InvitationStatus
    var email: Name? = nil
    var role: Role? = nil
    var expiresAt: Timestamp? = nil
    var user: Name? = nil
}

extension TenantReadModels {
    mutating func foldAccess(_ recorded: RecordedEvent) {
        let event = recorded.event
        switch event.data {
        case .invitationCreated(let invitation, let email, let role, let expiresAt):
            invitationTable[invitation] = InvitationRecord(status: .pending, email: email, role: role, expiresAt: expiresAt)
        case .invitationAccepted(let invitation, let user):
            // The invitation's own fields come from `invitation.created`; the role granted is
            // the acceptance's fixed effect, so a user appears with it even as of a time that
            // leaves the creation out.
            invitationTable[invitation, default: InvitationRecord(status: .accepted)].status = .accepted
            invitationTable[invitation, default: InvitationRecord(status: .accepted)].user = user
            if case .acceptance(let role) = recorded.effect {
                userTable[user] = role
            }
        case .invitationRevoked(let invitation):
            invitationTable[invitation, default: InvitationRecord(status: .revoked)].status = .revoked
        case .subscriptionChanged(let change, let plan, let mrrCents):
            let entry = SubscriptionHistoryEntry(
                position: recorded.position, at: event.at, actor: event.actor, change: change, plan: plan,
                mrrCents: mrrCents)
            let status: SubscriptionStatus = change == .cancelled ? .cancelled : .active
            if subscriptionRecord == nil {
                subscriptionRecord = SubscriptionView(plan: plan, mrrCents: mrrCents, status: status, history: [entry])
            } else {
                subscriptionRecord?.plan = plan
                subscriptionRecord?.mrrCents = mrrCents
                subscriptionRecord?.status = status
                subscriptionRecord?.history.append(entry)
            }
        default:
            break
        }
    }

    /// Every invitation, sorted by invitation id, with `expired` judged at `statusTime`.
    public func invitations() -> [InvitationView] {
        invitationTable.map { view(of: $0.key, record: $0.value) }.sorted { $0.invitation < $1.invitation }
    }

    /// The invitation `invitation`, or nil when none of its events was folded.
    public func invitation(_ invitation: Name) -> InvitationView? {
        invitationTable[invitation].map { view(of: invitation, record: $0) }
    }

    /// Every registered user, sorted by user id.
    public func users() -> [UserView] {
        userTable.map { UserView(user: $0.key, role: $0.value) }.sorted { $0.user < $1.user }
    }

    /// The tenant's subscription, or nil when no subscription change was folded.
    public var subscription: SubscriptionView? { subscriptionRecord }

    private func view(of invitation: Name, record: InvitationRecord) -> InvitationView {
        var status = record.status
        if status == .pending, let expiresAt = record.expiresAt, expiresAt <= statusTime {
            status = .expired
        }
        return InvitationView(
            invitation: invitation, status: status, email: record.email, role: record.role,
            expiresAt: record.expiresAt, user: record.user)
    }
}
