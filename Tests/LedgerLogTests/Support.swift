import Foundation
@testable import LedgerLog

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "ledger-log") {
        var template = Array((NSTemporaryDirectory() + "/\(label)-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A path inside the directory.
    func child(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Deterministic pseudo-random numbers (SplitMix64), so failures can be replayed from the seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// The record a test appends at `position`: every field derived from the position, so
/// a reader can check any record it finds without remembering what was written.
func sampleRecord(_ position: UInt64, payloadBytes: Int? = nil) -> NewRecord {
    let length = payloadBytes ?? Int((position &* 7_919) % 300)
    var payload = [UInt8](repeating: 0, count: length)
    var value = position &* 0x9E37_79B9_7F4A_7C15
    for index in 0..<length {
        value = value &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        // Mostly text-like bytes, some noise: compressible like real payloads.
        payload[index] = index % 7 == 0 ? UInt8(truncatingIfNeeded: value >> 56) : UInt8(ascii: "a") + UInt8(index % 26)
    }
    return NewRecord(tenant: Array("tenant-\(position % 5)".utf8), id: Array("e-\(position)".utf8),
                     type: UInt16(truncatingIfNeeded: position % 40), at: 1_772_619_300_000_000 + Int64(position) * 1_000_003,
                     actor: Array("u-\(position % 17)".utf8), payload: payload)
}

func sampleLogRecord(_ position: UInt64) -> LogRecord {
    let record = sampleRecord(position)
    return LogRecord(position: position, tenant: record.tenant, id: record.id, type: record.type, at: record.at,
                     actor: record.actor, payload: record.payload)
}

/// Serialises spawning child processes with opening writers. While a child is being
/// spawned it holds copies of the parent's descriptors until it execs (O_CLOEXEC acts
/// only then), LOCK's included: a test that closed its writer and reopens it in that
/// window, while another test spawns a child, would find the lock still held.
let childSpawnLock = NSLock()

/// `LogWriter.open`, never during a child's spawn (see `childSpawnLock`).
func openWriter(directory: String, options: LogOptions = .init(), create: Bool = false,
                onRecord: ((RecordView) throws -> Void)? = nil) throws -> LogWriter {
    try childSpawnLock.withLock {
        try LogWriter.open(directory: directory, options: options, create: create, onRecord: onRecord)
    }
}

/// Options for fast tests: no fdatasync.
func fastOptions(segmentBytesMax: UInt64 = 64 * 1_024 * 1_024, batchRecordsMax: Int = 4_096,
                 batchBytesMax: Int = 1_024 * 1_024) -> LogOptions {
    LogOptions(segmentBytesMax: segmentBytesMax, batchBytesMax: batchBytesMax, batchRecordsMax: batchRecordsMax,
               synchronous: false)
}

/// Appends sample records `count` at a time, `batches` times (one flush each).
@discardableResult
func appendSamples(_ writer: LogWriter, flushes: Int, recordsPerFlush: Int) throws -> UInt64 {
    var last: UInt64 = writer.lastStagedPosition
    for _ in 0..<flushes {
        for _ in 0..<recordsPerFlush {
            last = try writer.stage(sampleRecord(last + 1))
        }
        try writer.waitUntilDurable(through: last)
    }
    return last
}

/// Reads every record and checks it is the sample record for its position; returns the count.
func checkSamples(_ directory: String) throws -> UInt64 {
    let reader = try LogReader(directory: directory)
    var expected: UInt64 = 1
    var mismatch: UInt64?
    try reader.forEach { record in
        if record.position != expected || record.materialize() != sampleLogRecord(record.position) {
            mismatch = mismatch ?? record.position
        }
        expected += 1
    }
    if let mismatch { throw TestFailure("record \(mismatch) differs from the sample") }
    return expected - 1
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Segment files of a ledger directory, in order.
func segmentPaths(_ directory: String) throws -> [String] {
    try LedgerDirectory.segments(in: directory).map(\.path)
}

func readFile(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Replaces a file's contents (plain write, no fsync: Foundation's `Data.write` syncs,
/// which would make the byte-by-byte damage tests crawl).
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let file = try FileDescriptor.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
    try bytes.withUnsafeBytes { try file.write($0, at: 0) }
    file.close()
}

/// Runs `body`, ending the test process with a message if it has not returned after
/// `seconds`. For tests whose failure is a task never resumed: such a task ignores
/// cancellation, so the suite's time limit alone would leave the run hanging (until CI's
/// own limit) instead of failing.
func failingIfStalled<T>(after seconds: Int = 60, _ what: String, _ body: () async throws -> T) async rethrows -> T {
    let watchdog = DispatchWorkItem {
        fatalError("stalled for \(seconds) s: \(what) (a waiter was never resumed?)")
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds), execute: watchdog)
    defer { watchdog.cancel() }
    return try await body()
}
