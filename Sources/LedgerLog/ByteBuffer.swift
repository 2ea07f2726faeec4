/// A growable byte buffer that owns raw memory. Used for staging records, building
/// batches and reading files: it is reused across events, so hot paths do not
/// allocate once it has grown to its working size. Not thread-safe.
///
/// Its owner serialises all access (a lock or a single thread), so the properties skip
/// Swift's dynamic exclusivity checks, which would otherwise run on every append.
final class ByteBuffer {
    @exclusivity(unchecked) private(set) var base: UnsafeMutableRawPointer
    @exclusivity(unchecked) private(set) var capacity: Int
    /// Bytes in use, from `base`.
    @exclusivity(unchecked) var count: Int = 0

    init(capacity: Int = 4_096) {
        precondition(capacity > 0, "a buffer needs some capacity")
        self.capacity = capacity
        self.base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Makes room for `additional` more bytes after `count`, keeping the contents.
    @inline(__always)
    func reserve(_ additional: Int) {
        if count + additional > capacity { grow(to: count + additional) }
    }

    /// Makes the capacity at least `total` bytes; the contents may be discarded.
    func ensureCapacity(discarding total: Int) {
        if total > capacity {
            base.deallocate()
            capacity = max(total, capacity * 2)
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            count = 0
        }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    func removeAll() { count = 0 }

    /// The bytes in use.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A slice of the bytes in use.
    func bytes(from start: Int, count length: Int) -> UnsafeRawBufferPointer {
        precondition(start >= 0 && length >= 0 && start + length <= count, "slice inside the buffer")
        return UnsafeRawBufferPointer(start: base + start, count: length)
    }

    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    @inline(__always)
    func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)
        (base + count).storeBytes(of: value.littleEndian, as: T.self)
        count += MemoryLayout<T>.size
    }

    /// Appends `value` as an unsigned LEB128 varint (7 bits per byte, low group first).
    @inline(__always)
    func appendVarint(_ value: UInt64) {
        reserve(Varint.bytesMax)
        count += Varint.store(value, at: base + count)
    }

    /// Appends `count` zero bytes.
    func appendZeros(_ zeroCount: Int) {
        reserve(zeroCount)
        (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: zeroCount)
        count += zeroCount
    }
}

/// Unsigned LEB128 varints: 7 bits per byte, least significant group first, the high
/// bit set on every byte but the last.
@usableFromInline
enum Varint {
    /// Most bytes of a 64-bit varint.
    static let bytesMax = 10

    /// Bytes `value` takes as a varint.
    @inline(__always)
    static func size(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 { size += 1; rest >>= 7 }
        return size
    }

    /// Writes `value` at `pointer` and returns the bytes written.
    @inline(__always)
    static func store(_ value: UInt64, at pointer: UnsafeMutableRawPointer) -> Int {
        var rest = value
        var written = 0
        while rest >= 0x80 {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: rest) | 0x80, toByteOffset: written, as: UInt8.self)
            rest >>= 7
            written += 1
        }
        pointer.storeBytes(of: UInt8(truncatingIfNeeded: rest), toByteOffset: written, as: UInt8.self)
        return written + 1
    }

    /// Reads a varint at `offset`, moving `offset` past it; `nil` when it runs past
    /// `end`, is longer than 10 bytes, overflows 64 bits, or is not minimal.
    @inlinable @inline(__always)
    static func read(_ base: UnsafeRawPointer, _ offset: inout Int, end: Int) -> UInt64? {
        // Most varints of a record (lengths, types) are one byte. (Reading longer ones as one
        // word, branch-free, made a balances replay slower: measured, 2026-12-05.)
        if offset < end {
            let first = base.load(fromByteOffset: offset, as: UInt8.self)
            if first < 0x80 {
                offset += 1
                return UInt64(first)
            }
        }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index += 1
            if shift == 63 && byte > 1 { return nil }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                // A final zero byte after others would make an overlong encoding.
                if byte == 0 && shift > 0 { return nil }
                offset = index
                return value
            }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }
}

extension UnsafeRawPointer {
    @inline(__always)
    func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always)
    func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
