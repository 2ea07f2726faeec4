import Foundation
import Testing

/// `tools/verify_ledger.py`, written from docs/FORMAT.md alone, reads and verifies the
/// ledgers our Swift code writes: the document is enough for an independent reader.
private let pythonAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")

@Suite(.enabled(if: pythonAvailable, "needs python3")) struct IndependentVerifierTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/verify_ledger.py").path
    }

    static func run(_ logDirectory: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, logDirectory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theIndependentVerifierAgreesOnTheHeadAndFindsABitFlip() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let directory = parent + "/books"
        try CLITests.ledger(["init", directory])
        try CLITests.ledger(["import", directory, CLITests.samplePath, "--skip-invalid", "--no-sqlite"])
        let ours = try CLITests.ledger(["verify", directory, "--json"]).standardOutput
        let (status, output) = try Self.run(directory + "/log")
        #expect(status == 0, "\(output)")
        let words = output.split(separator: " ")
        #expect(words.count >= 4 && words[0] == "OK" && words[2] == "120")
        #expect(words.count >= 4 && ours.contains("\"head_chain_hash\":\"\(words[3])\""), "ours: \(ours), theirs: \(output)")
        let segment = directory + "/log/segment-00000000000000000001.zst"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[200] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: segment))
        let (damagedStatus, damagedOutput) = try Self.run(directory + "/log")
        #expect(damagedStatus == 1)
        #expect(damagedOutput.hasPrefix("CORRUPT"))
        #expect(try CLITests.ledger(["verify", directory]).status == 3)
    }
}
