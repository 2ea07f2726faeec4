import ArgumentParser
import Foundation
import Ledger
import LedgerDomain

extension LedgerCommand {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a deterministic, realistic history of EVENTS.md events as JSON Lines.",
            discussion: "The same options always give the same bytes. See docs/GENERATOR.md.")

        @OptionGroup var history: HistoryOptions

        @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
        var output: String?

        func validate() throws { try history.check() }

        func run() throws {
            try reportingFailures {
                let file = try output.map { try BufferedFile(creating: $0) } ?? BufferedFile(standardOutput: ())
                var generator = HistoryGenerator(options: history.options)
                var buffer: [UInt8] = []
                buffer.reserveCapacity(1 << 20 + 4096)
                while generator.next(into: &buffer) {
                    if buffer.count >= 1 << 20 {
                        buffer.withUnsafeBytes { file.write($0) }
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
                buffer.withUnsafeBytes { file.write($0) }
                try file.close()
            }
        }
    }
}

struct HistoryOptions: ParsableArguments {
    @Option(name: .long, help: "How many lines to write.")
    var events: Int = 1_000_000

    @Option(name: .long, help: "How many tenants.")
    var tenants: Int = 10

    @Option(name: .long, help: "The random seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Days of business time the history spans.")
    var days: Int = 90

    @Option(name: .long, help: "Fraction of lines (0...1) replaced by refused, duplicate or conflicting ones.")
    var invalidRate: Double = 0

    var options: GeneratorOptions {
        GeneratorOptions(events: events, tenants: tenants, seed: seed, days: days, invalidRate: invalidRate)
    }

    func check() throws {
        do {
            try options.validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
