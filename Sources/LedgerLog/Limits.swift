/// Hard limits of the on-disk format (docs/FORMAT.md, "Limits"). A reader rejects
/// anything beyond them as corrupt before allocating for it; a writer never produces it.
public enum LogLimits {
    /// Most bytes in the tenant, the id or the actor of one record (each).
    public static let keyBytesMax = 1_024
    /// Most bytes of one encoded record (all its fields and their length prefixes).
    public static let recordBytesMax = 8 * 1_024 * 1_024
    /// Most uncompressed bytes of one batch (batch header included).
    public static let batchBytesMax = 64 * 1_024 * 1_024
    /// Most records in one batch.
    public static let batchRecordsMax = 1 << 20
    /// Most bytes of one compressed zstd frame; above ZSTD_compressBound(batchBytesMax).
    public static let frameBytesMax = 65 * 1_024 * 1_024
    /// Most bytes a writer may hold staged (not yet durable) before `stage` refuses more.
    public static let stagedBytesMax = 256 * 1_024 * 1_024
    /// Largest segment size a writer can be configured with.
    public static let segmentBytesLimit: UInt64 = 1 << 36
}

/// How a `LogWriter` cuts batches and segments.
public struct LogOptions: Sendable, Equatable {
    /// A new segment file is started before a batch that would carry the current
    /// segment past this size (a segment holding a single larger batch may exceed it).
    public var segmentBytesMax: UInt64
    /// Target uncompressed size of a batch; a single larger record gets a batch of its own.
    public var batchBytesMax: Int
    /// Most records per batch.
    public var batchRecordsMax: Int
    /// zstd compression level of the batches.
    public var compressionLevel: Int32
    /// Whether zstd entropy-codes (Huffman) the literals of the batches. Off by default: raw
    /// literals cost about 3 bytes per event more on the generated history (21.45 against
    /// 18.39) and decompress faster (a one-thread balances replay about 10 % faster);
    /// docs/FORMAT.md, "Measurements behind the defaults". Readers need nothing either way.
    public var compressesLiterals: Bool
    /// `false` skips fdatasync and the directory fsync: appends are then NOT durable.
    /// For tests and benchmarks only.
    public var synchronous: Bool
    /// On open, cut a torn tail (the normal recovery after a crash). When `false`,
    /// open throws `LogError.torn` instead and leaves the files untouched.
    public var cutTornTail: Bool
    /// Group commit's gathering window, in microseconds (0: none, the default). When the
    /// last flushes were shared by n appenders, the next leader waits up to this long for n
    /// of them to be waiting (those the last flush released stage again meanwhile), so that
    /// one fdatasync covers them all instead of about half (docs/DECISIONS.md, "Group
    /// commit"). A lone appender never waits: its flushes had one caller.
    public var commitGatherMicroseconds: Int

    /// Test hook: when set, the idempotency index keeps only this many low bits of the
    /// key hash, forcing collisions so that their resolution is exercised.
    var keyHashBitsForTesting: Int? = nil
    /// Test hook: when set, a flush of several batches compresses them on this many threads
    /// instead of `BatchSealer.compressingThreads` (the bytes written must not depend on it).
    var compressingThreadsForTesting: Int? = nil

    /// Creates options; the defaults suit production (measured in docs/FORMAT.md).
    public init(segmentBytesMax: UInt64 = 64 * 1_024 * 1_024,
                batchBytesMax: Int = 1_024 * 1_024,
                batchRecordsMax: Int = 4_096,
                compressionLevel: Int32 = 1,
                compressesLiterals: Bool = false,
                synchronous: Bool = true,
                cutTornTail: Bool = true,
                commitGatherMicroseconds: Int = LogOptions.commitGatherMicrosecondsDefault) {
        self.segmentBytesMax = segmentBytesMax
        self.batchBytesMax = batchBytesMax
        self.batchRecordsMax = batchRecordsMax
        self.compressionLevel = compressionLevel
        self.compressesLiterals = compressesLiterals
        self.synchronous = synchronous
        self.cutTornTail = cutTornTail
        self.commitGatherMicroseconds = commitGatherMicroseconds
    }

    /// The default gathering window: none. Measured on the 2-core machine (docs/PERFORMANCE.md,
    /// "Group commit"), a 200 us window halves the syncs of 64 appenders at the same
    /// throughput, with a higher p99; worth it where syncs are dear (a network disk).
    public static let commitGatherMicrosecondsDefault = 0

    /// Throws `LogError.invalidOptions` when a value is outside what the format allows.
    func validate() throws(LogError) {
        guard segmentBytesMax >= 1, segmentBytesMax <= LogLimits.segmentBytesLimit else {
            throw .invalidOptions(reason: "segmentBytesMax \(segmentBytesMax) is outside 1...\(LogLimits.segmentBytesLimit)")
        }
        guard batchBytesMax >= 1, batchBytesMax <= LogLimits.batchBytesMax else {
            throw .invalidOptions(reason: "batchBytesMax \(batchBytesMax) is outside 1...\(LogLimits.batchBytesMax)")
        }
        guard batchRecordsMax >= 1, batchRecordsMax <= LogLimits.batchRecordsMax else {
            throw .invalidOptions(reason: "batchRecordsMax \(batchRecordsMax) is outside 1...\(LogLimits.batchRecordsMax)")
        }
        let levels = ZstdCompressor.levelRange
        guard levels.contains(compressionLevel) else {
            throw .invalidOptions(reason: "compressionLevel \(compressionLevel) is outside \(levels)")
        }
        guard commitGatherMicroseconds >= 0, commitGatherMicroseconds <= 1_000_000 else {
            throw .invalidOptions(reason: "commitGatherMicroseconds \(commitGatherMicroseconds) is outside 0...1000000")
        }
        if let bits = keyHashBitsForTesting {
            precondition(bits >= 1 && bits <= 64, "keyHashBitsForTesting must be in 1...64")
        }
        if let threads = compressingThreadsForTesting {
            precondition(threads >= 1 && threads <= 8, "compressingThreadsForTesting must be in 1...8")
        }
    }
}
