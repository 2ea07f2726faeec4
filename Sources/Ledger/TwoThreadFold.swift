import Dispatch
import LedgerDomain

/// The second thread of a fold of the read models over two threads. The calling thread
/// reads the log (zstd frames, record framing), decodes each record into a `RecordedEvent`,
/// folds it into ``firstParts`` and hands it over (``hand(_:)``); the second thread folds the
/// same events, in the same order, into ``secondParts``. ``finish()`` returns its half, which
/// `ReadModels(merging:_:takingFromSecond:)` joins to the caller's.
///
/// The split was chosen by profile (docs/PERFORMANCE.md): reading and decoding cost about as
/// much as the orders, invoices, balances and access models together, so those go to the
/// second thread, and the audit trail and the journal stay with the reader.
///
/// The events move through a ring of ``chunksInFlight`` chunks of raw memory: the reader
/// moves each event in, the second thread folds it in place and destroys it, so nothing is
/// copied or allocated per event, and no reference count is touched by both threads.
struct TwoThreadFold: ~Copyable {
    /// The parts the second thread folds.
    static let secondParts: ReadModelParts = [.orders, .invoices, .balances, .access]
    /// The parts the calling thread folds.
    static let firstParts = ReadModelParts.all.subtracting(secondParts)
    /// Events per chunk: enough that a hand-over (two semaphore operations) costs nothing per
    /// event, few enough that a chunk's events are still in cache when the second thread reads them.
    static let chunkEvents = 1024
    static let chunksInFlight = 8

    /// What both threads share: `let`s, and memory that the semaphores hand from one to the
    /// other (a chunk belongs to the reader until it signals `filled`, then to the folder
    /// until it signals `free`).
    private final class Ring: @unchecked Sendable {
        let events = UnsafeMutablePointer<RecordedEvent>.allocate(capacity: TwoThreadFold.chunksInFlight * TwoThreadFold.chunkEvents)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: TwoThreadFold.chunksInFlight)
        let lasts = UnsafeMutablePointer<Bool>.allocate(capacity: TwoThreadFold.chunksInFlight)
        let filled = DispatchSemaphore(value: 0)
        let free = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        /// The second thread's read models, written by it before it leaves `done`.
        let result = UnsafeMutablePointer<ReadModels>.allocate(capacity: 1)

        init() {
            counts.initialize(repeating: 0, count: TwoThreadFold.chunksInFlight)
            lasts.initialize(repeating: false, count: TwoThreadFold.chunksInFlight)
        }

        deinit {
            // The second thread destroyed every event it was handed, and wrote `result`.
            result.deinitialize(count: 1)
            result.deallocate()
            events.deallocate()
            counts.deallocate()
            lasts.deallocate()
        }

        func fold(from models: ReadModels) {
            var models = models
            var slot = 0
            let parts = TwoThreadFold.secondParts
            while true {
                filled.wait()
                let chunk = events + slot * TwoThreadFold.chunkEvents
                let count = counts[slot]
                for index in 0..<count { models.fold(chunk[index], parts: parts) }
                chunk.deinitialize(count: count)
                counts[slot] = 0
                if lasts[slot] { break }
                slot = (slot + 1) % TwoThreadFold.chunksInFlight
                free.signal()
            }
            result.initialize(to: models)
        }
    }

    private let ring = Ring()
    private var slot = 0
    private var chunk: UnsafeMutablePointer<RecordedEvent>
    private var count = 0
    private var finished = false

    /// Starts the second thread, folding from `models`.
    init(startingFrom models: ReadModels) {
        chunk = ring.events
        for _ in 1..<Self.chunksInFlight { ring.free.signal() }
        let ring = ring
        ring.done.enter()
        DispatchQueue(label: "ledger.fold.second").async {
            ring.fold(from: models)
            ring.done.leave()
        }
    }

    deinit {
        // Dropped without `finish()` (an error while reading): stop the second thread.
        guard !finished else { return }
        ring.counts[slot] = count
        ring.lasts[slot] = true
        ring.filled.signal()
        ring.done.wait()
    }

    /// Hands the next event (already folded into ``firstParts``) to the second thread.
    @inline(__always)
    mutating func hand(_ recorded: consuming RecordedEvent) {
        (chunk + count).initialize(to: recorded)
        count += 1
        if count == Self.chunkEvents { handOver(last: false) }
    }

    /// Hands over the last chunk, waits for the second thread and returns its read models.
    /// Also the way to stop after an error (the result is then dropped). Later calls return
    /// the same models.
    mutating func finish() -> ReadModels {
        if !finished {
            finished = true
            handOver(last: true)
            ring.done.wait()
        }
        return ring.result.pointee
    }

    private mutating func handOver(last: Bool) {
        ring.counts[slot] = count
        ring.lasts[slot] = last
        ring.filled.signal()
        guard !last else { return }
        ring.free.wait()
        slot = (slot + 1) % Self.chunksInFlight
        chunk = ring.events + slot * Self.chunkEvents
        count = 0
    }
}
