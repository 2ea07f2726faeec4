/// The lifecycle statuses of EVENTS.md section 3, shared by the decider and the read models.

/// The state of an order (job): `placed` -> `accepted` -> `assigned` -> `submitted` ->
/// `approved` -> `completed`; `rejected` goes back to assignable or submittable; `cancelled` ends it.
public enum OrderStatus: UInt8, Sendable, CaseIterable {
    case placed = 1, accepted, assigned, submitted, approved, rejected, completed, cancelled

    /// The name the read models print, e.g. `"assigned"`.
    public var name: String {
        switch self {
        case .placed: "placed"
        case .accepted: "accepted"
        case .assigned: "assigned"
        case .submitted: "submitted"
        case .approved: "approved"
        case .rejected: "rejected"
        case .completed: "completed"
        case .cancelled: "cancelled"
        }
    }
}

/// The status of an invitation. `expired` is a reporting status only: the decider never
/// stores it (a pending invitation past its `expires_at` can still be revoked).
public enum InvitationStatus: UInt8, Sendable, CaseIterable {
    case pending = 1, accepted, revoked, expired

    /// The name the read models print, e.g. `"pending"`.
    public var name: String {
        switch self {
        case .pending: "pending"
        case .accepted: "accepted"
        case .revoked: "revoked"
        case .expired: "expired"
        }
    }
}

/// The status of a tenant's subscription: `cancelled` after a `cancelled` change, else `active`.
public enum SubscriptionStatus: UInt8, Sendable, CaseIterable {
    case active = 1, cancelled

    /// The name the read models print, e.g. `"active"`.
    public var name: String {
        switch self {
        case .active: "active"
        case .cancelled: "cancelled"
        }
    }
}
