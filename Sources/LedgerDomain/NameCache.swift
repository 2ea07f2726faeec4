/// Names decoded recently (and a scratch buffer of the decoder's), so that decoding the same long name again (a tenant, a worker, a
/// client) shares one string instead of allocating a new one. A Swift `String` of at most 15
/// UTF-8 bytes lives inline; a longer one is a heap object, and without this cache a replay of
/// all read models would allocate one per long tenant name of every record.
///
/// Direct-mapped: each long name has one slot, chosen by a hash of its bytes; a different
/// name in that slot is replaced. Lookups compare the bytes in full, so a hit always returns
/// an equal name. One cache per thread (it is not `Sendable`); the names it returns are.
///
/// ```swift
/// let names = NameCache()
/// for record in records {
///     let (event, effect) = try EventBinaryCodec.decode(..., names: names)
/// }
/// ```
public final class NameCache {
    /// Slots (a power of two).
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
    /// one decoded recently when it is over 15 bytes. Direct-mapped by a hash of all its bytes.
    @inline(__always)
    func text(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        let slot = textSlots + (textHash.hash(bytes) & (Self.textSlotCount - 1))
        if let cached = slot.pointee, cached.withUTF8Bytes({ Name.bytesEqual($0, bytes) }) {
            hits += 1
            return cached
        }
        misses += 1
        let made = String(decoding: bytes, as: UTF8.self)
        slot.pointee = made
        return made
    }

    /// The name of `bytes` (valid UTF-8, already checked by the caller).
    @inline(__always)
    func name(_ bytes: UnsafeRawBufferPointer) -> Name {
        let count = bytes.count
        guard count > 15, let start = bytes.baseAddress else { return Name(String(decoding: bytes, as: UTF8.self)) }
        let mixed = (start.loadUnaligned(as: UInt64.self) ^ start.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                     ^ UInt64(truncatingIfNeeded: count)) &* 0x9E37_79B9_7F4A_7C15
        let slot = slots + Int(truncatingIfNeeded: mixed >> 56) & (Self.slotCount - 1)
        if let cached = slot.pointee {
            if cached.withUTF8Bytes({ Name.bytesEqual($0, bytes) }) {
                hits += 1
                return cached
            }
        }
        misses += 1
        let made = Name(String(decoding: bytes, as: UTF8.self))
        slot.pointee = made
        return made
    }
}
