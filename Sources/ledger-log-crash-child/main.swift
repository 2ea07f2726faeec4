// A helper for LedgerLogTests, not a tool: appends to a ledger log until it is killed
// (or, in "poison" mode, until a file size limit makes a write fail) and prints every
// acknowledged position, one line per `waitUntilDurable` that returned, to stdout.
//
//     ledger-log-crash-child append <directory> <seed>
//     ledger-log-crash-child poison <directory> <file size limit in bytes>
//     ledger-log-crash-child poison-async <directory> <file size limit in bytes>   (tasks wait)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LedgerLog

/// The record at `position`. Must stay identical to `sampleRecord` in
/// Tests/LedgerLogTests/Support.swift: the tests check recovered records against it.
func sampleRecord(_ position: UInt64) -> NewRecord {
    let length = Int((position &* 7_919) % 300)
    var payload = [UInt8](repeating: 0, count: length)
    var value = position &* 0x9E37_79B9_7F4A_7C15
    for index in 0..<length {
        value = value &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        payload[index] = index % 7 == 0 ? UInt8(truncatingIfNeeded: value >> 56) : UInt8(ascii: "a") + UInt8(index % 26)
    }
    return NewRecord(tenant: Array("tenant-\(position % 5)".utf8), id: Array("e-\(position)".utf8),
                     type: UInt16(truncatingIfNeeded: position % 40), at: 1_772_619_300_000_000 + Int64(position) * 1_000_003,
                     actor: Array("u-\(position % 17)".utf8), payload: payload)
}

/// SplitMix64, as in the tests.
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

/// One `write` per line, so lines from several threads never interleave and a line
/// reaches the pipe as soon as its position is acknowledged.
func emit(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    let written = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
    precondition(written == bytes.count, "stdout write failed")
}

/// Several threads stage groups of records (serialised by a lock, as the writer
/// requires) and wait for them concurrently, so crashes land inside group commits.
final class Appender: @unchecked Sendable {
    private let writer: LogWriter
    private let stageLock = NSLock()
    private var random: SeededGenerator

    init(writer: LogWriter, seed: UInt64) {
        self.writer = writer
        self.random = SeededGenerator(seed: seed)
    }

    func run() {
        while true {
            stageLock.lock()
            let groupSize = Int.random(in: 1...12, using: &random)
            var last: UInt64 = 0
            for _ in 0..<groupSize {
                let expected = writer.lastStagedPosition + 1
                last = try! writer.stage(sampleRecord(expected))
                precondition(last == expected, "positions are assigned in order")
            }
            stageLock.unlock()
            try! writer.waitUntilDurable(through: last)
            emit("\(last)")
        }
    }
}

func runAppend(directory: String, seed: UInt64) throws {
    let options = LogOptions(segmentBytesMax: 24 * 1_024, batchBytesMax: 8 * 1_024, batchRecordsMax: 16)
    let writer = try LogWriter.open(directory: directory, options: options, create: true)
    if let recovery = writer.recovery { emit("# recovered: \(recovery)") }
    emit("# head \(writer.durableHead.position)")
    let appender = Appender(writer: writer, seed: seed)
    let threadCount = 3
    for _ in 1..<threadCount {
        Thread.detachNewThread { appender.run() }
    }
    appender.run()
}

func runPoison(directory: String, fileBytesMax: UInt64, async: Bool) throws {
    // Past the limit a write fails with EFBIG (instead of SIGXFSZ killing the process).
    signal(SIGXFSZ, SIG_IGN)
    var limit = rlimit(rlim_cur: rlim_t(fileBytesMax), rlim_max: rlim_t(fileBytesMax))
    precondition(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, "setrlimit failed")
    let writer = try LogWriter.open(directory: directory, options: LogOptions(batchRecordsMax: 16), create: true)
    if async {
        // The flushes are the writer's flush thread's; its failure reaches the task as `poisoned`.
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            while true {
                do {
                    let position = try writer.stage(sampleRecord(writer.lastStagedPosition + 1))
                    try await writer.waitUntilDurable(through: position)
                    emit("\(position)")
                } catch {
                    emit("flush failed: \(error)")
                    break
                }
            }
            done.signal()
        }
        done.wait()
    } else {
        while true {
            let position = try writer.stage(sampleRecord(writer.lastStagedPosition + 1))
            do {
                try writer.waitUntilDurable(through: position)
                emit("\(position)")
            } catch {
                emit("flush failed: \(error)")
                break
            }
        }
    }
    do {
        _ = try writer.stage(sampleRecord(writer.lastStagedPosition + 1))
        emit("stage: accepted")
    } catch {
        emit("stage failed: \(error)")
    }
    do {
        try writer.waitUntilDurable(through: writer.lastStagedPosition)
        emit("wait: returned")
    } catch {
        emit("wait failed: \(error)")
    }
    do {
        _ = try writer.position(tenant: Array("tenant-1".utf8), id: Array("e-1".utf8))
        emit("lookup: answered")
    } catch {
        emit("lookup failed: \(error)")
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let number = UInt64(arguments[3]) else {
    emit("usage: ledger-log-crash-child append <directory> <seed> | poison[-async] <directory> <file bytes max>")
    exit(2)
}
do {
    switch arguments[1] {
    case "append": try runAppend(directory: arguments[2], seed: number)
    case "poison": try runPoison(directory: arguments[2], fileBytesMax: number, async: false)
    case "poison-async": try runPoison(directory: arguments[2], fileBytesMax: number, async: true)
    default:
        emit("unknown mode \(arguments[1])")
        exit(2)
    }
} catch {
    emit("error: \(error)")
    exit(1)
}
