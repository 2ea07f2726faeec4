#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where each durable batch starts, for reading records back by position: 20 bytes
/// per batch (a 4,096-record batch costs 0.005 bytes per record).
struct BatchIndex {
    private var firstPositions: [UInt64] = []
    private var offsets: [UInt64] = []
    private var segmentIndexes: [UInt32] = []

    var count: Int { firstPositions.count }

    mutating func append(firstPosition: UInt64, segmentIndex: Int, offset: UInt64) {
        precondition(firstPositions.last.map { $0 < firstPosition } ?? true, "batches are indexed in position order")
        firstPositions.append(firstPosition)
        offsets.append(offset)
        segmentIndexes.append(UInt32(segmentIndex))
    }

    /// The batch holding `position` (which must be durable).
    func locate(_ position: UInt64) -> BatchLocation {
        precondition(!firstPositions.isEmpty && position >= firstPositions[0], "the position is durable")
        var low = 0
        var high = firstPositions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if firstPositions[middle] <= position { low = middle } else { high = middle - 1 }
        }
        return BatchLocation(segmentIndex: Int(segmentIndexes[low]), offset: offsets[low], firstPosition: firstPositions[low])
    }
}

/// A batch's place in the log.
struct BatchLocation {
    var segmentIndex: Int
    var offset: UInt64
    var firstPosition: UInt64
}

/// Reads durable records back by position (idempotency hash matches, `record(at:)`),
/// keeping the last few decompressed batches: lookups of recent records, and of
/// neighbours, then cost no I/O.
final class RecordFetcher {
    private struct CachedBatch {
        var firstPosition: UInt64
        var content: [UInt8]
        /// Start offset of each record in `content`.
        var recordOffsets: [Int]
        /// The time before each record (what its time difference is taken from).
        var previousAts: [Int64]
    }

    private static let cachedBatchesMax = 4
    private let decoder = BatchDecoder()
    private var cache: [CachedBatch] = []
    private var files: [String: FileDescriptor] = [:]
    private let metadataBuffer = ByteBuffer(capacity: BatchMetadata.byteCount)

    /// Calls `body` with the record at `position` inside the batch at `location` of `segmentPath`.
    func withRecord<Result>(at position: UInt64, location: BatchLocation, segmentPath: String,
                            _ body: (RecordView) -> Result) throws(LogError) -> Result {
        let cacheIndex: Int
        if let found = cache.firstIndex(where: { $0.firstPosition == location.firstPosition }) {
            cacheIndex = found
        } else {
            try load(location: location, segmentPath: segmentPath)
            cacheIndex = cache.count - 1
        }
        let batch = cache[cacheIndex]
        let recordIndex = Int(position - batch.firstPosition)
        precondition(recordIndex >= 0 && recordIndex < batch.recordOffsets.count, "the batch holds the position")
        return batch.content.withUnsafeBytes { content in
            var cursor = batch.recordOffsets[recordIndex]
            var at = batch.previousAts[recordIndex]
            var problem: String?
            guard let view = RecordCodec.decode(content.baseAddress!, &cursor, end: content.count, position: position,
                                                previousAt: &at, problem: &problem) else {
                preconditionFailure("a batch whose framing was checked decodes: \(problem ?? "")")
            }
            return body(view)
        }
    }

    private func load(location: BatchLocation, segmentPath: String) throws(LogError) {
        let file: FileDescriptor
        if let open = files[segmentPath] {
            file = open
        } else {
            file = try FileDescriptor.open(segmentPath, flags: O_RDONLY)
            files[segmentPath] = file
        }
        let got = try file.read(into: metadataBuffer.base, count: BatchMetadata.byteCount, at: location.offset)
        func corrupt(_ reason: String) -> LogError {
            .corrupt(file: segmentPath, offset: location.offset, position: location.firstPosition, reason: reason)
        }
        guard got == BatchMetadata.byteCount else { throw corrupt("the file ends inside batch metadata") }
        let metadata: BatchMetadata
        switch BatchMetadata.decode(UnsafeRawBufferPointer(start: metadataBuffer.base, count: got)) {
        case .success(let decoded): metadata = decoded
        case .failure(let problem): throw corrupt(problem.reason)
        }
        guard metadata.firstPosition == location.firstPosition else {
            throw corrupt("the batch starts at position \(metadata.firstPosition), the index says \(location.firstPosition)")
        }
        let content = try decoder.load(file: file, offset: location.offset, metadata: metadata)
        var recordOffsets: [Int] = []
        var previousAts: [Int64] = []
        recordOffsets.reserveCapacity(Int(metadata.recordCount))
        previousAts.reserveCapacity(Int(metadata.recordCount))
        let base = content.baseAddress!
        var cursor = BatchHeader.byteCount
        var at = BatchHeader.baseAt(content)
        for position in metadata.firstPosition...metadata.lastPosition {
            recordOffsets.append(cursor)
            previousAts.append(at)
            var problem: String?
            guard RecordCodec.decode(base, &cursor, end: content.count, position: position, previousAt: &at,
                                     problem: &problem) != nil else {
                throw LogError.corrupt(file: segmentPath, offset: location.offset, position: position,
                                       reason: "record framing: \(problem ?? "bad framing")")
            }
        }
        if cache.count == Self.cachedBatchesMax { cache.removeFirst() }
        cache.append(CachedBatch(firstPosition: metadata.firstPosition, content: Array(content), recordOffsets: recordOffsets,
                                 previousAts: previousAts))
    }
}
