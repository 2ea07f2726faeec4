import Testing
import Foundation
@testable import LedgerDomain

@Test func generatorScratchDump() throws {
    for (name, rate) in [("r0", 0.0), ("r1", 0.1)] {
        var generator = HistoryGenerator(options: GeneratorOptions(events: 20000, seed: 1, invalidRate: rate))
        var output: [UInt8] = []
        var kinds: [String] = []
        while generator.next(into: &output) { kinds.append("\(generator.lastLineKind)") }
        try Data(output).write(to: URL(fileURLWithPath: "/tmp/gen/\(name).jsonl"))
        try kinds.joined(separator: "\n").write(toFile: "/tmp/gen/\(name).kinds", atomically: true, encoding: .utf8)
    }
}
