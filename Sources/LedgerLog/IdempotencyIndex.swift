/// Maps tenant+id to positions compactly: an open-addressing table (linear probing)
/// of 16-byte slots (64-bit hash of tenant+id, position). It stores no keys, so a hash
/// match is only a candidate: the owner resolves it by reading the record back.
/// Several slots may share a hash (a collision, or the same key twice); lookups
/// return all of them.
///
/// Memory: the table doubles when three quarters full, so it holds 21 to 43 bytes per
/// record (64 for a moment while doubling); a 10M-record log: 16M slots, 256 MiB.
/// (8-byte slots of position and hash tag would halve that, but a slot must keep
/// enough hash bits to be re-placed when the table doubles, and 24 bits stop at 16M
/// slots; the full hash keeps growth simple and unlimited.)
import CPrefetch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct IdempotencyIndex: ~Copyable {
    private struct Slot {
        var hash: UInt64
        /// 0 marks an empty slot (positions start at 1).
        var position: UInt64
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    private var memory: SlotMemory
    private(set) var count = 0
    /// The hash function of this index's keys (its seed and mask).
    let hasher: IdentityHasher
    private static let slotsMin = 1 << 12

    /// - Parameters:
    ///   - expectedCount: records to hold without growing.
    ///   - hashBits: keep only this many low bits of each hash (testing collisions).
    init(expectedCount: Int, hashBits: Int? = nil) {
        capacity = Self.capacity(for: expectedCount)
        memory = SlotMemory(bytes: capacity * MemoryLayout<Slot>.stride)
        slots = memory.base.bindMemory(to: Slot.self, capacity: capacity)
        hasher = IdentityHasher(hashBits: hashBits)
    }

    deinit { memory.free() }

    private static func capacity(for count: Int) -> Int {
        var capacity = slotsMin
        while capacity / 4 * 3 < count { capacity *= 2 }
        return capacity
    }

    /// Bytes the table occupies.
    var bytes: Int { capacity * MemoryLayout<Slot>.stride }

    /// The 64-bit hash of a key (see ``IdentityHasher``).
    func hash(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> UInt64 {
        hasher.hash(tenant: tenant, id: id)
    }

    @inline(__always)
    mutating func insert(hash: UInt64, position: UInt64) {
        precondition(position >= 1, "positions start at 1")
        if (count + 1) > capacity / 4 * 3 { grow() }
        Self.place(Slot(hash: hash, position: position), in: slots, mask: capacity - 1)
        count += 1
    }

    /// Asks the processor to fetch the first slot `hash` probes (the table is far larger than
    /// the caches: inserting a run of records prefetches a few ahead).
    @inline(__always)
    func prefetch(hash: UInt64) {
        ledger_prefetch(slots + (Int(truncatingIfNeeded: Self.mix(hash)) & (capacity - 1)))
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

    /// Makes room for `additional` more records without growing again (one re-placement of
    /// the slots at most, instead of one per doubling).
    mutating func reserve(additional: Int) {
        let needed = Self.capacity(for: count + additional)
        if needed > capacity { grow(to: needed) }
    }

    private mutating func grow() { grow(to: capacity * 2) }

    private mutating func grow(to newCapacity: Int) {
        let newMemory = SlotMemory(bytes: newCapacity * MemoryLayout<Slot>.stride)
        let newSlots = newMemory.base.bindMemory(to: Slot.self, capacity: newCapacity)
        for index in 0..<capacity where slots[index].position != 0 {
            Self.place(slots[index], in: newSlots, mask: newCapacity - 1)
        }
        memory.free()
        memory = newMemory
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

/// The hash of an idempotency index's keys, as a value: a caller may compute hashes on
/// another thread (an import parses and hashes lines ahead of judging them) and hand them
/// to ``LogWriter/position(tenant:id:hash:)`` and ``LogWriter/stage(tenant:id:hash:type:at:actor:payload:)``.
public struct IdentityHasher: Sendable, Equatable {
    private let seed: UInt64
    private let mask: UInt64

    /// A hasher with a seed of its own and full 64-bit hashes.
    public init() { self.init(hashBits: nil) }

    init(hashBits: Int?) {
        if let hashBits, hashBits < 64 {
            mask = (UInt64(1) << UInt64(hashBits)) - 1
        } else {
            mask = .max
        }
        seed = UInt64.random(in: .min ... .max)
    }

    /// The 64-bit hash of a key: `KeyedHash` of tenant and id (both lengths enter first, so
    /// ("ab", "c") and ("a", "bc") differ), keyed by a secret drawn once per process and seeded
    /// per index, so crafted ids cannot flood one probe sequence without knowing them.
    /// (SipHash took about a tenth of an import's parsing thread, where every line is hashed.)
    @inline(__always)
    public func hash(tenant: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(bitPattern: Int64(KeyedHash().hash(tenant, id, seed: seed))) & mask
    }
}

/// Zero-filled memory for the slot table (zero bytes are empty slots). Large tables
/// are mapped with transparent huge pages where the system offers them: every insert
/// and lookup touches a random slot, and with 4 KiB pages each would also miss the TLB.
struct SlotMemory {
    private static let hugePageBytes = 2 * 1_024 * 1_024
    let base: UnsafeMutableRawPointer
    private let mapped: UnsafeMutableRawPointer?
    private let mappedBytes: Int

    init(bytes: Int) {
        precondition(bytes > 0, "a table has slots")
        #if os(Linux)
        if bytes >= Self.hugePageBytes {
            // Over-map by one huge page so the table can start on a huge page boundary.
            let length = bytes + Self.hugePageBytes
            let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let address, address != MAP_FAILED {
                let aligned = (Int(bitPattern: address) + Self.hugePageBytes - 1) & ~(Self.hugePageBytes - 1)
                base = UnsafeMutableRawPointer(bitPattern: aligned)!
                _ = madvise(base, bytes, MADV_HUGEPAGE)
                mapped = address
                mappedBytes = length
                return
            }
        }
        #endif
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        mapped = nil
        mappedBytes = 0
    }

    func free() {
        #if os(Linux)
        if let mapped {
            munmap(mapped, mappedBytes)
            return
        }
        #endif
        base.deallocate()
    }
}
