import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog

/// Shared helpers of the facade and CLI tests.
enum TestSupport {
    /// `Tests/LedgerDomainTests/Fixtures`, an identical copy of `shared/fixtures`.
    static var fixturesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LedgerDomainTests/Fixtures")
    }

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: fixturesDirectory.appendingPathComponent(name))
    }

    static func fixtureText(_ name: String) throws -> String {
        String(decoding: try fixture(name), as: UTF8.self)
    }

    /// A fresh, empty temporary directory, removed by the caller with `cleanUp`.
    static func temporaryDirectory(_ label: String = "ledger-test") -> String {
        let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func cleanUp(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Options for tests: no fdatasync (the crash tests of the log check durability).
    static var fastOptions: LedgerOptions {
        var options = LedgerOptions()
        options.log.synchronous = false
        return options
    }

    /// A new ledger at a fresh path inside `parent`.
    static func newLedger(in parent: String, name: String = "ledger", options: LedgerOptions = fastOptions) throws -> (String, LedgerWriter) {
        let path = parent + "/" + name
        return (path, try LedgerWriter.open(directory: path, create: true, options: options))
    }

    /// The outcomes list of an expected fixture file, as (line, outcome).
    static func expectedOutcomes(_ name: String) throws -> [LineOutcome] {
        let json = try JSONSerialization.jsonObject(with: try fixture(name)) as! [String: Any]
        return (json["outcomes"] as! [[String: Any]]).map { entry in
            let line = entry["line"] as! Int
            switch entry["outcome"] as! String {
            case "appended": return LineOutcome(line: line, outcome: .appended(position: UInt64(entry["position"] as! Int)))
            case "duplicate": return LineOutcome(line: line, outcome: .duplicate(position: UInt64(entry["position"] as! Int)))
            default:
                let code = RefusalCode(rawValue: entry["code"] as! String)!
                return LineOutcome(line: line, outcome: .refused(Refusal(code, "")))
            }
        }
    }

    /// Outcomes with refusal messages blanked, to compare with the fixtures' (which have none).
    static func withoutMessages(_ outcomes: [LineOutcome]) -> [LineOutcome] {
        outcomes.map { entry in
            if case .refused(let refusal) = entry.outcome {
                return LineOutcome(line: entry.line, outcome: .refused(Refusal(refusal.code, "")))
            }
            return entry
        }
    }
}
