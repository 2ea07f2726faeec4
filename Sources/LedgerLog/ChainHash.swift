import Crypto

/// The SHA-256 hash chain over the uncompressed bytes of every batch:
/// `h_0 = 32 zero bytes`, `h_b = SHA-256(h_{b-1} || batch bytes of batch b)`.
/// Hashing uncompressed bytes keeps the chain valid when a segment is recompressed.
enum ChainHash {
    /// Bytes in a chain hash.
    static let byteCount = 32
    /// The hash before the first batch.
    static let genesis = [UInt8](repeating: 0, count: byteCount)

    /// `SHA-256(previous || batch)`. swift-crypto has no one-shot hash over a raw
    /// buffer, so the incremental hasher is used.
    static func next(previous: [UInt8], batch: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(previous.count == byteCount, "a chain hash has 32 bytes")
        var hasher = SHA256()
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: batch)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// `SHA-256(previous || batch || continued)`: a batch whose bytes are in two places.
    static func next(previous: [UInt8], batch: UnsafeRawBufferPointer, continued: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(previous.count == byteCount, "a chain hash has 32 bytes")
        var hasher = SHA256()
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: batch)
        hasher.update(bufferPointer: continued)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }
}
