/// Maps tenant+id to positions compactly: an open-addressing table (linear probing)
/// of 16-byte slots (64-bit hash of tenant+id, position). It stores no keys, so a hash
/// match is only a candidate: the owner resolves it by reading the record back.
/// Several slots may share a hash (a collision, or the same key twice); lookups
/// return all of them.
///
/// Memory: the table doubles when three quarters full, so it holds 21 to 43 bytes per
/// record (a 10M-record log: 16M slots, 256 MiB).
struct IdempotencyIndex: ~Copyable {
    private struct Slot {
        var hash: UInt64
        /// 0 marks an empty slot (positions start at 1).
        var position: UInt64
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    private(set) var count = 0
    private let hashMask: UInt64
    private let seed: Int
    private static let slotsMin = 16

    /// - Parameters:
    ///   - expectedCount: records to hold without growing.
    ///   - hashBits: keep only this many low bits of each hash (testing collisions).
    init(expectedCount: Int, hashBits: Int? = nil) {
        capacity = Self.capacity(for: expectedCount)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(hash: 0, position: 0), count: capacity)
        if let hashBits, hashBits < 64 {
            hashMask = (UInt64(1) << UInt64(hashBits)) - 1
        } else {
            hashMask = .max
        }
        seed = Int.random(in: .min ... .max)
    }

    deinit { slots.deallocate() }

    private static func capacity(for count: Int) -> Int {
        var capacity = slotsMin
        while capacity / 4 * 3 < count { capacity *= 2 }
        return capacity
    }

    /// Bytes the table occupies.
    var bytes: Int { capacity * MemoryLayout<Slot>.stride }

    /// The 64-bit hash of a key: SipHash (Swift's `Hasher`, seeded per process and per
    /// index, so crafted ids cannot flood one probe sequence). The tenant's length
    /// is hashed first so that ("ab", "c") and ("a", "bc") differ.
    func hash(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(seed)
        hasher.combine(tenant.count)
        hasher.combine(bytes: tenant)
        hasher.combine(bytes: id)
        return UInt64(bitPattern: Int64(hasher.finalize())) & hashMask
    }

    mutating func insert(hash: UInt64, position: UInt64) {
        precondition(position >= 1, "positions start at 1")
        if (count + 1) > capacity / 4 * 3 { grow() }
        Self.place(Slot(hash: hash, position: position), in: slots, mask: capacity - 1)
        count += 1
    }

    /// Calls `body` with every position stored under `hash`.
    func forEachCandidate(hash: UInt64, _ body: (UInt64) throws -> Void) rethrows {
        let mask = capacity - 1
        var index = Int(truncatingIfNeeded: Self.mix(hash)) & mask
        while slots[index].position != 0 {
            if slots[index].hash == hash { try body(slots[index].position) }
            index = (index + 1) & mask
        }
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let newSlots = UnsafeMutablePointer<Slot>.allocate(capacity: newCapacity)
        newSlots.initialize(repeating: Slot(hash: 0, position: 0), count: newCapacity)
        for index in 0..<capacity where slots[index].position != 0 {
            Self.place(slots[index], in: newSlots, mask: newCapacity - 1)
        }
        slots.deallocate()
        slots = newSlots
        capacity = newCapacity
    }

    private static func place(_ slot: Slot, in slots: UnsafeMutablePointer<Slot>, mask: Int) {
        var index = Int(truncatingIfNeeded: mix(slot.hash)) & mask
        while slots[index].position != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    /// Spreads the hash's bits into the low ones used as the slot index, which matters
    /// when the test hook truncates hashes (and costs nothing otherwise).
    @inline(__always)
    private static func mix(_ hash: UInt64) -> UInt64 {
        var value = hash &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
        return value
    }
}
