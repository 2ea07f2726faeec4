import Benchmark
import Foundation
import Ledger
import LedgerDomain
import LedgerLog

/// Single-event durable appends from 1, 8 and 64 threads (group commit), from 1 and 64
/// tasks (the async append), 64 threads with a gathering window, and the baseline of one
/// fdatasync of a 4 KiB append.
func registerGroupCommitBenchmarks() {
    let shapes: [AppenderShape] = [
        .init(appenders: 1), .init(appenders: 8), .init(appenders: 64),
        .init(appenders: 1, tasks: true), .init(appenders: 64, tasks: true),
        .init(appenders: 64, gatherMicroseconds: 200),
        .init(appenders: 64, tasks: true, gatherMicroseconds: 200),
    ]
    for shape in shapes {
        let appenders = shape.appenders
        Benchmark(
            shape.name,
            configuration: .init(
                metrics: [.wallClock, .throughput, CustomMetrics.latencyP50, CustomMetrics.latencyP99, CustomMetrics.syncs,
                          CustomMetrics.flushBusy, CustomMetrics.syncBusy],
                warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(appenders == 1 ? 20 : 10),
                maxIterations: appenders == 1 ? 8 : 30)
        ) { benchmark in
            let run = AppenderRun.current(shape)
            let before = run.writer.commitStatistics
            let began = monotonicNanoseconds()
            let latencies = run.appendOnce(total: BenchmarkSizes.appendEventsPerIteration, benchmark: benchmark)
            let elapsed = monotonicNanoseconds() - began
            let after = run.writer.commitStatistics
            let syncs = max(after.syncs - before.syncs, 1)
            benchmark.measurement(CustomMetrics.flushBusy, Int((after.flushingNanoseconds - before.flushingNanoseconds) * 100 / max(elapsed, 1)))
            benchmark.measurement(CustomMetrics.syncBusy, Int((after.syncingNanoseconds - before.syncingNanoseconds) * 100 / max(elapsed, 1)))
            let sorted = latencies.sorted()
            benchmark.measurement(CustomMetrics.latencyP50, Int(percentile(sorted, 0.50) / 1_000))
            benchmark.measurement(CustomMetrics.latencyP99, Int(percentile(sorted, 0.99) / 1_000))
            benchmark.measurement(CustomMetrics.syncs, BenchmarkSizes.appendEventsPerIteration / Int(syncs))
        } setup: {
            _ = AppenderRun.current(shape)
            // Write back what earlier benchmarks left dirty (the SQLite baseline's 290 MB),
            // so that these fdatasyncs do not queue behind it (the baseline's neither).
            sync()
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
        sync()
    }
}

/// How the appenders of a group-commit benchmark run: threads calling the blocking
/// `append`, or tasks calling the async one; with the writer's gathering window.
struct AppenderShape: Hashable, Sendable {
    var appenders: Int
    var tasks = false
    var gatherMicroseconds = LogOptions.commitGatherMicrosecondsDefault

    var name: String {
        let plural = appenders == 1 ? "" : "s"
        let who = tasks ? "concurrent task\(plural) (async append)" : "concurrent appender\(plural)"
        let gather = gatherMicroseconds == LogOptions.commitGatherMicrosecondsDefault ? "" : ", \(gatherMicroseconds) us gathering window"
        return "Single-event durable appends, \(appenders) \(who)\(gather)"
    }
}

/// A ledger and, per appender, the events it appends in order: appender k owns the
/// tenants whose first-appearance index is k modulo the number of appenders, so every
/// appender's events are accepted whatever the interleaving (the rules are per tenant).
final class AppenderRun: @unchecked Sendable {
    private static let runs = Mutex<[AppenderShape: AppenderRun]>([:])

    static func current(_ shape: AppenderShape) -> AppenderRun {
        runs.withLock { runs in
            if let run = runs[shape] { return run }
            let run = AppenderRun(shape)
            runs[shape] = run
            return run
        }
    }

    let writer: LedgerWriter
    let tasks: Bool
    let streams: [[Event]]
    var cursors: [Int]
    private let directory: String

    private init(_ shape: AppenderShape) {
        let appenders = shape.appenders
        tasks = shape.tasks
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
        var options = LedgerOptions()
        options.log.commitGatherMicroseconds = shape.gatherMicroseconds
        writer = try! LedgerWriter.open(directory: directory, create: true, options: options)
    }

    /// Appends `total` events, split evenly over the appenders, each one event at a time
    /// and waiting until it is durable. Returns every append's latency in nanoseconds.
    func appendOnce(total: Int, benchmark: Benchmark) -> [UInt64] {
        tasks ? appendOnceFromTasks(total: total, benchmark: benchmark) : appendOnceFromThreads(total: total, benchmark: benchmark)
    }

    /// Takes the next `count` events of each appender's stream.
    private func nextEvents(total: Int) -> [ArraySlice<Event>] {
        let appenders = streams.count
        return (0..<appenders).map { appender in
            let count = total / appenders + (appender < total % appenders ? 1 : 0)
            let first = cursors[appender]
            precondition(first + count <= streams[appender].count, "appender \(appender) ran out of events; raise appenderHistoryEvents")
            cursors[appender] = first + count
            return streams[appender][first..<(first + count)]
        }
    }

    /// The appenders are tasks of one task group, each awaiting the async `append`.
    private func appendOnceFromTasks(total: Int, benchmark: Benchmark) -> [UInt64] {
        let slices = nextEvents(total: total)
        let latencies = Mutex<[UInt64]>([])
        let done = DispatchSemaphore(value: 0)
        benchmark.startMeasurement()
        Task.detached { [writer] in
            await withTaskGroup(of: [UInt64].self) { group in
                for events in slices {
                    group.addTask {
                        var own: [UInt64] = []
                        own.reserveCapacity(events.count)
                        for event in events {
                            let began = monotonicNanoseconds()
                            let outcome = try! await writer.append(event)
                            own.append(monotonicNanoseconds() - began)
                            guard case .appended = outcome else { preconditionFailure("appender's event refused: \(outcome)") }
                        }
                        return own
                    }
                }
                for await own in group { latencies.withLock { $0.append(contentsOf: own) } }
            }
            done.signal()
        }
        done.wait()
        benchmark.stopMeasurement()
        return latencies.withLock { $0 }
    }

    /// The appenders are threads, each calling the blocking `append`.
    private func appendOnceFromThreads(total: Int, benchmark: Benchmark) -> [UInt64] {
        let appenders = streams.count
        let slices = nextEvents(total: total)
        let latencies = Mutex<[UInt64]>([])
        let ready = DispatchGroup()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for appender in 0..<appenders {
            let events = slices[appender]
            let count = events.count
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
