import ArgumentParser
import Ledger

extension LedgerCommand {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an empty ledger in a directory.")

        @Argument(help: "The ledger directory (created if missing; must be empty).")
        var directory: String

        func run() throws {
            try reportingFailures {
                let writer = try LedgerWriter.open(directory: directory, create: true)
                let head = writer.head.position
                writer.close()
                print(head == 0 ? "Initialised empty ledger in \(directory)" : "\(directory) already holds a ledger (head \(head))")
            }
        }
    }
}
