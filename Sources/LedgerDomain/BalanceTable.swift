import LedgerLog
/// An open-addressing hash table from (tenant bytes, worker bytes) to a worker balance, for the
/// balances-only replay: a lookup hashes and compares raw UTF-8 bytes, so a replay that reads
/// the worker id straight out of a log record never builds a `String` for it.
///
/// A tenant is first numbered (a `ScopedKeyTable` of its own, which stays in the L1 cache: a
/// ledger has few tenants); then (tenant number, worker) is looked up in the slots, each of which
/// holds its key's first 16 worker bytes and the balance's three amounts in place. So a lookup
/// that finds its key reads one slot (64 bytes), not a slot, a key record, the key's bytes and
/// a balance in four arrays, which for the 15,242 balances of the benchmark history (over 1 MB)
/// were mostly cache misses (the one-thread balances replay of 1M events: about 137 -> 123 ms).
/// Worker ids longer than 16 bytes keep the rest in one byte array, compared only when
/// everything else matched. Nothing is allocated per lookup; a new (tenant, worker) adds
/// an entry (and its worker's name; a new tenant its name), and the slots double when half full.
///
/// Hashing mixes the key's words with `KeyedHash`'s process secret (longer ids go through
/// `KeyedHash` itself), so crafted ids cannot make collisions on purpose; a collision costs a
/// comparison, never a wrong balance.
struct BalanceTable: Sendable {
    /// One slot: a key (tenant number, worker length, the worker's first 16 bytes, where the
    /// rest lives) and the balance's amounts. `tenant` 0 marks an empty slot.
    struct Slot: Sendable {
        var hash: UInt64 = 0
        var head: UInt64 = 0
        var middle: UInt64 = 0
        var tenant: UInt32 = 0
        /// Where bytes 16... of a longer worker id start in `tailBytes`.
        var tailOffset: UInt32 = 0
        var workerByteCount: Int32 = 0
        /// The entry's index in `entrySlots` and `workers` (insertion order).
        var entry: Int32 = 0
        var availableCents: Int64 = 0
        var pendingCents: Int64 = 0
        var totalEarnedCents: Int64 = 0

        @inline(__always)
        mutating func apply(_ movement: BalanceMovement) {
            let change = movement.change
            availableCents += change.available
            pendingCents += change.pending
            totalEarnedCents += change.totalEarned
        }
    }

    static let slotsCountInitial = 64
    /// Entry indexes and tenant numbers are 32-bit, to keep a slot at 64 bytes.
    static let entriesCountMax = Int(Int32.max) / 2

    /// Copied into each table, so that a lookup reads no global.
    private let hasher = KeyedHash()
    private var slots: [Slot] = Array(repeating: Slot(), count: BalanceTable.slotsCountInitial)
    /// Bytes 16... of worker ids longer than 16 bytes, back to back.
    private var tailBytes: [UInt8] = []
    /// The slot of each entry, in insertion order (moved when the slots grow).
    private var entrySlots: [Int32] = []
    /// The worker of each entry, parallel to `entrySlots`.
    private var workers: [Name] = []
    /// Numbers tenants (number = index + 1, so that 0 marks an empty slot).
    private var tenantNumbers = ScopedKeyTable()
    /// The tenants with at least one balance, by number - 1.
    private(set) var tenantNames: [Name] = []

    var count: Int { entrySlots.count }

    /// The balance of entry `index` (0..<count, in insertion order).
    func balance(at index: Int) -> WorkerBalance {
        let slot = slots[Int(entrySlots[index])]
        return WorkerBalance(worker: workers[index], availableCents: slot.availableCents,
                             pendingCents: slot.pendingCents, totalEarnedCents: slot.totalEarnedCents)
    }

    /// The balances of `tenant`, in insertion order.
    func balances(ofTenant tenant: UnsafeRawBufferPointer) -> [WorkerBalance] {
        guard let index = tenantNumbers.find(scope: 0, tenant) else { return [] }
        let number = UInt32(index) + 1
        return entrySlots.indices.filter { slots[Int(entrySlots[$0])].tenant == number }.map { balance(at: $0) }
    }

    /// The number of `tenant`, numbered (and its name kept) when new.
    @inline(__always)
    private mutating func number(of tenant: UnsafeRawBufferPointer) -> UInt32 {
        let (index, isNew) = tenantNumbers.findOrInsert(scope: 0, tenant)
        if isNew { tenantNames.append(Name(String(decoding: tenant, as: UTF8.self))) }
        return UInt32(index) + 1
    }

    /// The entry index of (tenant, worker), or nil.
    func index(tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) -> Int? {
        guard let index = tenantNumbers.find(scope: 0, tenant) else { return nil }
        let key = Key(tenant: UInt32(index) + 1, worker: worker, hasher: hasher)
        switch probe(key, worker: worker) {
        case .found(let slot): return Int(slots[slot].entry)
        case .empty: return nil
        }
    }

