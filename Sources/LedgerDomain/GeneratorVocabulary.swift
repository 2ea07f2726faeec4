/// The words the generator puts in its lines: tenant names, order titles, reasons,
/// plans, audit actions.
///
/// Entries are the inner text of JSON strings, already escaped where JSON needs it, so
/// they go into a line as bytes without any work. A few of them are there to keep
/// decoders honest: a `\u00e9` escape, an escaped quote, raw UTF-8 outside ASCII, a
/// decomposed accent (`e` + U+0301) that Unicode normalisation would merge with `é`.
enum GeneratorVocabulary {
    static let tenantNames: [String] = [
        "acme-writing", "globex-media", "initech-docs", "umbrella-content", "hooli-studio",
        "stark-publishing", "wayne-writers", "wonka-content", "tyrell-translations", "cyberdyne-copy",
        "soylent-press", "massive-dynamic", "oscorp-editorial", "aperture-labs", "black-mesa-research",
        "vandelay-import", "pied-piper-docs", "dunder-mifflin", "prestige-worldwide", "bluth-company",
        "gringotts-reports", "nakatomi-trading", "monarch-studio", "wernham-hogg",
    ]

    /// Tenant `index` of a run: the names above, then the same names with `-2`, `-3`...
    /// Every one matches `[a-z0-9][a-z0-9-]{0,62}`.
    static func tenantName(_ index: Int) -> [UInt8] {
        let base = tenantNames[index % tenantNames.count]
        let round = index / tenantNames.count
        return Array((round == 0 ? base : "\(base)-\(round + 1)").utf8)
    }

    static let titlePrefixes: [[UInt8]] = bytes([
        "Essay on", "Report:", "Case study:", "Translation of", "Blog series about",
        "Literature review of", "Briefing notes on", "White paper on", "Summary of", "Newsletter about",
        "Press release on", "Grant proposal for", "Product copy for", "Research brief:",
    ])

    static let titleTopics: [[UInt8]] = bytes([
        "tax reform", "supply chains", "marine biology", "urban design", "open banking", "Roman law",
        "microfinance", "jazz history", "renewable energy", "remote work", "coral reefs",
        "medieval trade routes", "quantum computing", "food security", "public transport",
        #"Caf\u00e9 culture in Vienna"#, #"the \"gig economy\""#, "São Paulo housing",
        "Zürich private banking", "re\u{301}sume\u{301} writing", "naïve Bayes classifiers",
        "electric vehicles", "data privacy law", "sleep science", "craft beer markets",
    ])

    static let rejectionReasons: [[UInt8]] = bytes([
        "Needs more sources", "Wrong citation style", "Too short", "Off topic in part two",
        "Formatting does not follow the brief", "Plagiarism check flagged two paragraphs",
        "Client asked for a different tone", "",
    ])

    static let cancellationReasons: [[UInt8]] = bytes([
        "Client withdrew", "Scope changed", "Duplicate order", "Deadline cannot be met",
        "Budget cut", "No writer available",
    ])

    static let bonusReasons: [[UInt8]] = bytes([
        "Great month", "Weekend work", "Client praise", "Referral", "Rush delivery",
        "Top rated writer", #"Extra revisions, no charge"#,
    ])

    static let fineReasons: [[UInt8]] = bytes([
        "Late delivery", "Missed deadline", "Plagiarism check failed", "Formatting issues",
        "Ignored the style guide", "Unanswered client messages",
    ])

    /// Plans from cheapest to dearest, with their monthly price in cents.
    static let plans: [(name: StaticString, mrrCents: Int64)] = [
        ("starter", 2_900), ("team", 9_900), ("business", 29_900), ("enterprise", 99_900),
    ]

    /// What an `audit.recorded` can say: the action, the kind of its target and how its
    /// target id is made.
    struct AuditAction {
        var action: StaticString
        var targetType: StaticString
        var target: AuditTarget
    }

    enum AuditTarget {
        /// A manager, `u-mgr-<n>`.
        case user
        /// The tenant itself.
        case tenant
        /// `<prefix><n>`.
        case numbered(StaticString)
        /// `<prefix><n>` with `n` zero-padded to 6 digits, as order ids are.
        case padded(StaticString)
    }

    static let auditActions: [AuditAction] = [
        AuditAction(action: "login", targetType: "user", target: .user),
        AuditAction(action: "login", targetType: "user", target: .user),
        AuditAction(action: "logout", targetType: "user", target: .user),
        AuditAction(action: "password.reset", targetType: "user", target: .user),
        AuditAction(action: "role.change", targetType: "user", target: .user),
        AuditAction(action: "export", targetType: "report", target: .numbered("r-")),
        AuditAction(action: "payout.export", targetType: "report", target: .numbered("payouts-")),
        AuditAction(action: "settings.update", targetType: "tenant", target: .tenant),
        AuditAction(action: "api_key.create", targetType: "api_key", target: .numbered("k-")),
        AuditAction(action: "api_key.revoke", targetType: "api_key", target: .numbered("k-")),
        AuditAction(action: "order.view", targetType: "order", target: .padded("o-")),
        AuditAction(action: "invoice.download", targetType: "invoice", target: .numbered("w-")),
    ]

    /// `metadata` objects, as JSON text.
    static let auditMetadata: [[UInt8]] = bytes([
        #"{"ip":"10.0.3.17","ua":"web","mfa":true}"#,
        #"{"ip":"192.168.1.40","ua":"ios","mfa":false}"#,
        #"{"rows":120,"format":"csv"}"#,
        #"{"changes":[{"field":"timezone","from":"UTC","to":"Europe/Paris"}]}"#,
        #"{"reason":"Zugriff \u00fcber VPN","attempts":3}"#,
        #"{"from":"manager","to":"admin","approved_by":null}"#,
        #"{}"#,
    ])

    private static func bytes(_ texts: [String]) -> [[UInt8]] { texts.map { Array($0.utf8) } }
}
