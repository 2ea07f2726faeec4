import Foundation
import LedgerLog

/// Makes an import's staged records durable on a second thread, so that compressing,
/// hashing and writing one chunk overlaps staging the next one on the caller's thread.
///
/// At most one flush request is outstanding: `flush(through:)` first waits for the
/// previous one, which bounds what is staged to about two chunks. The log's group commit
/// makes this safe: the flushing thread leads the log's flush while the caller keeps
/// staging, and a later `waitUntilDurable` covers whatever the flush did not.
final class BackgroundFlusher: @unchecked Sendable {
    private let log: LogWriter
    private let queue = DispatchQueue(label: "ledger.import.flush")
    private let group = DispatchGroup()
    /// The first error a background flush threw; guarded by `group` (read only after `wait`).
    private var failure: (any Error)?

    init(log: LogWriter) { self.log = log }

    /// Waits for the previous request (rethrowing its error), then starts making records
    /// up to `position` durable in the background.
    func flush(through position: UInt64) throws {
        try wait()
        group.enter()
        queue.async { [self] in
            defer { group.leave() }
            do {
                try log.waitUntilDurable(through: position)
            } catch {
                failure = error
            }
        }
    }

    /// Waits for the outstanding request; rethrows the error of a failed one.
    func wait() throws {
        group.wait()
        if let failure { throw failure }
    }

    /// Waits for the outstanding request, ignoring its outcome (for unwinding after an error:
    /// a failed flush poisons the log, so the error shows again on the log's next use).
    func waitIgnoringErrors() {
        group.wait()
    }
}
