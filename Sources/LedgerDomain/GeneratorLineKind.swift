import LedgerEngine

extension HistoryGenerator {
    /// What the line just produced is: a valid event, or which kind of bad line.
    ///
    /// Bad lines are replacements drawn at `GeneratorOptions.invalidRate`; each kind says
    /// which outcome EVENTS.md gives it when the file is appended in order.
    public enum LineKind: UInt8, CaseIterable, Sendable {
        /// An event the rules accept.
        case valid

        /// Truncated JSON, a trailing comma, an unquoted key, or no JSON at all.
        case malformedJSON
        /// A required top-level or `data` field left out.
        case missingField
        /// A float, an exponent, a negative, a string, more than 10^12, or 0 where > 0 is required.
        case badAmount
        /// Seven fraction digits, a `+00:00` offset, February 30, hour 24, no `Z`...
        case badTimestamp
        /// A type that EVENTS.md does not define.
        case unknownType
        /// Any other invalid field: a bad tenant id, an empty or too long id, an empty
        /// identifier, a value outside its enumeration, a bad period, a key given twice,
        /// `data` or `metadata` that is not an object.
        case badField

        /// An earlier appended line again, identical as JSON values (keys maybe reordered,
        /// white space added, `at` written with other fraction digits).
        case duplicate
        /// An earlier appended line's tenant and id with different content.
        case conflict

        /// A payout larger than the worker's available balance.
        case payoutAboveAvailable
        /// An approval of an order that is not submitted (or unknown).
        case approvalOfUnsubmittedOrder
        /// A second `invoice.issued` for the same worker and period.
        case invoiceIssuedTwice
        /// An invoice for the month of its own `at`, or a later one.
        case invoiceForOpenPeriod
        /// An acceptance of a revoked (or already accepted, or unknown) invitation.
        case acceptanceOfRevokedInvitation
        /// A bonus or fine dated in a month whose invoice is issued.
        case adjustmentInIssuedPeriod
        /// A second subscription `created`, or a change before `created`.
        case subscriptionOutOfOrder

        /// The outcome the ledger must give this line.
        public var expectedOutcome: ExpectedOutcome {
            switch self {
            case .valid:
                .appended
            case .malformedJSON, .missingField, .badAmount, .badTimestamp, .unknownType, .badField:
                .refused(.invalid)
            case .duplicate:
                .duplicate
            case .conflict:
                .refused(.conflict)
            case .payoutAboveAvailable, .approvalOfUnsubmittedOrder, .invoiceIssuedTwice, .invoiceForOpenPeriod,
                .acceptanceOfRevokedInvitation, .adjustmentInIssuedPeriod, .subscriptionOutOfOrder:
                .refused(.rule)
            }
        }
    }

    /// The outcome a generated line must get (EVENTS.md section 2), without positions.
    public enum ExpectedOutcome: Hashable, Sendable {
        case appended
        case duplicate
        case refused(RefusalCode)
    }
}
