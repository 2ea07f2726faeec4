extension ByteSink {
    /// Appends raw bytes (`append(contentsOf:)` for a raw buffer).
    @inline(__always) mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
    }

    @inline(__always) mutating func appendByte(_ byte: UInt8) { append(byte) }
}

/// A growable run of bytes that encoders append to with a capacity check and a copy, nothing
/// more: an import's parsing thread writes every line's record fields into one (a `[UInt8]`
/// spent about a sixth of that thread in `append(contentsOf:)`'s generic path). One thread at
/// a time; the bytes are read back through `withUnsafeBytes` once writing is done.
///
/// ```swift
/// let arena = ByteArena(capacity: 1 << 20)
/// if case .success(let layout) = EventLineParser.encode(line, workspace: workspace, into: arena) {
///     arena.withUnsafeBytes { print(layout.event(in: $0).type.name) }
/// }
/// ```
public final class ByteArena: @unchecked Sendable {
    // Written by one thread at a time (see above): no dynamic exclusivity checks.
    @exclusivity(unchecked) private var base: UnsafeMutableRawPointer
    @exclusivity(unchecked) public private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int

    /// An empty arena with room for `capacity` bytes before it grows.
    public init(capacity: Int = 4_096) {
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// Lends the bytes written so far (valid inside `body` only).
    @inline(__always)
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Forgets the bytes, keeping the memory.
    public func removeAll() { count = 0 }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: 1) }
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count &+= 1
    }

    @inline(__always)
    func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        let added = bytes.count
        guard added > 0, let source = bytes.baseAddress else { return }
        if capacity - count < added { grow(toHold: added) }
        (base + count).copyMemory(from: source, byteCount: added)
        count &+= added
    }

    private func grow(toHold added: Int) {
        var newCapacity = capacity * 2
        while newCapacity - count < added { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        grown.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}

extension ByteArena: ByteSink {}
