/// Outcomes of offering an event to a ledger (EVENTS.md section 2). Refusals are
/// returned values, never thrown errors.

/// Why an event was refused.
public enum RefusalCode: String, Sendable, CaseIterable {
    /// Malformed JSON, a missing or mistyped field, an unknown type, a bad amount or timestamp.
    case invalid
    /// The same `tenant` + `id` as an event in the log, with different content.
    case conflict
    /// The event breaks a business rule given the state built from the log before it.
    case rule
}

/// A refusal: a code and a human message that names the rule, field or entity.
public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: RefusalCode
    public var message: String
    public init(_ code: RefusalCode, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code.rawValue): \(message)" }
}

/// The one outcome every offered event gets.
public enum AppendOutcome: Hashable, Sendable {
    /// Written at this position.
    case appended(position: UInt64)
    /// Already in the log with identical content at this position; nothing written.
    case duplicate(position: UInt64)
    /// Not written.
    case refused(Refusal)
}
