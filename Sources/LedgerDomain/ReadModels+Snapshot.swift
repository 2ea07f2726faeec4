#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// A compact, versioned, deterministic binary image of the read models (the projectors'
/// state) at a log position, in two parts: the worker balances, which the balances-only
/// replay (`BalanceFold`) starts from alone, and everything else. Queries as of a position or
/// a time start from the newest snapshot and fold only the events after it.
///
/// The history lists, which grow by one entry per event (the audit trail, each order's
/// history, the journal's transfers), are not in a snapshot: they are filtered copies of the
/// log, and a query that needs them folds from position 1. Models decoded from a snapshot do
/// not keep histories (`keepsHistories` is false).
///
/// Layout (all integers are LEB128 varints, signed ones zigzag-encoded; a name is its UTF-8
/// byte count then its bytes; "opt" is a presence byte, 0 or 1, followed by the field when 1;
/// entries are sorted by the bytes of their keys, strictly ascending, so the same models
/// always give the same bytes):
///
/// ```
/// balance bytes
/// version                  varint (balanceSnapshotFormatVersion)
/// balances                 count, then per entry (sorted by tenant bytes, then worker bytes):
///                          tenant, worker, available zigzag, pending zigzag, total earned zigzag
///
/// state bytes
/// version                  varint (stateSnapshotFormatVersion)
/// tenants                  count, then per tenant (sorted by tenant bytes), every table
///                          written even when empty:
///   tenant                 name
///   audit count            varint >= 1 (the tenant's folded events; the counts of all
///                          tenants add up to the snapshot's position)
///   latest at              zigzag (microseconds since the epoch)
///   fixed monthly rates    count, then per worker (sorted): worker, fixed monthly cents zigzag
///   invoices               count, then per entry (sorted by worker bytes, then period):
///                          worker, period ordinal zigzag (year * 12 + month - 1, years
///                          0000-9999), submission count zigzag, work pay zigzag, bonus zigzag,
///                          fine zigzag, opt frozen fixed pay zigzag (present once issued)
///   orders                 count, then per order (sorted): order, status u8 (OrderStatus),
///                          opt client, opt manager, opt writer, opt fee zigzag,
///                          opt price zigzag, opt submissions zigzag, opt title
///   invitations            count, then per invitation (sorted): invitation, status u8
///                          (1 pending, 2 accepted, 3 revoked; never 4 expired), opt email,
///                          opt role u8, opt expires_at zigzag, opt user
///   users                  count, then per user (sorted): user, role u8
///   subscription           opt: plan, mrr zigzag, status u8, history count >= 1, then per
///                          change in log order: position varint (strictly ascending, at
///                          most the snapshot's position), at zigzag, actor, change u8, plan,
///                          mrr zigzag; plan, mrr and status are those of the last change
///   journal accounts       count, then per account (sorted by the bytes of its name, e.g.
///                          `worker:w-1:available`): kind u8 (1 expense:work, 2 expense:bonus,
///                          3 expense:fixed, 4 income:fines, 5 asset:cash, 6 worker pending,
///                          7 worker available), the worker name for kinds 6 and 7,
///                          balance zigzag (credits minus debits)
/// ```
///
/// Decoding accepts only this canonical form (keys strictly ascending, presence bytes 0 or 1,
/// known enum values, valid UTF-8, no trailing bytes) so that bytes(decode(bytes)) == bytes;
/// a balance whose tenant is not in the state bytes is malformed too.
extension ReadModels {
    /// The version of what the projectors hold and mean: bumped whenever a snapshot of an
    /// older build would be misread, so that such snapshots are skipped.
    public static let snapshotStateVersion: UInt32 = 1
    /// The leading version of ``balanceSnapshotBytes()``.
    public static let balanceSnapshotFormatVersion: UInt64 = 1
    /// The leading version of ``stateSnapshotBytes()``.
    public static let stateSnapshotFormatVersion: UInt64 = 1

    /// Every (tenant, worker) balance as snapshot bytes (see the layout above). The models must
    /// fold every event (`asOf == .end`).
    ///
    /// ```swift
    /// var models = ReadModels(keepsHistories: false)
    /// for recorded in log { models.fold(recorded) }
    /// let balances = models.balanceSnapshotBytes()
    /// let state = models.stateSnapshotBytes()
    /// // Later: start from the snapshot and fold only the events after it.
    /// var restored = try balances.withUnsafeBytes { balanceBytes in
    ///     try state.withUnsafeBytes { stateBytes in
    ///         try ReadModels(asOf: .end, lastPosition: models.lastPosition,
    ///                        balanceSnapshot: balanceBytes, stateSnapshot: stateBytes)
    ///     }
    /// }
    /// for recorded in logTail { restored.fold(recorded) }
    /// ```
    public func balanceSnapshotBytes() -> [UInt8] {
        precondition(asOf == .end, "a snapshot holds models that fold every event, not \(asOf)")
        var writer = SnapshotWriter()
        writer.unsigned(Self.balanceSnapshotFormatVersion)
        let sortedModels = tenantModels.sorted { $0.tenant < $1.tenant }
        writer.unsigned(UInt64(sortedModels.reduce(0) { $0 + $1.balanceTable.count }))
        for models in sortedModels {
            for balance in models.balances() {
                writer.name(models.tenant)
                writer.name(balance.worker)
                writer.signed(balance.availableCents)
                writer.signed(balance.pendingCents)
                writer.signed(balance.totalEarnedCents)
            }
        }
        return writer.bytes
    }

