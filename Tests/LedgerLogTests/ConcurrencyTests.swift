import Foundation
import Testing
@testable import LedgerLog

/// A reusable barrier for a fixed number of threads.
final class Barrier: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var waiting = 0
    private var generation = 0

    init(parties: Int) { self.parties = parties }

    func arriveAndWait() {
        condition.lock()
        defer { condition.unlock() }
        let current = generation
        waiting += 1
        if waiting == parties {
            waiting = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == current { condition.wait() }
        }
    }
}

/// Collects results from threads.
final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var positions: [UInt64] = []
    private var errors: [String] = []
    /// Serialises `stage`, as the writer's contract asks of its caller.
    let stageLock = NSLock()

    func add(_ position: UInt64) { lock.withLock { positions.append(position) } }
    func fail(_ error: String) { lock.withLock { errors.append(error) } }
    var all: [UInt64] { lock.withLock { positions } }
    var failures: [String] { lock.withLock { errors } }
}

/// Runs `body(threadIndex)` on `count` new threads and waits for all of them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}

@Suite struct ConcurrencyTests {
    /// Threads that stage and then wait together share one flush per round: the
    /// first waiter leads and writes everything staged, the others find it durable.
    @Test func concurrentWaitersShareOneSync() throws {
        let directory = TemporaryDirectory("group")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: LogOptions(), create: true)
        let threads = 8
        let rounds = 20
        let barrier = Barrier(parties: threads)
        let collector = Collector()
        runThreads(threads) { _ in
            for _ in 0..<rounds {
                do {
                    let position = try collector.stageLock.withLock {
                        try writer.stage(sampleRecord(writer.lastStagedPosition + 1))
                    }
                    barrier.arriveAndWait()   // everyone has staged
                    try writer.waitUntilDurable(through: position)
                    collector.add(position)
                    barrier.arriveAndWait()   // everyone is durable before the next round
                } catch {
                    collector.fail("\(error)")
                }
            }
        }
        #expect(collector.failures.isEmpty, "\(collector.failures)")
        #expect(collector.all.sorted() == Array(1...UInt64(threads * rounds)))
        #expect(writer.syncCount == UInt64(rounds), "one sync per round")
        writer.close()
        #expect(try checkSamples(directory.path) == UInt64(threads * rounds))
    }

    /// Free-running appenders with real fdatasync: positions distinct and gapless,
    /// every record intact, and fewer syncs than appends.
    @Test func concurrentAppendersGetGaplessPositionsAndShareSyncs() throws {
        let directory = TemporaryDirectory("appenders")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: LogOptions(batchRecordsMax: 16), create: true)
        let threads = 8
        let appendsPerThread = 100
        let collector = Collector()
        runThreads(threads) { _ in
            for _ in 0..<appendsPerThread {
                do {
                    let position = try collector.stageLock.withLock {
                        try writer.stage(sampleRecord(writer.lastStagedPosition + 1))
                    }
                    try writer.waitUntilDurable(through: position)
                    #expect(writer.durableHead.position >= position)
                    collector.add(position)
                } catch {
                    collector.fail("\(error)")
                }
            }
        }
        let appends = threads * appendsPerThread
        #expect(collector.failures.isEmpty, "\(collector.failures)")
        #expect(collector.all.sorted() == Array(1...UInt64(appends)))
        #expect(writer.syncCount < UInt64(appends), "group commit shares syncs (\(writer.syncCount) for \(appends) appends)")
        writer.close()
        #expect(try checkSamples(directory.path) == UInt64(appends))
        #expect(try LogReader(directory: directory.path).verify().isValid)
    }

    /// Readers (no lock) read while the writer appends and rolls segments: they see
    /// a gapless prefix of whole batches, and their head only moves forward.
    @Test func readersReadWhileTheWriterAppends() throws {
        let directory = TemporaryDirectory("readers")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path,
                                        options: fastOptions(segmentBytesMax: 4_096, batchRecordsMax: 7), create: true)
        let flushes = 200
        let done = Collector()
        let writerThread = Thread {
            do { try appendSamples(writer, flushes: flushes, recordsPerFlush: 5) } catch { done.fail("\(error)") }
            done.add(0)
        }
        writerThread.start()
        let reader = try LogReader(directory: directory.path)
        var previousHead: UInt64 = 0
        var passes = 0
        while done.all.isEmpty || passes < 3 {
            let head = try reader.head().position
            #expect(head >= previousHead)
            previousHead = head
            var count: UInt64 = 0
            var bad: UInt64?
            try reader.forEach { record in
                count += 1
                if record.position != count || record.materialize() != sampleLogRecord(record.position) { bad = bad ?? count }
            }
            #expect(bad == nil)
            #expect(count >= head, "a pass sees at least the head read before it")
            passes += 1
        }
        #expect(done.failures.isEmpty, "\(done.failures)")
        print("readers test: \(passes) reader passes while the writer appended")
        #expect(try reader.head() == writer.durableHead)
        #expect(try LedgerDirectory.segments(in: directory.path).count > 3, "the writer rolled segments")
        writer.close()
        #expect(reader.verify().isValid)
    }

    /// Lookups and reads run while other threads stage and flush, so they meet records
    /// staged, being flushed and durable; with hashes cut to 4 bits every lookup also
    /// resolves collisions across all three.
    @Test func lookupsDuringFlushesFindEveryRecord() throws {
        let directory = TemporaryDirectory("lookups")
        defer { directory.remove() }
        var options = fastOptions(batchRecordsMax: 3)
        options.keyHashBitsForTesting = 4
        let writer = try LogWriter.open(directory: directory.path, options: options, create: true)
        let collector = Collector()
        runThreads(4) { _ in
            for _ in 0..<60 {
                do {
                    let position = try collector.stageLock.withLock {
                        try writer.stage(sampleRecord(writer.lastStagedPosition + 1))
                    }
                    let record = sampleRecord(position)
                    let before = try writer.position(tenant: record.tenant, id: record.id)
                    let read = try writer.record(at: position)
                    try writer.waitUntilDurable(through: position)
                    let after = try writer.position(tenant: record.tenant, id: record.id)
                    if before != position || after != position || read != sampleLogRecord(position) {
                        collector.fail("position \(position): found \(String(describing: before)), \(String(describing: after))")
                    }
                    collector.add(position)
                } catch {
                    collector.fail("\(error)")
                }
            }
        }
        #expect(collector.failures.isEmpty, "\(collector.failures)")
        #expect(collector.all.sorted() == Array(1...240))
        writer.close()
    }
}
