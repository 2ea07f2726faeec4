import Foundation
import Ledger
import LedgerDomain
import LedgerLog

/// Sizes of the generated histories. Replay and import use a million events, so that
/// `scalingFactor: .mega` makes package-benchmark's throughput read as events/s and its
/// malloc counts as mallocs per event; fsync-bound benchmarks use a thousand per iteration.
enum BenchmarkSizes {
    /// Events of the history that is imported, replayed, verified and put in SQLite.
    static let replayEvents = 1_000_000
    /// Events each iteration of an fsync-bound benchmark appends (`scalingFactor: .kilo`).
    static let appendEventsPerIteration = 1_000
    /// Events of the history the concurrent single-event appenders draw from. Each
    /// appender owns whole tenants, so the smallest tenant's share must last every iteration.
    static let appenderHistoryEvents = 200_000
    /// Tenants of the appenders' history: one per appender at most concurrency.
    static let appenderTenants = 64
    /// Tenants of the replay history (the generator's default).
    static let replayTenants = 10
    /// Snapshot interval of the as-of fixture ledger (10 snapshots over the 1M events).
    static let snapshotEveryEvents = 100_000
    /// Seed of every generated history: the same bytes in every run.
    static let seed: UInt64 = 20_260_101
}

/// Where benchmarks keep their ledgers: on the real disk (fsync must mean something),
/// `LEDGER_BENCH_DIR` or the system temporary directory, removed at the end of the process.
enum BenchmarkDirectories {
    static let root: String = {
        let base = ProcessInfo.processInfo.environment["LEDGER_BENCH_DIR"] ?? NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("ledger-bench-\(getpid())")
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: BenchmarkDirectories.root) }
        return path
    }()

    private static let counter = Mutex(0)

    /// A new, not yet existing path under `root`.
    static func fresh(_ name: String) -> String {
        let number = counter.withLock { value -> Int in
            value += 1
            return value
        }
        return (root as NSString).appendingPathComponent("\(name)-\(number)")
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A tiny lock around a value (Synchronization's Mutex is not on every deployment target).
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A generated history as JSON Lines, generated once per process.
struct GeneratedHistory: @unchecked Sendable {
    let options: GeneratorOptions
    /// The whole history, one JSON line per event, each ending in `\n`.
    let bytes: [UInt8]
    /// Byte range of each line (without its `\n`).
    let lineRanges: [Range<Int>]

    init(events: Int, tenants: Int) {
        options = GeneratorOptions(events: events, tenants: tenants, seed: BenchmarkSizes.seed)
        var generator = HistoryGenerator(options: options)
        var output: [UInt8] = []
        output.reserveCapacity(events * 200)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(events)
        var start = 0
        while generator.next(into: &output) {
            ranges.append(start..<(output.count - 1))
            start = output.count
        }
        bytes = output
        lineRanges = ranges
    }

    /// Every line parsed into a typed event (the generator writes only appendable lines).
    func parsedEvents() -> [Event] {
        bytes.withUnsafeBytes { all in
            lineRanges.map { range in
                switch EventLineParser.parse(UnsafeRawBufferPointer(rebasing: all[range])) {
                case .success(let event): return event
                case .failure(let refusal): preconditionFailure("generated line refused: \(refusal)")
                }
            }
        }
    }

    /// The line at `index` as a Swift string (for the SQLite baseline's JSON column).
    func lineString(_ index: Int) -> String {
        String(decoding: bytes[lineRanges[index]], as: UTF8.self)
    }
}

/// Lazily built shared fixtures: each is made once per benchmark process, outside any
/// measured part, and only by the benchmarks that need it.
enum Fixtures {
    /// The one-million-event history of 10 tenants.
    static let replayHistory = GeneratedHistory(events: BenchmarkSizes.replayEvents, tenants: BenchmarkSizes.replayTenants)

    /// `replayHistory` parsed into typed events.
    static let replayEvents: [Event] = replayHistory.parsedEvents()

    /// A ledger directory holding `replayHistory`, made with the same durable import
    /// that the import benchmark measures. package-benchmark runs each benchmark in a
    /// process of its own, so when `LEDGER_BENCH_FIXTURES` names a folder (run.sh empties
    /// it at the start of every run) the ledger is made once per run and shared.
    /// No snapshots: opening and replaying it fold the whole log.
    static let replayLedger: String = cachedFixture("replay-ledger-\(BenchmarkSizes.replayEvents)") { directory in
        let writer = try! LedgerWriter.open(directory: directory, create: true, options: LedgerOptions(snapshotEveryEvents: 0))
        let summary = try! replayHistory.bytes.withUnsafeBytes { try writer.importLines($0) }
        precondition(summary.appended == BenchmarkSizes.replayEvents, "the fixture ledger must hold every generated event")
        writer.close()
    }

    /// `replayHistory` imported with a snapshot every `BenchmarkSizes.snapshotEveryEvents`
    /// events, all kept: the ledger the snapshot and as-of benchmarks read.
    static let snapshotLedger: String = cachedFixture("snapshot-ledger-\(BenchmarkSizes.replayEvents)") { directory in
        let options = LedgerOptions(
            snapshotEveryEvents: UInt64(BenchmarkSizes.snapshotEveryEvents),
            snapshotRetention: SnapshotRetention(newestKept: 1_000))
        let writer = try! LedgerWriter.open(directory: directory, create: true, options: options)
        let summary = try! replayHistory.bytes.withUnsafeBytes { try writer.importLines($0) }
        precondition(summary.appended == BenchmarkSizes.replayEvents, "the fixture ledger must hold every generated event")
        writer.close()
    }

    /// Returns `name` under `LEDGER_BENCH_FIXTURES` (made by `make` the first time) or a
    /// fresh per-process path. `make` builds into a temporary path, renamed when complete.
    static func cachedFixture(_ name: String, make: (String) -> Void) -> String {
        guard let folder = ProcessInfo.processInfo.environment["LEDGER_BENCH_FIXTURES"] else {
            let path = BenchmarkDirectories.fresh(name)
            make(path)
            return path
        }
        let path = (folder as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: path) { return path }
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let building = path + ".building-\(getpid())"
        try? FileManager.default.removeItem(atPath: building)
        make(building)
        try! FileManager.default.moveItem(atPath: building, toPath: path)
        return path
    }

    /// The appenders' history (64 tenants), parsed.
    static let appenderEvents: [Event] =
        GeneratedHistory(events: BenchmarkSizes.appenderHistoryEvents, tenants: BenchmarkSizes.appenderTenants).parsedEvents()

    /// Size in bytes of every file under `path`.
    static func bytesOnDisk(_ path: String) -> UInt64 {
        var total: UInt64 = 0
        if let files = FileManager.default.enumerator(atPath: path) {
            for case let file as String in files {
                let attributes = try? FileManager.default.attributesOfItem(atPath: (path as NSString).appendingPathComponent(file))
                if (attributes?[.type] as? FileAttributeType) == .typeRegular {
                    total += (attributes?[.size] as? UInt64) ?? 0
                }
            }
        }
        return total
    }
}

/// Nanoseconds of the monotonic clock.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}

/// The value at fraction `quantile` of sorted `values` (nearest rank).
func percentile(_ sorted: [UInt64], _ quantile: Double) -> UInt64 {
    precondition(!sorted.isEmpty, "percentile of nothing")
    let rank = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
