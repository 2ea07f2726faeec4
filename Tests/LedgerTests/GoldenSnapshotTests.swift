import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine

/// Every golden snapshot in the top-level `snapshots/` folder (one per released snapshot
/// format version) still loads, the decider state it yields decides like a full replay, and
/// the read models it yields are the ones its `read-models.json` lists.
@Suite struct GoldenSnapshotTests {
    static var goldenRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("snapshots")
    }

    /// Events whose outcomes depend on the state at position 120 of the sample.
    static let probes: [(String, String)] = [
        (#"{"id":"p-1","tenant":"acme","type":"payout.paid","at":"2026-03-20T10:00:00Z","actor":"u-admin","data":{"worker":"w-1","amount_cents":36001,"reference":"p"}}"#, "rule"),
        (#"{"id":"p-2","tenant":"acme","type":"payout.paid","at":"2026-03-20T10:00:00Z","actor":"u-admin","data":{"worker":"w-1","amount_cents":36000,"reference":"p"}}"#, "appended"),
        (#"{"id":"p-3","tenant":"acme","type":"invoice.issued","at":"2026-03-20T10:00:00Z","actor":"u-admin","data":{"worker":"w-1","period":"2026-01"}}"#, "rule"),
        (#"{"id":"p-4","tenant":"acme","type":"order.placed","at":"2026-03-20T10:00:00Z","actor":"u-c1","data":{"order":"o-1","client":"u-c1","title":"again","price_cents":1}}"#, "rule"),
        (#"{"id":"p-5","tenant":"globex","type":"subscription.changed","at":"2026-03-20T10:00:00Z","actor":"u-admin","data":{"change":"created","plan":"x","mrr_cents":1}}"#, "rule"),
        (#"{"id":"e-001","tenant":"acme","type":"subscription.changed","at":"2026-01-02T09:00:00Z","actor":"u-admin","data":{"change":"created","plan":"team","mrr_cents":9900}}"#, "duplicate"),
    ]

    static func outcomes(of directory: String) throws -> (snapshotPosition: UInt64, warnings: [String], outcomes: [String]) {
        let writer = try LedgerWriter.open(directory: directory, options: TestSupport.fastOptions)
        defer { writer.close() }
        let outcomes = try probes.map { line, _ -> String in
            switch try writer.append(line: Array(line.utf8)) {
            case .appended: "appended"
            case .duplicate: "duplicate"
            case .refused(let refusal): refusal.code.rawValue
            }
        }
        return (writer.snapshotPosition, writer.snapshotWarnings, outcomes)
    }

    @Test func everyGoldenSnapshotLoadsAndDecidesLikeAFullReplay() throws {
        let versions = try FileManager.default.contentsOfDirectory(atPath: Self.goldenRoot.path)
            .filter { $0.hasPrefix("v") }.sorted()
        #expect(!versions.isEmpty, "snapshots/ must keep a golden snapshot per format version")
        for version in versions {
            let parent = TestSupport.temporaryDirectory("golden-\(version)")
            defer { TestSupport.cleanUp(parent) }
            let withSnapshot = parent + "/with"
            let withoutSnapshot = parent + "/without"
            let source = Self.goldenRoot.appendingPathComponent(version).appendingPathComponent("ledger").path
            try FileManager.default.copyItem(atPath: source, toPath: withSnapshot)
            try FileManager.default.copyItem(atPath: source, toPath: withoutSnapshot)
            try FileManager.default.removeItem(atPath: withoutSnapshot + "/snapshots")
            let loaded = try Self.outcomes(of: withSnapshot)
            #expect(loaded.warnings.isEmpty, "\(version): \(loaded.warnings)")
            #expect(loaded.snapshotPosition == 120, "\(version): the golden snapshot must be used, not skipped")
            let replayed = try Self.outcomes(of: withoutSnapshot)
            #expect(replayed.snapshotPosition == 0)
            #expect(loaded.outcomes == replayed.outcomes, "\(version)")
            #expect(loaded.outcomes == Self.probes.map(\.1), "\(version)")
            try Self.expectReadModels(version: version, parent: parent, source: source)
        }
    }

    /// The read models a golden ledger yields from its snapshot equal its `read-models.json`
    /// (`ledger dump --from-snapshot`), and those folded from the log alone.
    static func expectReadModels(version: String, parent: String, source: String) throws {
        let copy = parent + "/read-models"
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        let expectedPath = goldenRoot.appendingPathComponent(version).appendingPathComponent("read-models.json").path
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        let reader = try LedgerReader(directory: copy)
        let fromSnapshot = ExpectedDump.render(outcomes: [], models: try reader.readModels(includeHistories: false))
        #expect(fromSnapshot == expected, "\(version): the read models from its snapshot differ from read-models.json")
        if version == "v1" {
            // Format 1 holds the decider only: the read models come from the log, and it says so.
            #expect(reader.lastFold.snapshotPosition == 0)
            #expect(reader.lastFold.warnings.count == 1 && reader.lastFold.warnings[0].contains("no balances section"), "\(reader.lastFold.warnings)")
        } else {
            #expect(reader.lastFold.snapshotPosition == 120 && reader.lastFold.eventsRead == 0, "\(version): \(reader.lastFold)")
            #expect(reader.lastFold.warnings.isEmpty, "\(version): \(reader.lastFold.warnings)")
            let statuses = try reader.snapshotStatuses(deep: true)
            #expect(statuses.allSatisfy { $0.problem == nil && $0.matchesReplay == true }, "\(version): \(statuses.map(\.summary))")
        }
        reader.usesSnapshots = false
        let fromLog = ExpectedDump.render(outcomes: [], models: try reader.readModels(includeHistories: false))
        #expect(fromLog == expected, "\(version): the read models from the log differ from read-models.json")
    }
}
