import ArgumentParser
import Foundation
import Ledger
import LedgerDomain

extension LedgerCommand {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the log as canonical JSON Lines, which `ledger import` reads back to an identical log.")

        @Argument(help: "The ledger directory.")
        var directory: String

        @Option(name: .long, help: "Only this tenant's events.")
        var tenant: String?

        @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
        var output: String?

        func run() throws {
            try reportingFailures {
                let reader = try LedgerReader(directory: directory)
                let file = try output.map { try BufferedFile(creating: $0) } ?? BufferedFile(standardOutput: ())
                try reader.export(tenant: tenant.map { Name($0) }) { file.write($0) }
                try file.close()
            }
        }
    }
}
