import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerSQLite

/// `ledger project` killed with SIGKILL at random moments: the SQLite tables are always
/// exactly the read models as of their checkpoint, and catching up gives a rebuild's tables.
@Suite struct ProjectionCrashTests {
    @Test func killingTheProjectionMidwayNeverAppliesAnEventTwiceOrSkipsOne() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        var generator = HistoryGenerator(options: GeneratorOptions(events: 40_000, tenants: 5, seed: 61))
        var bytes: [UInt8] = []
        while generator.next(into: &bytes) {}
        // Several imports, so that the log has many batches (projection transactions end at batches).
        var lines = bytes.split(separator: UInt8(ascii: "\n"))
        var offset = 0
        while offset < lines.count {
            let end = min(offset + 2_500, lines.count)
            let chunk = Array(lines[offset..<end].joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
            _ = try chunk.withUnsafeBytes { try writer.importLines($0, mode: .atomic) }
            offset = end
        }
        lines.removeAll()
        let head = writer.head.position
        writer.close()
        let reader = try LedgerReader(directory: path)
        let seed = UInt64.random(in: 1...UInt64.max)
        var random = SplitMix(seed: seed)
        var checkpoints: Set<UInt64> = []
        for attempt in 0..<6 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = ["project", path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(20_000 + random.next() % 600_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let checkpoint = try SQLiteProjection(path: reader.sqlitePath).checkpoint().position
            checkpoints.insert(checkpoint)
            let tables = try SQLiteProjection(path: reader.sqlitePath).contents()
            let expected = SQLiteProjection.expectedContents(try reader.readModels(asOf: .position(checkpoint)))
            #expect(tables == expected, "seed \(seed), kill \(attempt): tables at checkpoint \(checkpoint) differ from the read models as of it")
        }
        let finished = try CLITests.ledger(["project", path])
        #expect(finished.status == 0)
        let tables = try SQLiteProjection(path: reader.sqlitePath).contents()
        #expect(try SQLiteProjection(path: reader.sqlitePath).checkpoint().position == head)
        #expect(tables == SQLiteProjection.expectedContents(try reader.readModels()), "seed \(seed)")
        _ = try reader.materialize(rebuild: true)
        #expect(try SQLiteProjection(path: reader.sqlitePath).contents() == tables, "seed \(seed): a rebuild gives the same tables")
        print("projection kill test (seed \(seed)): checkpoints seen after kills: \(checkpoints.sorted())")
    }
}

/// A small seeded generator for test timing (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
