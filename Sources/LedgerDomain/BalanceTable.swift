import LedgerLog
/// An open-addressing hash table from (tenant bytes, worker bytes) to a worker balance, for the
/// balances-only replay: a lookup hashes and compares raw UTF-8 bytes, so a replay that reads
/// the worker id straight out of a log record never builds a `String` for it.
///
/// Keys are stored back to back in one byte array; slots hold entry indexes (linear probing,
/// power-of-two capacity, at most half full). Nothing is allocated per lookup; a new
/// (tenant, worker) appends its bytes and an entry, and the slots double when half full.
/// Hashing is `KeyedHash` (a multiply-mix hash keyed per process), so crafted ids cannot make
/// collisions on purpose.
struct BalanceTable: Sendable {
    /// Where an entry's key lives in `keyBytes`, and its full hash (compared before the bytes).
    struct KeyRecord: Sendable {
        var hash: Int
        var offset: Int
        var tenantByteCount: Int
        var workerByteCount: Int
    }

    static let slotsCountInitial = 64
    /// An empty slot; a full one holds its entry's index.
    static let slotEmpty: Int32 = -1
    /// Entry indexes are stored as `Int32` to keep the slot array small.
    static let entriesCountMax = Int(Int32.max) / 2

    /// Copied into each table, so that a lookup reads no global.
    private let hasher = KeyedHash()
    private var slots: [Int32] = Array(repeating: BalanceTable.slotEmpty, count: BalanceTable.slotsCountInitial)
    private var keyBytes: [UInt8] = []
    private var keys: [KeyRecord] = []
    /// The tenant of each entry, parallel to `keys`.
    private(set) var tenants: [Name] = []
    /// The balance of each entry, parallel to `keys`.
    private(set) var balances: [WorkerBalance] = []

    var count: Int { keys.count }

    /// The entry index of (tenant, worker), or nil.
    func index(tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) -> Int? {
        let hash = hash(tenant: tenant, worker: worker)
        switch probe(hash: hash, tenant: tenant, worker: worker) {
        case .found(let index): return index
        case .empty: return nil
        }
    }

    /// Applies `movement` to the balance of (tenant, worker), creating it when new.
    mutating func apply(_ movement: BalanceMovement, tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) {
        let hash = hash(tenant: tenant, worker: worker)
        switch probe(hash: hash, tenant: tenant, worker: worker) {
        case .found(let index):
            balances[index].apply(movement)
        case .empty(let slot):
            let index = insert(hash: hash, slot: slot, tenant: tenant, worker: worker)
            balances[index].apply(movement)
        }
    }

    /// Adds the balance of a (tenant, worker) that is not in the table yet, as a snapshot
    /// holds it; a key already present is a broken invariant (snapshot keys are unique).
    mutating func insert(_ balance: WorkerBalance, tenant: Name) {
        tenant.withUTF8Bytes { tenant in
            balance.worker.withUTF8Bytes { worker in
                let hash = hash(tenant: tenant, worker: worker)
                guard case .empty(let slot) = probe(hash: hash, tenant: tenant, worker: worker) else {
                    preconditionFailure("balance of \(balance.worker) inserted twice")
                }
                let index = insert(hash: hash, slot: slot, tenant: tenant, worker: worker)
                balances[index] = balance
            }
        }
    }

    private enum Probe {
        case found(Int)
        /// Not present; this is the empty slot where it would go.
        case empty(Int)
    }

    private func probe(hash: Int, tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) -> Probe {
        slots.withUnsafeBufferPointer { slots in
            keys.withUnsafeBufferPointer { keys in
                keyBytes.withUnsafeBytes { keyBytes in
                    let mask = slots.count - 1
                    var slot = hash & mask
                    while true {
                        let entry = slots[slot]
                        if entry == Self.slotEmpty { return .empty(slot) }
                        let record = keys[Int(entry)]
                        if record.hash == hash && record.tenantByteCount == tenant.count
                            && record.workerByteCount == worker.count
                        {
                            let storedTenant = UnsafeRawBufferPointer(rebasing: keyBytes[record.offset..<(record.offset + tenant.count)])
                            let workerStart = record.offset + tenant.count
                            let storedWorker = UnsafeRawBufferPointer(rebasing: keyBytes[workerStart..<(workerStart + worker.count)])
                            if Name.bytesEqual(storedTenant, tenant) && Name.bytesEqual(storedWorker, worker) {
                                return .found(Int(entry))
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    private mutating func insert(hash: Int, slot: Int, tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) -> Int {
        precondition(keys.count < Self.entriesCountMax, "too many balances for one table")
        let index = keys.count
        keys.append(KeyRecord(hash: hash, offset: keyBytes.count, tenantByteCount: tenant.count, workerByteCount: worker.count))
        keyBytes.append(contentsOf: tenant)
        keyBytes.append(contentsOf: worker)
        tenants.append(Name(String(decoding: tenant, as: UTF8.self)))
        balances.append(WorkerBalance(worker: Name(String(decoding: worker, as: UTF8.self))))
        slots[slot] = Int32(index)
        if keys.count * 2 > slots.count { grow() }
        return index
    }

    /// Doubles the slots and re-places every entry by its stored hash.
    private mutating func grow() {
        var grown = Array(repeating: Self.slotEmpty, count: slots.count * 2)
        let mask = grown.count - 1
        for (index, record) in keys.enumerated() {
            var slot = record.hash & mask
            while grown[slot] != Self.slotEmpty { slot = (slot + 1) & mask }
            grown[slot] = Int32(index)
        }
        slots = grown
    }

    /// The key's hash (`KeyedHash`: SipHash took 12 % of a balances replay).
    @inline(__always)
    private func hash(tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) -> Int {
        hasher.hash(tenant, worker)
    }
}
