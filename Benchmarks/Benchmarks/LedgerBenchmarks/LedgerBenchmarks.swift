import Benchmark
import Foundation
import Ledger
import LedgerDomain
import LedgerLog

/// Custom metrics (package-benchmark has no unit for them; the name carries it).
enum CustomMetrics {
    static let bytesPerEventHundredths = BenchmarkMetric.custom("disk bytes per event x100", polarity: .prefersSmaller, useScalingFactor: false)
    static let megabytesPerSecond = BenchmarkMetric.custom("MB per s", polarity: .prefersLarger, useScalingFactor: false)
    static let latencyP50 = BenchmarkMetric.custom("p50 latency (us)", polarity: .prefersSmaller, useScalingFactor: false)
    static let latencyP99 = BenchmarkMetric.custom("p99 latency (us)", polarity: .prefersSmaller, useScalingFactor: false)
    static let residentBytesPerEvent = BenchmarkMetric.custom("resident bytes per event", polarity: .prefersSmaller, useScalingFactor: false)
    static let syncs = BenchmarkMetric.custom("events per batch (commit group)", polarity: .prefersLarger, useScalingFactor: false)
    static let flushBusy = BenchmarkMetric.custom("disk busy flushing (% of wall clock)", polarity: .prefersLarger, useScalingFactor: false)
    static let syncBusy = BenchmarkMetric.custom("in fdatasync (% of wall clock)", polarity: .prefersLarger, useScalingFactor: false)
}

