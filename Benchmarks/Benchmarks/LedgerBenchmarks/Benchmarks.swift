import Benchmark
import Foundation
import Ledger
import LedgerDomain

/// The suite (see docs/PERFORMANCE.md for the figures and how to read them). Each
/// benchmark measures real work on generated histories; the histories and the ledgers
/// built from them are made outside the measured part, once per process (or once per run
/// when `LEDGER_BENCH_FIXTURES` is set, as `run.sh` does).
let benchmarks: @Sendable () -> Void = {
    registerLedgerBenchmarks()
    registerSnapshotBenchmarks()
    registerGroupCommitBenchmarks()
    registerSQLiteBaselines()
    registerZstdBaseline()
}

/// The ledger's own balances of the replay history, computed once, to check baselines.
enum LedgerReaderCache {
    private static let fold: BalanceFold = {
        let reader = try! LedgerReader(directory: Fixtures.replayLedger)
        reader.usesSnapshots = false
        return try! reader.balances().balances
    }()

    static func balances() throws -> BalanceFold { fold }
}
