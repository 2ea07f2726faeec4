import ArgumentParser
import Foundation
import Ledger

/// `ledger`: an event-sourced ledger and audit core, driven like `git` or `sqlite3`.
@main
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "An append-only, compressed, tamper-evident ledger of back-office events.",
        discussion: """
        Exit codes: 0 success; 1 some lines were refused (see the report); 3 verification \
        found damage; 4 the ledger could not be opened, read or written; 64 bad usage.
        """,
        subcommands: [
            Init.self, Import.self, Append.self, Verify.self, Stats.self, Export.self,
            Balance.self, Invoice.self, Order.self, Invitations.self, Subscription.self, Audit.self,
            Journal.self, Dump.self, Replay.self, Project.self, Snapshot.self, Snapshots.self, Generate.self, Demo.self,
        ]
    )
}

/// Exit codes that scripts can rely on (documented in the README).
enum ExitStatus {
    static let refused = ExitCode(1)
    static let damaged = ExitCode(3)
    static let failure = ExitCode(4)
}

/// Runs `body`, turning ledger and log errors into a message on stderr and exit code 4.
func reportingFailures<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        Terminal.error("\(error)")
        throw ExitStatus.failure
    }
}

enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("ledger: error: \(message)\n".utf8))
    }
    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("ledger: warning: \(message)\n".utf8))
    }
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts instead of a human table.")
    var json = false
}