/// Replay, import, append and verify of the ledger itself.
func registerLedgerBenchmarks() {
    let replayConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(20),
        maxIterations: 10
    )

    // The balances fast path over the whole replay ledger, reading ahead on a second thread
    // (the default) or on the calling thread only (the figure of the "10 M events/s on one
    // core" target).
    for readingAhead in [false, true] {
        let name = readingAhead
            ? "Replay: worker balances (fast path, reading ahead on a second thread), 1M events"
            : "Replay: worker balances (fast path, one thread), 1M events"
        Benchmark(name, configuration: replayConfiguration) { benchmark in
            let reader = try LedgerReader(directory: Fixtures.replayLedger)
            reader.usesSnapshots = false
            if !readingAhead { reader.twoThreadFoldMinimumEvents = .max }
            benchmark.startMeasurement()
            let (balances, events) = try reader.balances()
            benchmark.stopMeasurement()
            precondition(events == UInt64(BenchmarkSizes.replayEvents), "replay must read every event")
            blackHole(balances.count)
        } setup: {
            _ = Fixtures.replayLedger
        }
    }

    // The default: reading, decoding, the audit trail and the journal on this thread; orders,
    // invoices, balances and access on a second one.
    Benchmark("Replay: all read models (two threads), 1M events", configuration: replayConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.replayLedger)
        reader.usesSnapshots = false
        benchmark.startMeasurement()
        let models = try reader.readModels()
        benchmark.stopMeasurement()
        precondition(models.lastPosition == UInt64(BenchmarkSizes.replayEvents), "replay must fold every event")
        blackHole(models.tenants.count)
    } setup: {
        _ = Fixtures.replayLedger
    }

    // The same fold on the calling thread only: the baseline of the two-thread fold.
    Benchmark("Replay: all read models (one thread), 1M events", configuration: replayConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.replayLedger)
        reader.usesSnapshots = false
        reader.twoThreadFoldMinimumEvents = .max
        benchmark.startMeasurement()
        let models = try reader.readModels()
        benchmark.stopMeasurement()
        precondition(models.lastPosition == UInt64(BenchmarkSizes.replayEvents), "replay must fold every event")
        blackHole(models.tenants.count)
    } setup: {
        _ = Fixtures.replayLedger
    }

    Benchmark(
        "Verify: checksums and hash chain, 1M events",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, CustomMetrics.megabytesPerSecond],
            warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(20), maxIterations: 10)
    ) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.replayLedger)
        let started = monotonicNanoseconds()
        benchmark.startMeasurement()
        let report = reader.verify()
        benchmark.stopMeasurement()
        let elapsed = monotonicNanoseconds() - started
        precondition(report.isValid && report.head.position == UInt64(BenchmarkSizes.replayEvents), "verify must pass: \(report)")
        let megabytes = Double(report.statistics.bytesOnDisk) / 1e6
        benchmark.measurement(CustomMetrics.megabytesPerSecond, Int(megabytes / (Double(elapsed) / 1e9)))
    } setup: {
        _ = Fixtures.replayLedger
    }

    let asOfConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(15), maxIterations: 10)

    Benchmark("As-of balances: position 500,000 of 1M, no snapshots", configuration: asOfConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.replayLedger)
        benchmark.startMeasurement()
        let (balances, events) = try reader.balances(asOf: .position(UInt64(BenchmarkSizes.replayEvents / 2)))
        benchmark.stopMeasurement()
        precondition(events == UInt64(BenchmarkSizes.replayEvents / 2), "as of a position, replay stops there")
        blackHole(balances.count)
    } setup: {
        _ = Fixtures.replayLedger
    }

    Benchmark("As-of balances: business time mid-history of 1M, no snapshots", configuration: asOfConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.replayLedger)
        let options = Fixtures.replayHistory.options
        let middle = Timestamp(microseconds: options.start.microseconds + Int64(options.days) * 86_400_000_000 / 2)
        benchmark.startMeasurement()
        let (balances, _) = try reader.balances(asOf: .time(middle))
        benchmark.stopMeasurement()
        blackHole(balances.count)
    } setup: {
        _ = Fixtures.replayLedger
    }

    Benchmark(
        "Import JSON Lines: durable, every rule checked, 1M events",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, CustomMetrics.bytesPerEventHundredths],
            warmupIterations: 0, scalingFactor: .mega, maxDuration: .seconds(60), maxIterations: 3)
    ) { benchmark in
        let history = Fixtures.replayHistory
        let directory = BenchmarkDirectories.fresh("import")
        defer { BenchmarkDirectories.remove(directory) }
        benchmark.startMeasurement()
        // No automatic snapshot: this is the import alone (a snapshot's cost is its own benchmark).
        let writer = try LedgerWriter.open(directory: directory, create: true, options: LedgerOptions(snapshotEveryEvents: 0))
        let summary = try history.bytes.withUnsafeBytes { try writer.importLines($0) }
        writer.close()
        benchmark.stopMeasurement()
        precondition(summary.appended == BenchmarkSizes.replayEvents && summary.refusedCount == 0, "import must append every line")
        let statistics = try LedgerReader(directory: directory).statistics()
        benchmark.measurement(
            CustomMetrics.bytesPerEventHundredths,
            Int(statistics.bytesOnDisk * 100 / max(statistics.recordCount, 1)))
    } setup: {
        _ = Fixtures.replayHistory
    }

    Benchmark(
        "Open writer: 1M-event ledger, full replay (resident memory)",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, CustomMetrics.residentBytesPerEvent],
            warmupIterations: 0, scalingFactor: .one, maxDuration: .seconds(30), maxIterations: 3)
    ) { benchmark in
        let before = residentBytes()
        benchmark.startMeasurement()
        let writer = try LedgerWriter.open(directory: Fixtures.replayLedger)
        benchmark.stopMeasurement()
        let after = residentBytes()
        benchmark.measurement(
            CustomMetrics.residentBytesPerEvent,
            Int(max(after, before) - before) / BenchmarkSizes.replayEvents)
        writer.close()
    } setup: {
        _ = Fixtures.replayLedger
    }

    // The read models as SQLite tables (docs/SQLITE.md), built from the whole 1M-event log
    // as `ledger project --rebuild` builds them: a bulk load (secondary indexes built after
    // the rows). The ledger is a directory of its own whose log is the replay ledger's.
    Benchmark(
        "SQLite materialisation: the read models' tables from the 1M-event log (rebuild)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            warmupIterations: 0, scalingFactor: .mega, maxDuration: .seconds(90), maxIterations: 3)
    ) { benchmark in
        let directory = BenchmarkDirectories.fresh("materialise")
        defer { BenchmarkDirectories.remove(directory) }
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try manager.copyItem(atPath: Fixtures.replayLedger + "/LEDGER", toPath: directory + "/LEDGER")
        try manager.createSymbolicLink(atPath: directory + "/log", withDestinationPath: Fixtures.replayLedger + "/log")
        let reader = try LedgerReader(directory: directory)
        benchmark.startMeasurement()
        let report = try reader.materialize(rebuild: true)
        benchmark.stopMeasurement()
        precondition(report.eventsApplied == BenchmarkSizes.replayEvents, "the projection must apply every event")
    } setup: {
        _ = Fixtures.replayLedger
    }

    Benchmark(
        "Append batches of 1000 events (durable, one sync each)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            warmupIterations: 2, scalingFactor: .kilo, maxDuration: .seconds(15), maxIterations: 200)
    ) { benchmark in
        let state = BatchAppendState.shared
        let start = state.next
        let end = start + BenchmarkSizes.appendEventsPerIteration
        precondition(end <= Fixtures.replayEvents.count, "batched append ran out of events")
        let batch = Array(Fixtures.replayEvents[start..<end])
        benchmark.startMeasurement()
        let outcomes = try state.writer.append(contentsOf: batch)
        benchmark.stopMeasurement()
        state.next = end
        for outcome in outcomes {
            guard case .appended = outcome else { preconditionFailure("batched append refused an event: \(outcome)") }
        }
    } setup: {
        _ = BatchAppendState.shared
    }
}

/// The ledger the batched-append benchmark grows, one batch per iteration.
final class BatchAppendState: @unchecked Sendable {
    static let shared = BatchAppendState()
    let writer: LedgerWriter
    var next = 0
    private init() {
        _ = Fixtures.replayEvents
        writer = try! LedgerWriter.open(directory: BenchmarkDirectories.fresh("batched"), create: true)
    }
}

/// Resident set size of this process, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
