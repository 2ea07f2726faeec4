import Foundation
import Testing

/// The `ledger` executable end to end: run the built binary, compare its output and exit code.
@Suite struct CLITests {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The `ledger` binary built beside the test bundle (the test target depends on it).
    static var binary: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("ledger").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/ledger").path
        return fallback
    }

    @discardableResult
    static func ledger(_ arguments: [String], input: Data? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try inputPipe.fileHandleForWriting.close()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   standardOutput: String(decoding: outputData, as: UTF8.self),
                   standardError: String(decoding: errorData, as: UTF8.self))
    }

    static var samplePath: String { TestSupport.fixturesDirectory.appendingPathComponent("sample.jsonl").path }

    @Test func anAtomicImportWithRefusedLinesExitsOneAndWritesNothing() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let directory = parent + "/books"
        #expect(try Self.ledger(["init", directory]).status == 0)
        let run = try Self.ledger(["import", directory, Self.samplePath])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("Nothing appended: 105 of 235 lines refused"))
        #expect(run.standardOutput.contains("line 8: rule: "))
        let stats = try Self.ledger(["stats", directory, "--json"])
        #expect(stats.standardOutput.contains("\"events\":0"))
    }

    @Test func skipInvalidWithAReportReproducesTheFixtureOutcomesAndDump() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let directory = parent + "/books"
        try Self.ledger(["init", directory])
        let report = parent + "/report.json"
        let rejects = parent + "/rejects.jsonl"
        let run = try Self.ledger(["import", directory, Self.samplePath, "--skip-invalid", "--report", report, "--rejects", rejects])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("120 appended, 10 duplicates, 105 refused, 6 blank lines"))
        let rejected = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(rejected.count == 105)
        #expect(rejected.first?.contains("\"line\":8") == true)
        for (file, arguments) in [
            ("sample.expected.json", [String]()),
            ("sample.asof-position-60.expected.json", ["--as-of-position", "60"]),
            ("sample.asof-time-2026-02-15T12-00-00Z.expected.json", ["--as-of", "2026-02-15T12:00:00Z"]),
        ] {
            let dump = try Self.ledger(["dump", directory, "--outcomes-from", report] + arguments)
            #expect(dump.status == 0)
            #expect(dump.standardOutput == (try TestSupport.fixtureText(file)), "dump \(arguments) differs from \(file)")
        }
        // Re-running the import appends nothing.
        let again = try Self.ledger(["import", directory, Self.samplePath, "--skip-invalid", "--json"])
        #expect(again.standardOutput.contains("\"head_after\":120"))
        #expect(again.standardOutput.contains("\"head_before\":120"))
    }

    @Test func verifyPassesThenNamesTheDamagedPositionAfterABitFlip() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let directory = parent + "/books"
        try Self.ledger(["init", directory])
        try Self.ledger(["import", directory, Self.samplePath, "--skip-invalid"])
        let good = try Self.ledger(["verify", directory])
        #expect(good.status == 0)
        #expect(good.standardOutput.hasPrefix("OK: 120 events"))
        let logDirectory = directory + "/log"
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: logDirectory)
            .filter { $0.hasPrefix("segment") }.sorted().last)
        let path = logDirectory + "/" + segment
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 10] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: path))
        let bad = try Self.ledger(["verify", directory, "--json"])
        #expect(bad.status == 3)
        #expect(bad.standardOutput.contains("\"valid\":false"))
        #expect(bad.standardOutput.contains("\"position\":1"))
    }

    @Test func appendReadsStandardInputAndReportsEachLine() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let directory = parent + "/books"
        try Self.ledger(["init", directory])
        let lines = """
        {"id":"e-1","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u-admin","data":{"worker":"w-17","amount_cents":5000,"reason":"Great month"}}
        {"id":"e-2","tenant":"acme","type":"payout.paid","at":"2026-03-05T10:15:00Z","actor":"u-admin","data":{"worker":"w-17","amount_cents":6000,"reference":"p-1"}}
        {"id":"e-1","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00.000Z","actor":"u-admin","data":{"reason":"Great month","worker":"w-17","amount_cents":5000}}
        {"id":"e-3","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u-admin","data":{"worker":"w-17","amount_cents":50.5,"reason":""}}

        """
        let run = try Self.ledger(["append", directory], input: Data(lines.utf8))
        #expect(run.status == 1)
        let output = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(output.count == 4)
        #expect(output[0] == "line 1: appended at position 1")
        #expect(output[1].hasPrefix("line 2: refused: rule: payout of 6000 cents exceeds available 5000"))
        #expect(output[2] == "line 3: duplicate of position 1")
        #expect(output[3].hasPrefix("line 4: refused: invalid: "))
        let balance = try Self.ledger(["balance", directory, "--tenant", "acme", "--csv"])
        #expect(balance.standardOutput == "tenant,worker,available_cents,pending_cents,total_earned_cents\nacme,w-17,5000,0,5000\n")
        let stale = try Self.ledger(["append", directory, "--expect-head", "0"], input: Data(lines.utf8))
        #expect(stale.status == 4)
        #expect(stale.standardError.contains("expected head 0"))
    }

    @Test func exportThenImportRoundTripsToTheSameHead() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let directory = parent + "/books"
        try Self.ledger(["init", directory])
        try Self.ledger(["import", directory, Self.samplePath, "--skip-invalid"])
        let exported = parent + "/export.jsonl"
        #expect(try Self.ledger(["export", directory, "-o", exported]).status == 0)
        let copy = parent + "/copy"
        try Self.ledger(["init", copy])
        #expect(try Self.ledger(["import", copy, exported]).status == 0)
        let original = try Self.ledger(["verify", directory, "--json"]).standardOutput
        let copied = try Self.ledger(["verify", copy, "--json"]).standardOutput
        #expect(original.contains("\"head_position\":120"))
        #expect(original == copied)
        let acmeOnly = try Self.ledger(["export", directory, "--tenant", "acme"]).standardOutput
        #expect(!acmeOnly.isEmpty)
        #expect(!acmeOnly.contains("\"tenant\":\"globex\""))
    }

    @Test func queriesAnswerAsOfAPositionAndRejectBadOptions() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let directory = parent + "/books"
        try Self.ledger(["init", directory])
        try Self.ledger(["import", directory, Self.samplePath, "--skip-invalid"])
        for command in ["balance", "invoice", "order", "invitations", "subscription", "audit", "journal"] {
            let run = try Self.ledger([command, directory, "--as-of-position", "60", "--json"])
            #expect(run.status == 0, "\(command): \(run.standardError)")
            #expect(run.standardOutput.hasPrefix("["), "\(command) --json prints an array")
        }
        let history = try Self.ledger(["order", directory, "--tenant", "acme", "o-2"])
        #expect(history.status == 0)
        #expect(history.standardOutput.contains("order.rejected"))
        let badTime = try Self.ledger(["balance", directory, "--as-of", "2026-02-30T00:00:00Z"])
        #expect(badTime.status == 64)
        #expect(badTime.standardError.contains("--as-of"))
        let missing = try Self.ledger(["balance", parent + "/nothing"])
        #expect(missing.status == 4)
        #expect(missing.standardError.contains("not a ledger"))
    }
}