    /// Every read model of every tenant except the balances and the history lists, as snapshot
    /// bytes (see the layout above). The models must fold every event (`asOf == .end`); they
    /// may keep histories, which are left out.
    public func stateSnapshotBytes() -> [UInt8] {
        precondition(asOf == .end, "a snapshot holds models that fold every event, not \(asOf)")
        var writer = SnapshotWriter()
        writer.unsigned(Self.stateSnapshotFormatVersion)
        writer.unsigned(UInt64(tenantModels.count))
        for models in tenantModels.sorted(by: { $0.tenant < $1.tenant }) {
            models.writeSnapshot(into: &writer)
        }
        return writer.bytes
    }

    /// Rebuilds the models of a snapshot at `lastPosition` from its two parts
    /// (``balanceSnapshotBytes()`` and ``stateSnapshotBytes()``), so that folding the events
    /// after `lastPosition` gives what folding the whole log gives. The models do not keep
    /// histories. The caller guarantees that `asOf` selects every event up to `lastPosition`
    /// (for `.time(T)`: every such event has `at` <= T); invitation expiry is then judged at T.
    ///
    /// Anything malformed (truncated, unknown version or enum value, invalid UTF-8, keys out
    /// of order, a balance of a tenant absent from the state bytes, audit counts that do not
    /// add up to `lastPosition`, trailing bytes) throws ``SnapshotError`` naming the offset
    /// and the part it is in.
    public init(
        asOf: AsOf, lastPosition: UInt64, balanceSnapshot: UnsafeRawBufferPointer,
        stateSnapshot: UnsafeRawBufferPointer
    ) throws(SnapshotError) {
        if case .position(let last) = asOf {
            precondition(lastPosition <= last, "a snapshot at \(lastPosition) is past the as-of position \(last)")
        }
        self.init(asOf: asOf, keepsHistories: false)
        self.lastPosition = lastPosition
        do throws(SnapshotError) {
            try readState(stateSnapshot)
        } catch {
            throw error.inPart("state bytes")
        }
        do throws(SnapshotError) {
            var balances = try BalanceSnapshotReader(bytes: balanceSnapshot)
            while let entry = try balances.next() {
                guard let index = tenantIndexes[entry.tenant] else {
                    throw SnapshotError(
                        offset: entry.offset,
                        reason: "balance of \(entry.tenant)/\(entry.balance.worker), a tenant the state bytes do not hold")
                }
                tenantModels[index].balanceTable[entry.balance.worker] = entry.balance
            }
        } catch {
            throw error.inPart("balance bytes")
        }
    }

    private mutating func readState(_ bytes: UnsafeRawBufferPointer) throws(SnapshotError) {
        var reader = SnapshotReader(bytes: bytes)
        let version = try reader.unsigned("version")
        guard version == Self.stateSnapshotFormatVersion else {
            throw SnapshotError(offset: 0, reason: "unknown state snapshot format version \(version), expected \(Self.stateSnapshotFormatVersion)")
        }
        var positionsLeft = lastPosition
        var previousTenant: Name? = nil
        for _ in 0..<(try reader.count("tenant count")) {
            let tenant = try reader.name(after: previousTenant, "tenant")
            previousTenant = tenant
            var models = TenantReadModels(tenant: tenant, asOf: asOf, keepsHistories: false)
            try models.readSnapshot(from: &reader, positionsLeft: &positionsLeft, lastPosition: lastPosition)
            tenantIndexes[tenant] = tenantModels.count
            tenantModels.append(models)
        }
        guard positionsLeft == 0 else {
            throw SnapshotError(
                offset: reader.offset,
                reason: "the tenants' audit counts add up to \(lastPosition - positionsLeft), not to the position \(lastPosition)")
        }
        guard reader.offset == bytes.count else {
            throw SnapshotError(offset: reader.offset, reason: "\(bytes.count - reader.offset) trailing bytes after the snapshot")
        }
    }
}

