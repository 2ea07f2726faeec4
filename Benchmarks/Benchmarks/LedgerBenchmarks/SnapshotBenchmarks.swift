import Benchmark
import Foundation
import Ledger
import LedgerDomain
import LedgerLog

/// Snapshots: writing one, opening from one, and as-of queries that start from one. They read
/// `Fixtures.snapshotLedger` (the 1M-event history with a snapshot every 100,000 events), beside
/// the same queries on `Fixtures.replayLedger` (no snapshots) in `LedgerBenchmarks.swift`.
func registerSnapshotBenchmarks() {
    let queryConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(15), maxIterations: 30)
    let snapshotEvery = UInt64(BenchmarkSizes.snapshotEveryEvents)
    // Half-way between two snapshots: the tail a query folds is half an interval.
    let position = UInt64(BenchmarkSizes.replayEvents / 2) + snapshotEvery / 2

    Benchmark("As-of balances from snapshots: position 550,000 of 1M", configuration: queryConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.snapshotLedger)
        benchmark.startMeasurement()
        let (balances, events) = try reader.balances(asOf: .position(position))
        benchmark.stopMeasurement()
        precondition(reader.lastFold.snapshotPosition > 0 && reader.lastFold.warnings.isEmpty, "the query must start from a snapshot: \(reader.lastFold)")
        precondition(events <= snapshotEvery, "only the tail after the snapshot is read")
        blackHole(balances.count)
    } setup: {
        _ = Fixtures.snapshotLedger
    }

    Benchmark("As-of balances from snapshots: business time mid-history of 1M", configuration: queryConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.snapshotLedger)
        let options = Fixtures.replayHistory.options
        let middle = Timestamp(microseconds: options.start.microseconds + Int64(options.days) * 86_400_000_000 / 2)
        benchmark.startMeasurement()
        let (balances, _) = try reader.balances(asOf: .time(middle))
        benchmark.stopMeasurement()
        precondition(reader.lastFold.snapshotPosition > 0 && reader.lastFold.warnings.isEmpty, "the query must start from a snapshot: \(reader.lastFold)")
        blackHole(balances.count)
    } setup: {
        _ = Fixtures.snapshotLedger
    }

    Benchmark("As-of read models (no histories) from snapshots: position 550,000 of 1M", configuration: queryConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.snapshotLedger)
        benchmark.startMeasurement()
        let models = try reader.readModels(asOf: .position(position), includeHistories: false)
        benchmark.stopMeasurement()
        precondition(reader.lastFold.snapshotPosition > 0 && reader.lastFold.warnings.isEmpty, "the query must start from a snapshot: \(reader.lastFold)")
        blackHole(models.tenants.count)
    } setup: {
        _ = Fixtures.snapshotLedger
    }

    Benchmark("As-of read models (no histories): position 550,000 of 1M, no snapshots", configuration: queryConfiguration) { benchmark in
        let reader = try LedgerReader(directory: Fixtures.replayLedger)
        benchmark.startMeasurement()
        let models = try reader.readModels(asOf: .position(position), includeHistories: false)
        benchmark.stopMeasurement()
        precondition(reader.lastFold.eventsRead == position, "without snapshots the fold reads every event through the position")
        blackHole(models.tenants.count)
    } setup: {
        _ = Fixtures.replayLedger
    }

    Benchmark(
        "Open writer: 1M-event ledger, from the newest snapshot (resident memory)",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, CustomMetrics.residentBytesPerEvent],
            warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(30), maxIterations: 10)
    ) { benchmark in
        let before = residentBytes()
        benchmark.startMeasurement()
        let writer = try LedgerWriter.open(directory: Fixtures.snapshotLedger)
        benchmark.stopMeasurement()
        let after = residentBytes()
        precondition(writer.snapshotPosition == UInt64(BenchmarkSizes.replayEvents) && writer.snapshotWarnings.isEmpty, "the open must use the newest snapshot")
        benchmark.measurement(CustomMetrics.residentBytesPerEvent, Int(max(after, before) - before) / BenchmarkSizes.replayEvents)
        writer.close()
    } setup: {
        _ = Fixtures.snapshotLedger
    }

    Benchmark(
        "Snapshot: write at 1M, read models folded from the previous snapshot (about 100,000 events before)",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal],
            warmupIterations: 0, scalingFactor: .one, maxDuration: .seconds(30), maxIterations: 5)
    ) { benchmark in
        let writer = try LedgerWriter.open(directory: Fixtures.snapshotLedger, options: LedgerOptions(
            snapshotEveryEvents: 0, snapshotRetention: SnapshotRetention(newestKept: 1_000)))
        defer { writer.close() }
        // Without the newest file, the write folds the last interval as an automatic one does.
        let newest = Fixtures.snapshotLedger + "/snapshots/snapshot-" + String(format: "%020d", BenchmarkSizes.replayEvents) + ".bin"
        try FileManager.default.removeItem(atPath: newest)
        benchmark.startMeasurement()
        let taken = try writer.snapshot()
        benchmark.stopMeasurement()
        // The previous one is the last interval's (at a batch end, so not exactly 100,000 before).
        precondition(taken.readModelsFrom < UInt64(BenchmarkSizes.replayEvents)
                     && taken.readModelsFrom + snapshotEvery + UInt64(LogOptions().batchRecordsMax) >= UInt64(BenchmarkSizes.replayEvents)
                     && taken.path == newest, "\(taken)")
        blackHole(taken.fileBytes)
    } setup: {
        _ = Fixtures.snapshotLedger
    }
}
