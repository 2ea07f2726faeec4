import Dispatch
import LedgerDomain

/// The second thread of a fold of the read models over two threads. The calling thread
/// reads the log (zstd frames, record framing), decodes each record into a `RecordedEvent`,
/// folds it into ``firstParts`` and hands it over (``hand(_:)``); the second thread folds the
/// same events, in the same order, into ``secondParts``. ``merged(with:)`` joins its half to
/// the caller's. Without a second thread (a short fold) the caller folds every part and the
/// same loop serves.
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

    /// Nil for a fold on the calling thread only.
    private let ring: Ring?
    private var slot = 0
    private var chunk: UnsafeMutablePointer<RecordedEvent>?
    private var count = 0
    private var finished = false
    /// The parts the calling thread folds: ``firstParts`` beside a second thread, else all.
    let callerParts: ReadModelParts

    /// With `secondThread`, starts the second thread, folding from `models`; without, the
    /// caller folds every part and ``hand(_:)`` does nothing.
    init(startingFrom models: ReadModels, secondThread: Bool) {
        callerParts = secondThread ? Self.firstParts : .all
        guard secondThread else {
            ring = nil
            return
        }
        let ring = Ring()
        self.ring = ring
        chunk = ring.events
        for _ in 1..<Self.chunksInFlight { ring.free.signal() }
        ring.done.enter()
        DispatchQueue(label: "ledger.fold.second").async {
            ring.fold(from: models)
            ring.done.leave()
        }
    }

    deinit {
        // Dropped without `merged(with:)` (an error while reading): stop the second thread.
        guard let ring, !finished else { return }
        ring.counts[slot] = count
        ring.lasts[slot] = true
        ring.filled.signal()
        ring.done.wait()
    }

    /// Hands the next event (already folded by the caller into ``callerParts``) to the second thread.
    @inline(__always)
    mutating func hand(_ recorded: consuming RecordedEvent) {
        guard let chunk else { return }
        (chunk + count).initialize(to: recorded)
        count += 1
        if count == Self.chunkEvents { handOver(last: false) }
    }

    /// The read models of the whole fold: `first` (the caller's, folded into ``callerParts``)
    /// with the second thread's parts, after handing over the last chunk and waiting for it.
    mutating func merged(with first: ReadModels) -> ReadModels {
        guard let ring else { return first }
        if !finished {
            finished = true
            handOver(last: true)
            ring.done.wait()
        }
        return ReadModels(merging: first, ring.result.pointee, takingFromSecond: Self.secondParts)
    }

    private mutating func handOver(last: Bool) {
        guard let ring else { return }
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
