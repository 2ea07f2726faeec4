#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The callers waiting in `LogWriter.waitUntilDurable`: sleeping threads and suspended tasks.

/// A task suspended in the async `waitUntilDurable`, and the position it waits for.
struct AsyncDurabilityWaiter {
    let position: UInt64
    let continuation: UnsafeContinuation<ResumeHandOver, any Error>
}

/// An async waiter the end of a flush resumes once the log's lock is released, with the
/// error if the writer is poisoned or closed.
typealias PendingResume = (waiter: AsyncDurabilityWaiter, error: LogError?)

/// What a task resumed from the async `waitUntilDurable` resumes in turn: the other tasks
/// the same flush made durable. A flush covers tens of tasks under group commit, and
/// resuming them takes microseconds (a continuation each, the first wakes a thread of the
/// cooperative pool): the flush thread resumes one, which resumes the rest on the pool
/// while the flush thread writes and syncs the next batch.
struct ResumeHandOver {
    private let waiters: [PendingResume]
    private let first: Int

    /// Nothing to resume.
    init() {
        waiters = []
        first = 0
    }

    /// `waiters[first...]`, every one of them made durable (no error).
    init(_ waiters: [PendingResume], from first: Int) {
        self.waiters = waiters
        self.first = first
    }

    func resumeAll() {
        for index in first..<waiters.count { waiters[index].waiter.continuation.resume(returning: ResumeHandOver()) }
    }
}

/// One sleeping caller of `waitUntilDurable`: its position and its own condition variable
/// (used with the writer's `state` mutex). `woken` is set under that mutex.
final class DurabilityWaiter {
    let position: UInt64
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    var woken = false

    init(position: UInt64) {
        self.position = position
        // CLOCK_MONOTONIC: a gathering leader waits on it with a deadline of that clock.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        let result = pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        precondition(result == 0, "pthread_cond_init failed: \(result)")
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Marks it woken and signals it; the writer's `state` lock must be held.
    func wake() {
        woken = true
        signal()
    }

    /// Signals its condition (with or without the lock: it rechecks `woken` under the lock).
    func signal() {
        let result = pthread_cond_signal(condition)
        precondition(result == 0, "pthread_cond_signal failed: \(result)")
    }
}
