import LedgerDomain
import LedgerTestSupport

/// The deterministic history of the crash tests and of `measure`: four tenants, worker ids two
/// of which are the same text in two Unicode forms and one with a NUL character (the tables
/// must keep them apart and read them back byte for byte), business time over about five months.
enum CrashChildHistory {
    static let world = RandomHistory(
        tenants: ["acme", "globex", "initech", "umbrella"],
        workers: ["w-1", "w-2", "w-3", "w-4", "w-5", "w-\u{E9}", "w-e\u{301}", "w-\u{0}nul"],
        ordersPerTenant: 120, invitationsPerTenant: 40, usersPerTenant: 30,
        spanHours: 3600, hoursBackMax: 72, fractions: [0, 500_000, 120_000, 1, 999_999], invoiceMonths: 1...6)
}
