// ledger-sqlite-crash-child: drives an `SQLiteProjection` over a deterministic history for the
// crash tests of `Tests/LedgerSQLiteTests` (which kill it with SIGKILL while it projects), and
// measures the projection's throughput.
//
//   ledger-sqlite-crash-child catch-up DB SEED OFFERED   apply from the checkpoint to the end in
//                                                        batches of seeded random sizes, printing
//                                                        "applied <position>" after each commit
//   ledger-sqlite-crash-child rebuild DB SEED OFFERED    reset, then apply everything at once
//   ledger-sqlite-crash-child verify DB SEED OFFERED     exit 0 when the tables equal the read
//                                                        models of the whole history, else 1
//   ledger-sqlite-crash-child measure DB SEED OFFERED BATCH
//                                                        reset, apply in batches of BATCH events,
//                                                        print events per second
//
// Exit codes: 0 done, 1 the tables differ, 2 bad arguments.
import Foundation
import LedgerDomain
import LedgerSQLite
import LedgerTestSupport

/// The largest batch `catch-up` applies: small enough that a kill often lands inside a batch
/// and between batches alike.
let catchUpBatchEventsMax = 400

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code)
}

/// The CPU time of this process (user and system), which a busy machine disturbs less than
/// the wall-clock time.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
guard arguments.count >= 5, let seed = UInt64(arguments[3]), let offeredCount = Int(arguments[4]) else {
    fail("usage: ledger-sqlite-crash-child catch-up|rebuild|verify|measure DB SEED OFFERED [BATCH]", code: 2)
}
let mode = arguments[1]
let path = arguments[2]
let history = CrashChildHistory.world.make(seed: seed, offeredCount: offeredCount)
guard let lastPosition = history.last?.position else { fail("the history is empty", code: 2) }

do {
    let projection = try SQLiteProjection(path: path)
    switch mode {
    case "catch-up":
        var next = try projection.checkpoint().position + 1
        while next <= lastPosition {
            // The batch size depends on where the batch starts, so a rerun after a kill
            // takes other cuts than the run it continues.
            var random = SeededGenerator(state: seed ^ next)
            let count = min(Int.random(in: 1...catchUpBatchEventsMax, using: &random), Int(lastPosition - next + 1))
            let batch = Array(history[Int(next - 1)..<Int(next - 1) + count])
            let batchLast = batch[batch.count - 1].position
            try projection.apply(batch, chainHash: RandomHistory.chainHash(seed: seed, position: batchLast))
            // Unbuffered, so that the parent sees each commit as it happens.
            FileHandle.standardOutput.write(Data("applied \(batchLast)\n".utf8))
            next = batchLast + 1
        }
    case "rebuild":
        try projection.reset()
        try projection.apply(history, chainHash: RandomHistory.chainHash(seed: seed, position: lastPosition))
    case "verify":
        var models = ReadModels()
        for recorded in history { models.fold(recorded) }
        let differences = try projection.contents().differences(from: SQLiteProjection.expectedContents(models))
        let checkpoint = try projection.checkpoint()
        var problems = differences
        if checkpoint.position != lastPosition
            || checkpoint.chainHash != RandomHistory.chainHash(seed: seed, position: lastPosition)
        {
            problems.append("checkpoint at \(checkpoint.position), expected \(lastPosition) with its chain hash")
        }
        guard problems.isEmpty else { fail(problems.joined(separator: "\n"), code: 1) }
        print("verified \(lastPosition) events")
    case "measure":
        guard arguments.count >= 6, let batchEvents = Int(arguments[5]), batchEvents > 0 else {
            fail("measure needs a batch size", code: 2)
        }
        try projection.reset()
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = processCPUSeconds()
        var offset = 0
        while offset < history.count {
            let batch = Array(history[offset..<min(offset + batchEvents, history.count)])
            try projection.apply(batch, chainHash: RandomHistory.chainHash(seed: seed, position: batch[batch.count - 1].position))
            offset += batch.count
        }
        let cpuSeconds = processCPUSeconds() - cpuStart
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "\(history.count) events in batches of \(batchEvents): \(String(format: "%.2f", seconds)) s, "
                + "\(Int(Double(history.count) / seconds)) events/s; CPU \(String(format: "%.2f", cpuSeconds)) s, "
                + "\(Int(Double(history.count) / cpuSeconds)) events per CPU second")
    default:
        fail("unknown mode \(mode)", code: 2)
    }
} catch {
    fail("\(mode) failed: \(error)", code: 3)
}
