import GRDB
import LedgerDomain
import LedgerSQLite
import LedgerTestSupport
import Testing

/// The checkpoint: reopening continues where the last batch committed, a batch that does not
/// continue the checkpoint writes nothing, and the state kept in memory never goes stale.
@Suite struct SQLiteProjectionCheckpointTests {
    static let history = SQLiteRandomHistory.make(seed: 77, offeredCount: 2000)

    @Test func theHistoryIsLongEnoughForTheSplits() {
        #expect(Self.history.count > 450)
    }

    @Test func aNewDatabaseHasCheckpointZeroAndNoRows() throws {
        let directory = SQLiteTestSupport.temporaryDirectory("new")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let projection = try SQLiteProjection(path: directory + "/read-models.sqlite")
        let checkpoint = try projection.checkpoint()
        #expect(checkpoint.position == 0)
        #expect(checkpoint.chainHash == nil)
        #expect(try projection.contents() == SQLiteContents())
        // An empty batch changes nothing.
        try projection.apply([], chainHash: SQLiteTestSupport.chainHash(after: 0))
        #expect(try projection.checkpoint().position == 0)
        #expect(try projection.checkpoint().chainHash == nil)
    }

    @Test(arguments: [1, 57, 400])
    func reopeningAfterAPartialApplyContinuesToTheSameTables(splitPosition: Int) throws {
        let history = Self.history
        try #require(history.count > splitPosition)
        let directory = SQLiteTestSupport.temporaryDirectory("reopen")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        do {
            let first = try SQLiteProjection(path: path)
            var random = SeededGenerator(state: UInt64(splitPosition))
            try SQLiteTestSupport.applyInRandomBatches(history[..<splitPosition], to: first, batchSizes: 1...90, using: &random)
        }
        // A new instance knows nothing but the file: it restores its rows from the tables.
        let second = try SQLiteProjection(path: path)
        let checkpoint = try second.checkpoint()
        #expect(checkpoint.position == UInt64(splitPosition))
        #expect(checkpoint.chainHash == SQLiteTestSupport.chainHash(after: UInt64(splitPosition)))
        SQLiteTestSupport.expectEqual(
            try second.contents(), SQLiteProjection.expectedContents(SQLiteTestSupport.models(history[..<splitPosition])),
            "reopened at \(splitPosition)")
        var random = SeededGenerator(state: UInt64(splitPosition) + 1)
        try SQLiteTestSupport.applyInRandomBatches(history[splitPosition...], to: second, batchSizes: 1...90, using: &random)
        SQLiteTestSupport.expectEqual(
            try second.contents(), SQLiteProjection.expectedContents(SQLiteTestSupport.models(history)),
            "continued from \(splitPosition)")
    }

    @Test func twoInstancesTakingTurnsOnOneFileStayExact() throws {
        let history = Self.history
        let directory = SQLiteTestSupport.temporaryDirectory("turns")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        let instances = [try SQLiteProjection(path: path), try SQLiteProjection(path: path)]
        var random = SeededGenerator(state: 5)
        var start = 0
        var turn = 0
        while start < history.count {
            // Each instance's rows in memory are stale after the other's batch.
            let end = min(start + Int.random(in: 1...60, using: &random), history.count)
            try instances[turn % 2].apply(Array(history[start..<end]), chainHash: SQLiteTestSupport.chainHash(after: UInt64(end)))
            start = end
            turn += 1
        }
        #expect(turn > 10)
        let expected = SQLiteProjection.expectedContents(SQLiteTestSupport.models(history))
        SQLiteTestSupport.expectEqual(try instances[0].contents(), expected, "after taking turns")
    }

    @Test func positionsThatDoNotContinueTheCheckpointThrowAndWriteNothing() throws {
        let history = Self.history
        let directory = SQLiteTestSupport.temporaryDirectory("gap")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let projection = try SQLiteProjection(path: directory + "/read-models.sqlite")

        // Into an empty database, the first event must be position 1.
        #expect(throws: SQLiteProjectionError.positionGap(expected: 1, found: 2)) {
            try projection.apply(Array(history[1..<5]), chainHash: SQLiteTestSupport.chainHash(after: 5))
        }
        #expect(try projection.checkpoint().position == 0)
        #expect(try projection.contents() == SQLiteContents())

