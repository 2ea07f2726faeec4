import Foundation
import Testing
@testable import LedgerLog

/// The helper executable `ledger-log-crash-child`, built beside the test bundle.
func crashChildURL() throws -> URL {
    let name = "ledger-log-crash-child"
    var candidates: [URL] = []
    let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    candidates.append(runner.deletingLastPathComponent().appendingPathComponent(name))
    candidates.append(Bundle.main.bundleURL.appendingPathComponent(name))
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw TestFailure("\(name) not found; looked at \(candidates.map(\.path))")
    }
    return found
}

/// Runs the child with stdout sent to a file; returns the process and the file.
func startChild(_ arguments: [String], output: String) throws -> Process {
    _ = FileManager.default.createFile(atPath: output, contents: nil)
    let process = Process()
    process.executableURL = try crashChildURL()
    process.arguments = arguments
    process.standardOutput = FileHandle(forWritingAtPath: output)
    try childSpawnLock.withLock { try process.run() }
    return process
}

@Suite struct CrashTests {
    /// A child appends with group commit and fdatasync and is SIGKILLed at seeded random
    /// moments; after every kill, everything it acknowledged must be there, intact,
    /// and the log must verify.
    @Test func killedAppenderLosesNothingAcknowledged() throws {
        let seed: UInt64 = 0x5EED_0001
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("crash")
        defer { directory.remove() }
        let ledger = directory.child("ledger")
        var acknowledgedMax: UInt64 = 0
        var recoveries = 0
        let kills = 20
        for kill in 0..<kills {
            let output = directory.child("child-\(kill).out")
            let child = try startChild(["append", ledger, String(random.next() % 1_000_000)], output: output)
            usleep(UInt32(10_000 + random.next() % 110_000))
            Darwin_kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal, "seed \(seed), kill \(kill): the child died before the kill")

            let lines = String(decoding: try readFile(output), as: UTF8.self).split(separator: "\n")
            for line in lines {
                if let position = UInt64(line) { acknowledgedMax = max(acknowledgedMax, position) }
                else { #expect(line.hasPrefix("#"), "seed \(seed), kill \(kill): child said \(line)") }
            }

            let writer = try openWriter(directory: ledger, options: LogOptions(synchronous: false), create: true)
            if writer.recovery != nil { recoveries += 1 }
            let head = writer.durableHead.position
            #expect(head >= acknowledgedMax, "seed \(seed), kill \(kill): head \(head) < acknowledged \(acknowledgedMax)")
            if head > 0 {
                #expect(try writer.position(tenant: sampleRecord(head).tenant, id: sampleRecord(head).id) == head)
            }
            writer.close()
            #expect(try checkSamples(ledger) == head, "seed \(seed), kill \(kill)")
            let report = try LogReader(directory: ledger).verify()
            #expect(report.isValid && report.tornTail == nil, "seed \(seed), kill \(kill): \(report)")
            #expect(report.head.position == head)
        }
        #expect(acknowledgedMax > 0, "the child acknowledged something")
        print("crash test: \(kills) kills, \(recoveries) torn tails cut, \(acknowledgedMax) positions acknowledged")
    }

    /// A writer in another process holds the lock: opening fails at once, while a
    /// reader (no lock) reads the log it is appending to.
    @Test func writerInAnotherProcessLocksTheLedger() throws {
        let directory = TemporaryDirectory("lock-process")
        defer { directory.remove() }
        let ledger = directory.child("ledger")
        let output = directory.child("child.out")
        let child = try startChild(["append", ledger, "3"], output: output)
        defer {
            Darwin_kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        // Wait (bounded) until the child has acknowledged something: it holds the lock.
        var waited = 0
        while (String(decoding: try readFile(output), as: UTF8.self).split(separator: "\n").compactMap { UInt64($0) }).isEmpty {
            usleep(10_000)
            waited += 1
            try #require(waited < 1_000, "the child acknowledged nothing in 10 s")
        }
        #expect(throws: LogError.locked(directory: ledger)) {
            try openWriter(directory: ledger, options: fastOptions())
        }
        let reader = try LogReader(directory: ledger)
        let head = try reader.head().position
        #expect(head > 0)
        var count: UInt64 = 0
        try reader.forEach(through: head) { record in
            count += 1
            #expect(record.materialize() == sampleLogRecord(record.position))
        }
        #expect(count == head)
    }

    /// A write failure (a file size limit) poisons the writer: the leader gets the I/O
    /// error, later calls get `poisoned`; reopening keeps every acknowledged record. With
    /// `poison-async` a task waits and the writer's flush thread flushes: the task gets
    /// `poisoned`, whose reason is the I/O error.
    @Test(arguments: ["poison", "poison-async"])
    func writeFailurePoisonsTheWriter(mode: String) throws {
        let directory = TemporaryDirectory("poison")
        defer { directory.remove() }
        let ledger = directory.child("ledger")
        let output = directory.child("child.out")
        let child = try startChild([mode, ledger, "20000"], output: output)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        let lines = String(decoding: try readFile(output), as: UTF8.self).split(separator: "\n").map(String.init)
        let acknowledged = lines.compactMap { UInt64($0) }.max() ?? 0
        #expect(acknowledged > 0)
        let failures = lines.filter { UInt64($0) == nil }
        #expect(failures.count == 4, "\(failures)")
        if mode == "poison" {
            #expect(failures.first?.hasPrefix("flush failed: pwrite") == true, "\(failures)")
        } else {
            #expect(failures.first?.hasPrefix("flush failed: ") == true, "\(failures)")
            #expect(failures.first?.contains("unusable after a failed flush") == true, "\(failures)")
            #expect(failures.first?.contains("pwrite") == true, "\(failures)")
        }
        #expect(failures.first?.contains("errno \(EFBIG)") == true, "\(failures)")
        for line in failures.dropFirst() {
            #expect(line.contains("unusable after a failed flush"), "\(line)")
        }

        let writer = try openWriter(directory: ledger, options: fastOptions())
        #expect(writer.durableHead.position >= acknowledged)
        let next = try appendSamples(writer, flushes: 1, recordsPerFlush: 3)
        writer.close()
        #expect(try checkSamples(ledger) == next)
        #expect(try LogReader(directory: ledger).verify().isValid)
    }
}

/// `kill(2)` (Foundation's Process has no SIGKILL method).
func Darwin_kill(_ process: Int32, _ signal: Int32) {
    _ = kill(process, signal)
}
