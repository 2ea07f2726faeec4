/// The metadata of one batch, stored in a zstd skippable frame just before the batch's
/// compressed frame (docs/FORMAT.md, "Batch metadata"). 72 bytes, little-endian:
///
///     0  u32 skippable frame magic 0x184D2A5C     36 [32] chain hash after this batch
///     4  u32 skippable content size = 64           68 u32 CRC-32C of bytes 0..<68
///     8  [4] tag "LLM1"
///    12  u64 first position
///    20  u32 record count
///    24  u32 uncompressed batch bytes
///    28  u32 compressed frame bytes
///    32  u32 CRC-32C of the compressed frame
struct BatchMetadata: Equatable {
    static let skippableMagic: UInt32 = 0x184D_2A5C
    static let contentBytes: UInt32 = 64
    static let byteCount = 72
    /// "LLM1" read as a little-endian u32.
    static let tag: UInt32 = 0x314D_4C4C
    private static let checksummedBytes = 68

    var firstPosition: UInt64
    var recordCount: UInt32
    var uncompressedBytes: UInt32
    var frameBytes: UInt32
    var frameChecksum: UInt32
    var chainHash: [UInt8]

    var lastPosition: UInt64 { firstPosition + UInt64(recordCount) - 1 }
    /// Metadata and frame together: the batch's bytes in the segment file.
    var batchFileBytes: UInt64 { UInt64(Self.byteCount) + UInt64(frameBytes) }

    /// Writes the 72 bytes at `pointer`.
    func encode(at pointer: UnsafeMutableRawPointer) {
        precondition(chainHash.count == ChainHash.byteCount, "a chain hash has 32 bytes")
        precondition(recordCount >= 1, "a batch holds at least one record")
        pointer.storeLittleEndian(Self.skippableMagic, at: 0)
        pointer.storeLittleEndian(Self.contentBytes, at: 4)
        pointer.storeLittleEndian(Self.tag, at: 8)
        pointer.storeLittleEndian(firstPosition, at: 12)
        pointer.storeLittleEndian(recordCount, at: 20)
        pointer.storeLittleEndian(uncompressedBytes, at: 24)
        pointer.storeLittleEndian(frameBytes, at: 28)
        pointer.storeLittleEndian(frameChecksum, at: 32)
        chainHash.withUnsafeBytes { (pointer + 36).copyMemory(from: $0.baseAddress!, byteCount: ChainHash.byteCount) }
        let checksum = CRC32C.checksum(UnsafeRawBufferPointer(start: pointer, count: Self.checksummedBytes))
        pointer.storeLittleEndian(checksum, at: Self.checksummedBytes)
    }

    /// Decodes and checks 72 bytes; the error is the reason they do not check out.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<BatchMetadata, MetadataProblem> {
        precondition(bytes.count >= byteCount, "batch metadata needs 72 bytes")
        let base = bytes.baseAddress!
        guard base.loadLittleEndian(at: 0, as: UInt32.self) == skippableMagic else {
            return .failure(.init("no batch metadata frame (magic is not 0x184D2A5C)"))
        }
        guard base.loadLittleEndian(at: 4, as: UInt32.self) == contentBytes else {
            return .failure(.init("the batch metadata frame size is not 64"))
        }
        let stored = base.loadLittleEndian(at: checksummedBytes, as: UInt32.self)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: checksummedBytes))
        guard stored == computed else {
            return .failure(.init("batch metadata CRC-32C mismatch (stored \(hex(stored)), computed \(hex(computed)))"))
        }
        guard base.loadLittleEndian(at: 8, as: UInt32.self) == tag else {
            return .failure(.init("unknown batch metadata tag (not LLM1)"))
        }
        let metadata = BatchMetadata(
            firstPosition: base.loadLittleEndian(at: 12, as: UInt64.self),
            recordCount: base.loadLittleEndian(at: 20, as: UInt32.self),
            uncompressedBytes: base.loadLittleEndian(at: 24, as: UInt32.self),
            frameBytes: base.loadLittleEndian(at: 28, as: UInt32.self),
            frameChecksum: base.loadLittleEndian(at: 32, as: UInt32.self),
            chainHash: Array(UnsafeRawBufferPointer(start: base + 36, count: ChainHash.byteCount)))
        guard metadata.recordCount >= 1, metadata.recordCount <= LogLimits.batchRecordsMax else {
            return .failure(.init("record count \(metadata.recordCount) is outside 1...\(LogLimits.batchRecordsMax)"))
        }
        guard metadata.uncompressedBytes >= BatchHeader.byteCount,
              metadata.uncompressedBytes <= LogLimits.batchBytesMax else {
            return .failure(.init("uncompressed size \(metadata.uncompressedBytes) is outside \(BatchHeader.byteCount)...\(LogLimits.batchBytesMax)"))
        }
        guard metadata.frameBytes >= 1, metadata.frameBytes <= LogLimits.frameBytesMax else {
            return .failure(.init("frame size \(metadata.frameBytes) is outside 1...\(LogLimits.frameBytesMax)"))
        }
        guard metadata.firstPosition >= 1, metadata.firstPosition <= UInt64.max - UInt64(metadata.recordCount) else {
            return .failure(.init("first position \(metadata.firstPosition) is out of range"))
        }
        return .success(metadata)
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16, uppercase: true) }
}

/// Why batch metadata does not check out.
struct MetadataProblem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// The first 24 bytes of every batch's uncompressed bytes, so that `zstd -dc` output
/// alone tells which positions its records hold and their times:
///
///     0 [4] tag "LLB1"    4 u64 first position    12 u32 record count    16 i64 base time
///
/// The base time is what the first record's time difference is taken from (the time of
/// the record before the batch, or anything: it only has to be the same on both sides).
enum BatchHeader {
    static let byteCount = 24
    /// "LLB1" read as a little-endian u32.
    static let tag: UInt32 = 0x3142_4C4C

    static func encode(firstPosition: UInt64, recordCount: UInt32, baseAt: Int64, at pointer: UnsafeMutableRawPointer) {
        pointer.storeLittleEndian(tag, at: 0)
        pointer.storeLittleEndian(firstPosition, at: 4)
        pointer.storeLittleEndian(recordCount, at: 12)
        pointer.storeLittleEndian(baseAt, at: 16)
    }

    /// The base time of a batch whose header checked out.
    static func baseAt(_ batch: UnsafeRawBufferPointer) -> Int64 {
        batch.baseAddress!.loadLittleEndian(at: 16, as: Int64.self)
    }

    /// Checks a batch's header against its metadata; returns why it does not match, or nil.
    static func problem(in batch: UnsafeRawBufferPointer, metadata: BatchMetadata) -> String? {
        guard batch.count >= byteCount else { return "the batch is shorter than its header" }
        let base = batch.baseAddress!
        guard base.loadLittleEndian(at: 0, as: UInt32.self) == tag else { return "the batch header tag is not LLB1" }
        let first = base.loadLittleEndian(at: 4, as: UInt64.self)
        guard first == metadata.firstPosition else {
            return "the batch header says first position \(first), the metadata \(metadata.firstPosition)"
        }
        let count = base.loadLittleEndian(at: 12, as: UInt32.self)
        guard count == metadata.recordCount else {
            return "the batch header says \(count) records, the metadata \(metadata.recordCount)"
        }
        return nil
    }
}
