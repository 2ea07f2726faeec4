/// A multiply-mix hash of one or two byte strings in the manner of wyhash, keyed by a secret
/// drawn from the system's random source once per process. SipHash (`Hasher`) took 12 % of a
/// balances replay and about 8 % of an import's judging thread; this is a few multiplications
/// for a short id.
///
/// The key enters every step (each 8-byte word is mixed as `word ^ secret.0`), so ids cannot
/// be crafted to collide without it. A collision costs speed, never a wrong answer: every
/// table that uses this hash compares keys byte for byte.
public struct KeyedHash: Sendable {
    @usableFromInline let secret: (UInt64, UInt64)

    /// A hash keyed by this process's secret.
    @inlinable public init() { secret = KeyedHash.processSecret }

    /// The hash of the pair (`first`, `second`) with `seed` (a table's own seed) mixed in:
    /// both lengths enter first, so ("ab", "c") and ("a", "bc") stay apart, and so do
    /// zero-padded tails.
    @inlinable @inline(__always)
    public func hash(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, seed: UInt64 = 0) -> Int {
        var state = secret.1 ^ seed ^ Self.mix(UInt64(first.count) ^ secret.0, UInt64(second.count) ^ Self.constant0)
        state = absorb(state, first)
        state = absorb(state, second)
        return Int(truncatingIfNeeded: Self.mix(state ^ Self.constant1, secret.1 ^ Self.constant0))
    }

    /// The hash of one byte string with `seed` mixed in.
    @inlinable @inline(__always)
    public func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> Int {
        var state = secret.1 ^ seed ^ Self.mix(UInt64(bytes.count) ^ secret.0, Self.constant1)
        state = absorb(state, bytes)
        return Int(truncatingIfNeeded: Self.mix(state ^ Self.constant1, secret.1 ^ Self.constant0))
    }

    /// The hash of a key that a table has packed into two words and a tag (its length, a
    /// scope number): keyed like the byte hashes, with no loop over bytes. A table that packs
    /// only part of its keys this way mixes the rest in with `hash(_:seed:)`.
    @inlinable @inline(__always)
    public func hash(words first: UInt64, _ second: UInt64, tag: UInt64) -> UInt64 {
        Self.mix(first ^ secret.0, second ^ secret.1) ^ Self.mix(tag ^ secret.1, secret.0 ^ Self.constant1)
    }

    /// Bytes `start..<min(start + 8, bytes.count)` as a little-endian word, zero-padded, from
    /// loads that stay inside `bytes`: where fewer than 8 remain, the last 8 (or 4) bytes
    /// shifted down past the ones before `start`, rather than a byte at a time.
    @inlinable @inline(__always)
    public static func word(_ bytes: UnsafeRawBufferPointer, at start: Int) -> UInt64 {
        let count = bytes.count
        let rest = count - start
        if rest >= 8 { return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
        if rest <= 0 { return 0 }
        if count >= 8 {
            return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) >> UInt64(8 * (8 - rest))
        }
        if start == 0 && count >= 4 {
            let low = UInt64(UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
            let last = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
            return low | (last >> UInt64(8 * (8 - count))) << 32
        }
        var word: UInt64 = 0
        for index in start..<count { word |= UInt64(bytes[index]) << UInt64(8 * (index - start)) }
        return word
    }

    @inlinable @inline(__always)
    func absorb(_ state: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var state = state
        var offset = 0
        let count = bytes.count
        while offset + 8 <= count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            state = Self.mix(word ^ secret.0, state ^ Self.constant1)
            offset += 8
        }
        if offset < count {
            let tail = Self.word(bytes, at: offset)
            state = Self.mix(tail ^ secret.0, state ^ Self.constant1)
        }
        return state
    }

    @inlinable @inline(__always)
    static func mix(_ left: UInt64, _ right: UInt64) -> UInt64 {
        let product = left.multipliedFullWidth(by: right)
        return product.high ^ product.low
    }

    /// A mixing constant (odd, random-looking), for callers folding a number into a seed.
    public static let constant0: UInt64 = 0xa076_1d64_78bd_642f
    @usableFromInline static let constant1: UInt64 = 0xe703_7ed1_a0b4_28db

    /// This process's key (odd halves, so that no multiplication by it is by zero).
    @usableFromInline static let processSecret: (UInt64, UInt64) = {
        var random = SystemRandomNumberGenerator()
        return (random.next() | 1, random.next() | 1)
    }()
}
