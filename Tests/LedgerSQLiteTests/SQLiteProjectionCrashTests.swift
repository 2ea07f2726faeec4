import Foundation
import LedgerDomain
import LedgerSQLite
import LedgerTestSupport
import Testing

/// A child process projects a deterministic history batch by batch and is killed with SIGKILL
/// at seeded random moments (after a random number of committed batches, plus a random
/// fraction of the next one); reopened, it catches up from its checkpoint. The tables must
/// end equal to a rebuild and to the read models, with nothing applied twice or skipped.
@Suite struct SQLiteProjectionCrashTests {
    static let seeds: [UInt64] = [0x5EED_0001, 0x5EED_0002]
    /// Events offered to the decider by the child; about a third are appended.
    static let offeredEvents = 20_000
    static let killsPerSeed = 6

    @Test(arguments: seeds)
    func killedProjectionCatchesUpToTheRebuiltTables(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        let directory = SQLiteTestSupport.temporaryDirectory("crash")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        let arguments = [path, String(seed), String(Self.offeredEvents)]

        var previousPosition: UInt64 = 0
        var killsInTheMiddle = 0
        for kill in 0..<Self.killsPerSeed {
            let committedBatchesBeforeKill = Int.random(in: 1...4, using: &random)
            let extraMicroseconds = UInt32.random(in: 0...3000, using: &random)
            let child = try CrashChild.start(["catch-up"] + arguments)
            let reported = try child.waitForLines(committedBatchesBeforeKill)
            usleep(extraMicroseconds)
            child.kill()
            let context = "seed \(seed), kill \(kill)"
            let checkpoint = try SQLiteProjection(path: path).checkpoint()
            // A batch reported committed is never lost; the checkpoint only moves forward.
            if let reportedPosition = reported.last {
                #expect(checkpoint.position >= reportedPosition, "\(context)")
            }
            #expect(checkpoint.position >= previousPosition, "\(context)")
            if checkpoint.position > 0 {
                #expect(checkpoint.chainHash?.count == SQLiteProjection.chainHashBytes, "\(context)")
            }
            if checkpoint.position > previousPosition && child.exitedBeforeKill == false { killsInTheMiddle += 1 }
            previousPosition = checkpoint.position
        }
        // The kills landed while there was still work to do.
        #expect(killsInTheMiddle >= Self.killsPerSeed / 2, "seed \(seed)")

        #expect(try CrashChild.run(["catch-up"] + arguments) == 0, "seed \(seed): the last catch-up")
        #expect(try CrashChild.run(["verify"] + arguments) == 0, "seed \(seed): the tables differ from the read models")
        let rebuiltPath = directory + "/rebuilt.sqlite"
        #expect(try CrashChild.run(["rebuild", rebuiltPath, String(seed), String(Self.offeredEvents)]) == 0, "seed \(seed)")
        let crashed = try SQLiteProjection(path: path)
        let rebuilt = try SQLiteProjection(path: rebuiltPath)
        let crashedContents = try crashed.contents()
        SQLiteTestSupport.expectEqual(crashedContents, try rebuilt.contents(), "seed \(seed), killed then caught up")
        #expect(try crashed.checkpoint() == rebuilt.checkpoint(), "seed \(seed)")
        #expect(crashedContents.auditLog.count > 1000, "seed \(seed)")
    }
}

/// The helper executable `ledger-sqlite-crash-child`, built beside the test runner.
final class CrashChild {
    let process: Process
    let output: FileHandle
    /// Whether the child closed its output (finished) before `kill()`.
    private(set) var exitedBeforeKill = false
    private var buffered: [UInt8] = []

    init(process: Process, output: FileHandle) {
        self.process = process
        self.output = output
    }

    static func executableURL() throws -> URL {
        let name = "ledger-sqlite-crash-child"
        var candidates: [URL] = []
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent(name))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(name))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CrashChildError(description: "\(name) not found; looked at \(candidates.map(\.path))")
        }
        return found
    }

    static func start(_ arguments: [String]) throws -> CrashChild {
        let process = Process()
        process.executableURL = try executableURL()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        return CrashChild(process: process, output: pipe.fileHandleForReading)
    }

    /// Runs the child to its end and returns its exit status.
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = try executableURL()
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Reads `count` lines `applied <position>` (fewer when the child ends first) and returns
    /// their positions.
    func waitForLines(_ count: Int) throws -> [UInt64] {
        var positions: [UInt64] = []
        while positions.count < count {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                guard line.hasPrefix("applied "), let position = UInt64(line.dropFirst("applied ".count)) else {
                    throw CrashChildError(description: "unexpected output from the child: \(line)")
                }
                positions.append(position)
                continue
            }
            let data = output.availableData
            if data.isEmpty {
                exitedBeforeKill = true
                break
            }
            buffered.append(contentsOf: data)
        }
        return positions
    }

    /// SIGKILL, then waits for the process to be gone.
    func kill() {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct CrashChildError: Error, CustomStringConvertible {
    var description: String
}
