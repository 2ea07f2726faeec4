import LedgerLog
/// Numbers keys (a scope and a byte string: a tenant's index and an entity id) 0, 1, 2...
/// in the order they are first seen, so that the decider keeps each entity's state in a
/// plain array and finds it with one hash look-up of raw UTF-8 bytes, never a `String`.
///
/// Open addressing (linear probing) over `Int32` slots of entry indexes, at most half full;
/// keys are stored back to back in one byte array, each entry with its scope, where its bytes
/// are and 32 bits of its hash (compared before the bytes, and enough to place it again when
/// the slots double). Hashing is `KeyedHash` with the scope as seed: a multiply-mix hash keyed
/// per process, so crafted ids cannot collide on purpose; a collision only costs a comparison.
///
/// ```swift
/// var orders = ScopedKeyTable()
/// let index = orders.findOrInsert(scope: 0, bytes)     // 0 for the first key
/// orders.find(scope: 0, bytes) == index                // true
/// ```
struct ScopedKeyTable: Sendable {
    struct Entry: Sendable {
        var hash: UInt32
        var scope: UInt32
        var offset: UInt32
        var count: UInt32
    }

    static let slotsCountInitial = 16
    /// An empty slot; a full one holds its entry's index.
    static let slotEmpty: Int32 = -1
    /// Entries are numbered with `Int32`, and slots double while at most half full.
    static let entriesCountMax = 1 << 30
    /// Key bytes are located by `UInt32` offsets.
    static let keyBytesMax = Int(UInt32.max)

    /// Copied into each table, so that a look-up reads no global.
    private let hasher = KeyedHash()
    private var slots: [Int32] = Array(repeating: ScopedKeyTable.slotEmpty, count: ScopedKeyTable.slotsCountInitial)
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []

    var count: Int { entries.count }

    /// The index of (`scope`, `key`), or nil.
    @inline(__always)
    func find(scope: UInt32, _ key: UnsafeRawBufferPointer) -> Int32? {
        let hash = hash(scope: scope, key)
        switch probe(hash: hash, scope: scope, key) {
        case .found(let index): return index
        case .empty: return nil
        }
    }

    /// The index of (`scope`, `key`), numbered now if it is new.
    @inline(__always)
    mutating func findOrInsert(scope: UInt32, _ key: UnsafeRawBufferPointer) -> (index: Int32, isNew: Bool) {
        let hash = hash(scope: scope, key)
        switch probe(hash: hash, scope: scope, key) {
        case .found(let index): return (index, false)
        case .empty(let slot): return (insert(hash: hash, slot: slot, scope: scope, key), true)
        }
    }

    /// The scope of the entry at `index`.
    func scope(at index: Int32) -> UInt32 { entries[Int(index)].scope }

    /// Lends the key bytes of the entry at `index`.
    @inline(__always)
    func withKey<Result>(at index: Int32, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let entry = entries[Int(index)]
        return try keyBytes.withUnsafeBytes { bytes in
            try body(UnsafeRawBufferPointer(rebasing: bytes[Int(entry.offset)..<Int(entry.offset + entry.count)]))
        }
    }

    /// The key of the entry at `index` as text (for messages and snapshots).
    func name(at index: Int32) -> Name {
        withKey(at: index) { Name(String(decoding: $0, as: UTF8.self)) }
    }

    /// Room for `count` entries in all without growing.
    mutating func reserve(_ count: Int) {
        entries.reserveCapacity(count)
        var capacity = slots.count
        while capacity < count * 2 { capacity *= 2 }
        if capacity > slots.count { replace(slotsCount: capacity) }
    }

    private enum Probe {
        case found(Int32)
        /// Not present; this is the empty slot where it would go.
        case empty(Int)
    }

    @inline(__always)
    private func probe(hash: UInt32, scope: UInt32, _ key: UnsafeRawBufferPointer) -> Probe {
        slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                keyBytes.withUnsafeBytes { keyBytes in
                    let mask = slots.count - 1
                    var slot = Int(hash) & mask
                    while true {
                        let index = slots[slot]
                        if index == Self.slotEmpty { return .empty(slot) }
                        let entry = entries[Int(index)]
                        if entry.hash == hash && entry.scope == scope && Int(entry.count) == key.count {
                            let stored = UnsafeRawBufferPointer(
                                rebasing: keyBytes[Int(entry.offset)..<(Int(entry.offset) + key.count)])
                            if Name.bytesEqual(stored, key) { return .found(index) }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    private mutating func insert(hash: UInt32, slot: Int, scope: UInt32, _ key: UnsafeRawBufferPointer) -> Int32 {
        precondition(entries.count < Self.entriesCountMax, "more than \(Self.entriesCountMax) entities of one kind")
        precondition(keyBytes.count + key.count <= Self.keyBytesMax, "more than \(Self.keyBytesMax) bytes of entity ids of one kind")
        let index = Int32(entries.count)
        entries.append(Entry(hash: hash, scope: scope, offset: UInt32(keyBytes.count), count: UInt32(key.count)))
        keyBytes.append(contentsOf: key)
        slots[slot] = index
        if entries.count * 2 > slots.count { replace(slotsCount: slots.count * 2) }
        return index
    }

    /// Places every entry again in `slotsCount` slots, by its stored hash.
    private mutating func replace(slotsCount: Int) {
        var grown = Array(repeating: Self.slotEmpty, count: slotsCount)
        let mask = slotsCount - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(entry.hash) & mask
            while grown[slot] != Self.slotEmpty { slot = (slot + 1) & mask }
            grown[slot] = Int32(index)
        }
        slots = grown
    }

    @inline(__always)
    private func hash(scope: UInt32, _ key: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: hasher.hash(key, seed: UInt64(scope)))
    }
}
