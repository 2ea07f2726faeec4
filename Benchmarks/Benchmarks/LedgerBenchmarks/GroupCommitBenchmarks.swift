import Benchmark
import Foundation
import Ledger
import LedgerDomain

/// Single-event durable appends from 1, 8 and 64 threads (group commit), and the
/// baseline of one fdatasync of a 4 KiB append.
func registerGroupCommitBenchmarks() {
    for appenders in [1, 8, 64] {
        Benchmark(
            "Single-event durable appends, \(appenders) concurrent appender\(appenders == 1 ? "" : "s")",
            configuration: .init(
                metrics: [.wallClock, .throughput, CustomMetrics.latencyP50, CustomMetrics.latencyP99, CustomMetrics.syncs,
                          CustomMetrics.flushBusy],
                warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(appenders == 1 ? 20 : 10),
                maxIterations: appenders == 1 ? 8 : 30)
        ) { benchmark in
            let run = AppenderRun.current(appenders: appenders)
            let before = run.writer.commitStatistics
            let began = monotonicNanoseconds()
            let latencies = run.appendOnce(total: BenchmarkSizes.appendEventsPerIteration, benchmark: benchmark)
            let elapsed = monotonicNanoseconds() - began
            let after = run.writer.commitStatistics
            let syncs = max(after.syncs - before.syncs, 1)
            benchmark.measurement(CustomMetrics.flushBusy, Int((after.flushingNanoseconds - before.flushingNanoseconds) * 100 / max(elapsed, 1)))
            let sorted = latencies.sorted()
            benchmark.measurement(CustomMetrics.latencyP50, Int(percentile(sorted, 0.50) / 1_000))
            benchmark.measurement(CustomMetrics.latencyP99, Int(percentile(sorted, 0.99) / 1_000))
            benchmark.measurement(CustomMetrics.syncs, BenchmarkSizes.appendEventsPerIteration / Int(syncs))
        } setup: {
            _ = AppenderRun.current(appenders: appenders)
        }
    }

    Benchmark(
        "Baseline: one 4 KiB append + fdatasync",
        configuration: .init(
            metrics: [.wallClock, .throughput],
            warmupIterations: 5, scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 1_000)
    ) { benchmark in
        let file = SyncBaselineFile.shared
        benchmark.startMeasurement()
        file.appendAndSync()
        benchmark.stopMeasurement()
    } setup: {
        _ = SyncBaselineFile.shared
    }
}

/// A ledger and, per appender, the events it appends in order: appender k owns the
/// tenants whose first-appearance index is k modulo the number of appenders, so every
/// appender's events are accepted whatever the interleaving (the rules are per tenant).
final class AppenderRun: @unchecked Sendable {
    private static let runs = Mutex<[Int: AppenderRun]>([:])

    static func current(appenders: Int) -> AppenderRun {
        runs.withLock { runs in
            if let run = runs[appenders] { return run }
            let run = AppenderRun(appenders: appenders)
            runs[appenders] = run
            return run
        }
    }

    let writer: LedgerWriter
    let streams: [[Event]]
    var cursors: [Int]
    private let directory: String

    private init(appenders: Int) {
        var tenantIndexes: [Name: Int] = [:]
        var streams = Array(repeating: [Event](), count: appenders)
        for event in Fixtures.appenderEvents {
            let index: Int
            if let known = tenantIndexes[event.tenant] {
                index = known
            } else {
                index = tenantIndexes.count
                tenantIndexes[event.tenant] = index
            }
            streams[index % appenders].append(event)
        }
        self.streams = streams
        cursors = Array(repeating: 0, count: appenders)
        directory = BenchmarkDirectories.fresh("appenders-\(appenders)")
        writer = try! LedgerWriter.open(directory: directory, create: true)
    }

    /// Appends `total` events, split evenly over the appenders, each thread one event at a
    /// time and waiting until it is durable. Returns every append's latency in nanoseconds.
    func appendOnce(total: Int, benchmark: Benchmark) -> [UInt64] {
        let appenders = streams.count
        let latencies = Mutex<[UInt64]>([])
        let ready = DispatchGroup()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for appender in 0..<appenders {
            let count = total / appenders + (appender < total % appenders ? 1 : 0)
            let first = cursors[appender]
            precondition(first + count <= streams[appender].count, "appender \(appender) ran out of events; raise appenderHistoryEvents")
            cursors[appender] = first + count
            let events = streams[appender][first..<(first + count)]
            ready.enter()
            done.enter()
            let thread = Thread { [writer] in
                var own: [UInt64] = []
                own.reserveCapacity(count)
                ready.leave()
                start.wait()
                for event in events {
                    let began = monotonicNanoseconds()
                    let outcome = try! writer.append(event)
                    own.append(monotonicNanoseconds() - began)
                    guard case .appended = outcome else { preconditionFailure("appender's event refused: \(outcome)") }
                }
                latencies.withLock { $0.append(contentsOf: own) }
                done.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        ready.wait()
        benchmark.startMeasurement()
        for _ in 0..<appenders { start.signal() }
        done.wait()
        benchmark.stopMeasurement()
        return latencies.withLock { $0 }
    }
}

/// The file of the fdatasync baseline: each call appends 4 KiB and waits for fdatasync.
final class SyncBaselineFile: @unchecked Sendable {
    static let shared = SyncBaselineFile()
    private let descriptor: Int32
    private let block = [UInt8](repeating: 0x5A, count: 4_096)

    private init() {
        let path = BenchmarkDirectories.fresh("fdatasync-baseline")
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        precondition(descriptor >= 0, "cannot open \(path)")
    }

    func appendAndSync() {
        let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        precondition(written == block.count, "short write in the fdatasync baseline")
        precondition(fdatasync(descriptor) == 0, "fdatasync failed")
    }
}
