import LedgerLog
/// Names decoded recently (and a scratch buffer of the decoder's), so that decoding the same long name again (a tenant, a worker, a
/// client) shares one string instead of allocating a new one. A Swift `String` of at most 15
/// UTF-8 bytes lives inline; a longer one is a heap object, and without this cache a replay of
/// all read models would allocate one per long tenant name of every record.
///
/// Four-way set-associative: each long name has a set of four slots, chosen by a hash of its
/// bytes and kept most recently used first; a miss drops the set's least recently used entry.
/// Lookups compare the bytes in full, so a hit always returns an equal name. (Direct-mapped,
/// two frequent titles of one slot evicted each other on every turn: 14 % of the texts of the
/// generated history missed with 364 distinct long ones in 1,024 slots.) One cache per thread (it is not `Sendable`); the names it returns are.
///
/// ```swift
/// let names = NameCache()
/// for record in records {
///     let (event, effect) = try EventBinaryCodec.decode(..., names: names)
/// }
/// ```
public final class NameCache {
    /// Slots of a set.
    static let ways = 4
    /// Slots (a power of two, a multiple of `ways`).
    static let slotCount = 256
    private let slots: UnsafeMutablePointer<Name?>
    /// Names served from a slot, and names made (a miss: an allocation).
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// A buffer the decoder reuses for the canonical-form check of extras and metadata (it
    /// writes the canonical form there to compare): one allocation per cache, not per record.
    var scratch: [UInt8] = []

    /// Slots for free texts (a power of two): titles, reasons, references, extras and metadata.
    static let textSlotCount = 1_024
    /// Recently decoded long texts: a history repeats its reasons and, often, its titles (the
    /// generated one has 351 distinct titles and 27 reasons in 1M events), and each one over
    /// 15 bytes made anew was an allocation of the replay of all read models.
    private let textSlots: UnsafeMutablePointer<String?>
    private let textHash = KeyedHash()

    public init() {
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: nil, count: Self.slotCount)
        textSlots = .allocate(capacity: Self.textSlotCount)
        textSlots.initialize(repeating: nil, count: Self.textSlotCount)
    }

    deinit {
        slots.deinitialize(count: Self.slotCount)
        slots.deallocate()
        textSlots.deinitialize(count: Self.textSlotCount)
        textSlots.deallocate()
    }

    /// The text of `bytes` (valid UTF-8, already checked by the caller), shared with an equal
    /// one decoded recently when it is over 15 bytes. The set is chosen by a hash of all its bytes.
    @inline(__always)
    func text(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        let set = textSlots + (textHash.hash(bytes) & (Self.textSlotCount - Self.ways))
        for way in 0..<Self.ways {
            guard let cached = set[way] else { break }
            if cached.withUTF8Bytes({ Name.bytesEqual($0, bytes) }) {
                hits += 1
                Self.moveToFront(set, way)
                return cached
            }
        }
        misses += 1
        let made = String(decoding: bytes, as: UTF8.self)
        Self.insertInFront(set, made)
        return made
    }

    /// Moves the entry at `way` of `set` to the front (most recently used), shifting those
    /// before it back by one.
    @inline(__always)
    private static func moveToFront<Entry>(_ set: UnsafeMutablePointer<Entry?>, _ way: Int) {
        guard way > 0 else { return }
        let found = (set + way).move()
        (set + 1).moveInitialize(from: set, count: way)
        set.initialize(to: found)
    }

    /// Puts `entry` in front of `set`, shifting the others back by one; the last (least
    /// recently used) is dropped.
    @inline(__always)
    private static func insertInFront<Entry>(_ set: UnsafeMutablePointer<Entry?>, _ entry: Entry) {
        (set + ways - 1).deinitialize(count: 1)
        (set + 1).moveInitialize(from: set, count: ways - 1)
        set.initialize(to: entry)
    }

    /// The name of `bytes` (valid UTF-8, already checked by the caller).
    @inline(__always)
    func name(_ bytes: UnsafeRawBufferPointer) -> Name {
        let count = bytes.count
        guard count > 15, let start = bytes.baseAddress else { return Name(String(decoding: bytes, as: UTF8.self)) }
        let mixed = (start.loadUnaligned(as: UInt64.self) ^ start.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                     ^ UInt64(truncatingIfNeeded: count)) &* 0x9E37_79B9_7F4A_7C15
        let set = slots + Int(truncatingIfNeeded: mixed >> 56) & (Self.slotCount - Self.ways)
        for way in 0..<Self.ways {
            guard let cached = set[way] else { break }
            if cached.withUTF8Bytes({ Name.bytesEqual($0, bytes) }) {
                hits += 1
                Self.moveToFront(set, way)
                return cached
            }
        }
        misses += 1
        let made = Name(String(decoding: bytes, as: UTF8.self))
        Self.insertInFront(set, made)
        return made
    }
}
