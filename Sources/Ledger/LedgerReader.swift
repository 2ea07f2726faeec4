import Foundation
import LedgerDomain
import LedgerEngine
import LedgerLog

/// The reading side of a ledger directory: queries, as-of folds, export, verify and
/// statistics. Takes no lock, so it can run beside a writer; it sees the batches
/// that were complete when it read them.
///
/// ```swift
/// let reader = try LedgerReader(directory: "books")
/// let models = try reader.readModels(asOf: .time(march31))
/// ```
public final class LedgerReader {
    public let directory: String
    let log: LogReader

    public init(directory: String) throws {
        let layout = LedgerLayout(directory: directory)
        try layout.checkExists()
        self.directory = directory
        self.log = try LogReader(directory: layout.logDirectory)
    }

    /// The last complete position and its chain hash.
    public func head() throws -> LogHead { try log.head() }

    /// Calls `body` with every appended event in log order, from `from` through `through`.
    public func forEachEvent(from: UInt64 = 1, through: UInt64 = .max, _ body: (RecordedEvent) throws -> Void) throws {
        try log.forEach(from: from, through: through) { view in
            let (event, effect) = try LedgerCodec.decode(view)
            try body(RecordedEvent(position: view.position, event: event, effect: effect))
        }
    }

    /// Every read model, folded from the log as of `asOf`.
    public func readModels(asOf: AsOf = .end) throws -> ReadModels {
        var models = ReadModels(asOf: asOf)
        var through = UInt64.max
        if case .position(let position) = asOf { through = position }
        try forEachEvent(through: through) { models.fold($0) }
        return models
    }

    /// Writes the log as canonical JSON Lines (one event per line, in log order), the
    /// form `ledger import` reads back into an identical log content.
    public func export(tenant: Name? = nil, through: UInt64 = .max, to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.exportBufferBytesMax + 4096)
        try log.forEach(from: 1, through: through) { view in
            if let tenant {
                var name = tenant.string
                let matches = name.withUTF8 { bytes in
                    bytes.count == view.tenant.count && memcmp(bytes.baseAddress!, view.tenant.baseAddress!, bytes.count) == 0
                }
                guard matches else { return }
            }
            let (event, _) = try LedgerCodec.decode(view)
            EventLineWriter.write(event, into: &buffer)
            if buffer.count >= Self.exportBufferBytesMax {
                try buffer.withUnsafeBytes(write)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try buffer.withUnsafeBytes(write) }
    }

    static let exportBufferBytesMax = 1 << 20

    /// Checks every checksum and the whole hash chain.
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) -> VerifyReport {
        log.verify(progress: progress)
    }

    /// Figures of the log (events, segments, bytes).
    public func statistics() throws -> LogStatistics { try log.statistics() }
}

extension LedgerReader {
    /// Worker balances only, the fast path: each record's money fields are read straight
    /// from its payload bytes (no `Event` is built), and only money events touch the fold.
    /// Returns the fold and the number of events read.
    public func balances(asOf: AsOf = .end) throws -> (balances: BalanceFold, events: UInt64) {
        var fold = BalanceFold(asOf: asOf)
        var events: UInt64 = 0
        var through = UInt64.max
        if case .position(let position) = asOf { through = position }
        try log.forEach(from: 1, through: through) { view in
            events += 1
            guard let money = try EventBinaryCodec.decodeMoney(type: view.type, payload: view.payload) else { return }
            guard asOf.includes(position: view.position, at: Timestamp(microseconds: view.at)) else { return }
            let movement: BalanceMovement
            switch money.kind {
            case .approval: movement = .approval(feeCents: money.amountCents)
            case .completion: movement = .completion(feeCents: money.amountCents)
            case .bonus: movement = .bonus(amountCents: money.amountCents)
            case .fine: movement = .fine(amountCents: money.amountCents)
            case .payout: movement = .payout(amountCents: money.amountCents)
            case .invoice: movement = .fixedPay(amountCents: money.amountCents)
            }
            fold.apply(movement, tenant: view.tenant, worker: money.worker)
        }
        return (fold, events)
    }
}