        try projection.apply(Array(history[0..<10]), chainHash: SQLiteTestSupport.chainHash(after: 10))
        let before = try projection.contents()
        let hash = SQLiteTestSupport.chainHash(after: 12)
        // Repeats a position already applied.
        #expect(throws: SQLiteProjectionError.positionGap(expected: 11, found: 10)) {
            try projection.apply(Array(history[9..<12]), chainHash: hash)
        }
        // Skips position 11.
        #expect(throws: SQLiteProjectionError.positionGap(expected: 11, found: 12)) {
            try projection.apply(Array(history[11..<12]), chainHash: hash)
        }
        // Continues the checkpoint but skips a position inside the batch.
        #expect(throws: SQLiteProjectionError.positionGap(expected: 12, found: 13)) {
            try projection.apply([history[10], history[12]], chainHash: hash)
        }
        // Positions out of order inside the batch.
        #expect(throws: SQLiteProjectionError.positionGap(expected: 12, found: 11)) {
            try projection.apply([history[10], history[10]], chainHash: hash)
        }
        #expect(try projection.contents() == before)
        #expect(try projection.checkpoint().position == 10)
        #expect(try projection.checkpoint().chainHash == SQLiteTestSupport.chainHash(after: 10))

        // The refused batches left no trace: the right one applies and the tables are exact.
        try projection.apply(Array(history[10...]), chainHash: SQLiteTestSupport.chainHash(after: UInt64(history.count)))
        SQLiteTestSupport.expectEqual(
            try projection.contents(), SQLiteProjection.expectedContents(SQLiteTestSupport.models(history)), "after refusals")
    }

    @Test func tablesOfAnotherFormatVersionAreRefusedUntilReset() throws {
        let directory = SQLiteTestSupport.temporaryDirectory("version")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        try SQLiteProjection(path: path).apply(Array(Self.history[0..<20]), chainHash: SQLiteTestSupport.chainHash(after: 20))
        try DatabaseQueue(path: path).write { database in
            try database.execute(sql: "UPDATE projection_checkpoint SET format_version = 99")
        }
        let projection = try SQLiteProjection(path: path)
        let mismatch = SQLiteProjectionError.formatVersionMismatch(found: 99, expected: SQLiteProjection.formatVersion)
        #expect(throws: mismatch) { try projection.checkpoint() }
        #expect(throws: mismatch) { try projection.contents() }
        #expect(throws: mismatch) {
            try projection.apply(Array(Self.history[20..<21]), chainHash: SQLiteTestSupport.chainHash(after: 21))
        }
        try projection.reset()
        #expect(try projection.checkpoint().position == 0)
        try projection.apply(Array(Self.history[0..<20]), chainHash: SQLiteTestSupport.chainHash(after: 20))
        SQLiteTestSupport.expectEqual(
            try projection.contents(), SQLiteProjection.expectedContents(SQLiteTestSupport.models(Self.history[0..<20])),
            "after reset")
    }

    @Test func aBatchThatFailsHalfWayIsRolledBackAndTheNextOneIsExact() throws {
        let history = Self.history
        let directory = SQLiteTestSupport.temporaryDirectory("rollback")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        let projection = try SQLiteProjection(path: path)
        try projection.apply(Array(history[0..<100]), chainHash: SQLiteTestSupport.chainHash(after: 100))
        let before = try projection.contents()
        // Another connection takes the audit_log row of position 150: the next batch fails on
        // its fiftieth event, after folding and writing the first forty-nine.
        let other = try DatabaseQueue(path: path)
        try other.write { database in
            try database.execute(
                sql: "INSERT INTO audit_log (position, tenant, at, at_microseconds, actor, type, target) VALUES (150, 'x', '', 0, '', '', '')")
        }
        #expect(throws: DatabaseError.self) {
            try projection.apply(Array(history[100..<200]), chainHash: SQLiteTestSupport.chainHash(after: 200))
        }
        #expect(try projection.checkpoint().position == 100)
        try other.write { database in try database.execute(sql: "DELETE FROM audit_log WHERE position = 150") }
        #expect(try projection.contents() == before)
        // The rows the failed batch folded in memory are gone with it.
        try projection.apply(Array(history[100...]), chainHash: SQLiteTestSupport.chainHash(after: UInt64(history.count)))
        SQLiteTestSupport.expectEqual(
            try projection.contents(), SQLiteProjection.expectedContents(SQLiteTestSupport.models(history)), "after a rollback")
    }

    @Test func rowsAlteredByHandAreReportedWhenRestored() throws {
        let directory = SQLiteTestSupport.temporaryDirectory("altered")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let path = directory + "/read-models.sqlite"
        try SQLiteProjection(path: path).apply(Array(Self.history[0..<200]), chainHash: SQLiteTestSupport.chainHash(after: 200))
        try DatabaseQueue(path: path).write { database in
            try database.execute(sql: "UPDATE orders SET state = 'lost'")
        }
        let reopened = try SQLiteProjection(path: path)
        #expect(throws: SQLiteProjectionError.badValue(table: "orders", column: "state", value: "lost")) {
            try reopened.apply([Self.history[200]], chainHash: SQLiteTestSupport.chainHash(after: 201))
        }
        #expect(try reopened.checkpoint().position == 200)
    }
}