    /// Applies `movement` to the balance of (tenant, worker), creating it when new.
    @inline(__always)
    mutating func apply(_ movement: BalanceMovement, tenant: UnsafeRawBufferPointer, worker: UnsafeRawBufferPointer) {
        let number = number(of: tenant)
        let key = Key(tenant: number, worker: worker, hasher: hasher)
        switch probe(key, worker: worker) {
        case .found(let slot):
            slots[slot].apply(movement)
        case .empty(let slot):
            let placed = insert(key, slot: slot, worker: worker)
            slots[placed].apply(movement)
        }
    }

    /// Adds the balance of a (tenant, worker) that is not in the table yet, as a snapshot
    /// holds it; a key already present is a broken invariant (snapshot keys are unique).
    mutating func insert(_ balance: WorkerBalance, tenant: Name) {
        tenant.withUTF8Bytes { tenantBytes in
            balance.worker.withUTF8Bytes { worker in
                let number = number(of: tenantBytes)
                let key = Key(tenant: number, worker: worker, hasher: hasher)
                guard case .empty(let slot) = probe(key, worker: worker) else {
                    preconditionFailure("balance of \(balance.worker) inserted twice")
                }
                let placed = insert(key, slot: slot, worker: worker)
                slots[placed].availableCents = balance.availableCents
                slots[placed].pendingCents = balance.pendingCents
                slots[placed].totalEarnedCents = balance.totalEarnedCents
            }
        }
    }

    /// What a lookup compares: the tenant's number, the worker's length and first 16 bytes
    /// (zero-padded), and the hash of all of it.
    struct Key {
        var tenant: UInt32
        var head: UInt64
        var middle: UInt64
        var workerByteCount: Int
        var hash: UInt64

        @inline(__always)
        init(tenant: UInt32, worker: UnsafeRawBufferPointer, hasher: KeyedHash) {
            self.tenant = tenant
            workerByteCount = worker.count
            (head, middle) = Self.words(worker)
            var state = hasher.hash(words: head, middle, tag: UInt64(tenant) << 32 | UInt64(worker.count))
            if worker.count > 16 {
                let tail = UnsafeRawBufferPointer(rebasing: worker[16...])
                state ^= UInt64(bitPattern: Int64(hasher.hash(tail, seed: state)))
            }
            hash = state
        }

        /// The first 16 bytes of `bytes`, zero-padded, as two little-endian words.
        @inline(__always)
        static func words(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
            (KeyedHash.word(bytes, at: 0), KeyedHash.word(bytes, at: 8))
        }
    }

    private enum Probe {
        case found(Int)
        /// Not present; this is the empty slot where it would go.
        case empty(Int)
    }

    @inline(__always)
    private func probe(_ key: Key, worker: UnsafeRawBufferPointer) -> Probe {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var index = Int(truncatingIfNeeded: key.hash) & mask
            while true {
                let slot = slots[index]
                if slot.tenant == 0 { return .empty(index) }
                if slot.hash == key.hash && slot.head == key.head && slot.middle == key.middle
                    && slot.tenant == key.tenant && Int(slot.workerByteCount) == key.workerByteCount
                    && (key.workerByteCount <= 16 || sameTail(slot, worker))
                {
                    return .found(index)
                }
                index = (index + 1) & mask
            }
        }
    }

    /// Whether bytes 16... of `worker` are the slot's tail bytes (lengths already equal).
    private func sameTail(_ slot: Slot, _ worker: UnsafeRawBufferPointer) -> Bool {
        tailBytes.withUnsafeBytes { tails in
            let start = Int(slot.tailOffset)
            let stored = UnsafeRawBufferPointer(rebasing: tails[start..<(start + worker.count - 16)])
            return Name.bytesEqual(stored, UnsafeRawBufferPointer(rebasing: worker[16...]))
        }
    }

    /// Places a new entry in the empty slot `slot`; returns its slot (after any growth).
    private mutating func insert(_ key: Key, slot: Int, worker: UnsafeRawBufferPointer) -> Int {
        precondition(entrySlots.count < Self.entriesCountMax, "too many balances for one table")
        precondition(tailBytes.count <= Int(UInt32.max) - worker.count, "worker ids too long for one table")
        var placed = Slot()
        placed.hash = key.hash
        placed.head = key.head
        placed.middle = key.middle
        placed.tenant = key.tenant
        placed.workerByteCount = Int32(worker.count)
        placed.entry = Int32(entrySlots.count)
        if worker.count > 16 {
            placed.tailOffset = UInt32(tailBytes.count)
            tailBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: worker[16...]))
        }
        slots[slot] = placed
        entrySlots.append(Int32(slot))
        workers.append(Name(String(decoding: worker, as: UTF8.self)))
        guard entrySlots.count * 2 > slots.count else { return slot }
        grow()
        return Int(entrySlots[entrySlots.count - 1])
    }

    /// Doubles the slots and re-places every entry by its stored hash.
    private mutating func grow() {
        var grown = Array(repeating: Slot(), count: slots.count * 2)
        let mask = grown.count - 1
        for (entry, old) in entrySlots.enumerated() {
            let slot = slots[Int(old)]
            var index = Int(truncatingIfNeeded: slot.hash) & mask
            while grown[index].tenant != 0 { index = (index + 1) & mask }
            grown[index] = slot
            entrySlots[entry] = Int32(index)
        }
        slots = grown
    }
}