extension BalanceFold {
    /// Rebuilds the balances of a snapshot at `lastPosition` from its balance part
    /// (`ReadModels.balanceSnapshotBytes()`), so that folding the events after `lastPosition`
    /// gives what folding the whole log gives. The caller guarantees that `asOf` selects every
    /// event up to `lastPosition`. Malformed bytes throw ``SnapshotError`` naming the offset.
    /// With `scope`, only the entries it includes are kept (the others are still checked).
    public init(asOf: AsOf, lastPosition: UInt64, balanceSnapshot: UnsafeRawBufferPointer,
                scope: BalanceScope? = nil) throws(SnapshotError) {
        if case .position(let last) = asOf {
            precondition(lastPosition <= last, "a snapshot at \(lastPosition) is past the as-of position \(last)")
        }
        self.init(asOf: asOf, scope: scope)
        self.lastPosition = lastPosition
        do throws(SnapshotError) {
            var balances = try BalanceSnapshotReader(bytes: balanceSnapshot)
            if let scope {
                while let entry = try balances.nextRaw() {
                    guard scope.includes(tenant: entry.tenant, worker: entry.worker) else { continue }
                    let worker = Name(String(decoding: entry.worker, as: UTF8.self))
                    let balance = WorkerBalance(worker: worker, availableCents: entry.availableCents,
                                                pendingCents: entry.pendingCents, totalEarnedCents: entry.totalEarnedCents)
                    table.insert(balance, tenant: Name(String(decoding: entry.tenant, as: UTF8.self)))
                }
            } else {
                while let entry = try balances.next() { table.insert(entry.balance, tenant: entry.tenant) }
            }
        } catch {
            throw error.inPart("balance bytes")
        }
    }
}

/// Reads the balance part of a snapshot one (tenant, balance) at a time, for `ReadModels` and
/// `BalanceFold` alike.
struct BalanceSnapshotReader {
    private var reader: SnapshotReader
    private var entriesLeft: Int

    init(bytes: UnsafeRawBufferPointer) throws(SnapshotError) {
        reader = SnapshotReader(bytes: bytes)
        let version = try reader.unsigned("version")
        guard version == ReadModels.balanceSnapshotFormatVersion else {
            throw SnapshotError(
                offset: 0, reason: "unknown balance snapshot format version \(version), expected \(ReadModels.balanceSnapshotFormatVersion)")
        }
        entriesLeft = try reader.count("balance count")
    }

    /// The next balance and the offset its entry starts at, or nil after the last one (then
    /// the bytes must end).
    /// The next entry as bytes (checked like `next()`: UTF-8, strictly increasing keys), or nil
    /// after the last one. The bytes point into the snapshot's. `next()` is this with `Name`s.
    mutating func nextRaw() throws(SnapshotError) -> (tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer,
                                                       availableCents: Int64, pendingCents: Int64, totalEarnedCents: Int64)? {
        guard entriesLeft > 0 else {
            guard reader.offset == reader.bytes.count else {
                throw SnapshotError(offset: reader.offset, reason: "\(reader.bytes.count - reader.offset) trailing bytes after the snapshot")
            }
            return nil
        }
        entriesLeft -= 1
        let start = reader.offset
        let tenant = try reader.nameBytes("tenant")
        let worker = try reader.nameBytes("id")
        if let previousRaw {
            let order = Self.compare(previousRaw.tenant, tenant)
            guard order < 0 || (order == 0 && Self.compare(previousRaw.worker, worker) < 0) else {
                throw SnapshotError(offset: start, reason: "key \(String(decoding: tenant, as: UTF8.self))/\(String(decoding: worker, as: UTF8.self)) is not after the previous one")
            }
        }
        previousRaw = (tenant, worker)
        return (tenant, worker, try reader.signed("balance available cents"), try reader.signed("balance pending cents"),
                try reader.signed("balance total earned cents"))
    }

    private var previousRaw: (tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer)? = nil

    /// Byte order (the order `Name` sorts in): negative, zero or positive.
    private static func compare(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Int {
        let common = min(left.count, right.count)
        if common > 0 {
            let order = memcmp(left.baseAddress!, right.baseAddress!, common)
            if order != 0 { return Int(order) }
        }
        return left.count - right.count
    }

    mutating func next() throws(SnapshotError) -> (offset: Int, tenant: Name, balance: WorkerBalance)? {
        let start = reader.offset
        guard let entry = try nextRaw() else { return nil }
        let balance = WorkerBalance(
            worker: Name(String(decoding: entry.worker, as: UTF8.self)), availableCents: entry.availableCents,
            pendingCents: entry.pendingCents, totalEarnedCents: entry.totalEarnedCents)
        return (start, Name(String(decoding: entry.tenant, as: UTF8.self)), balance)
    }
}

extension SnapshotError {
    /// The same error, its reason saying which part of a snapshot the offset is in.
    func inPart(_ part: String) -> SnapshotError {
        SnapshotError(offset: offset, reason: "in the \(part): \(reason)")
    }
}
