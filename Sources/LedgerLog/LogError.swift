#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything the log throws. Format problems name the file, the byte offset and the
/// position they concern; I/O problems name the path, the operation and the errno.
public enum LogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another writer holds the ledger directory's LOCK file.
    case locked(directory: String)
    /// The directory is not a ledger (no FORMAT file, an unknown format, or not empty when creating).
    case notALedger(directory: String, reason: String)
    /// Bytes that do not check out: a bad checksum, a broken chain, a gap, bad framing.
    /// `position` is the first position concerned (for a batch, the position it should start at).
    case corrupt(file: String, offset: UInt64, position: UInt64, reason: String)
    /// A torn tail found on open while `LogOptions.cutTornTail` is `false`.
    case torn(TornTail)
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// zstd refused to compress (never expected; the message is zstd's).
    case compression(reason: String)
    /// A record field or the whole record exceeds its limit (`LogLimits`).
    case recordTooLarge(field: String, bytes: Int, limit: Int)
    /// More than `LogLimits.stagedBytesMax` bytes are staged; wait until they are durable first.
    case stagingFull(bytes: Int, limit: Int)
    /// An earlier flush failed; the writer refuses all further work. Reopen the directory.
    case poisoned(reason: String)
    /// The writer was closed.
    case closed
    /// No record at this position (beyond the head, or 0).
    case positionOutOfRange(position: UInt64, head: UInt64)
    /// `LogOptions` outside what the format allows.
    case invalidOptions(reason: String)

    public var description: String {
        switch self {
        case .locked(let directory):
            return "ledger \(directory) is locked by another writer (LOCK is held)"
        case .notALedger(let directory, let reason):
            return "\(directory) is not a ledger: \(reason)"
        case .corrupt(let file, let offset, let position, let reason):
            return "corrupt ledger: \(file) at byte offset \(offset), position \(position): \(reason)"
        case .torn(let tail):
            return "torn tail: \(tail)"
        case .io(let path, let operation, let errno):
            return "\(operation) \(path) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .compression(let reason):
            return "zstd compression failed: \(reason)"
        case .recordTooLarge(let field, let bytes, let limit):
            return "record \(field) has \(bytes) bytes, more than the limit of \(limit)"
        case .stagingFull(let bytes, let limit):
            return "\(bytes) bytes are staged, more than the limit of \(limit); wait until they are durable"
        case .poisoned(let reason):
            return "the log writer is unusable after a failed flush (\(reason)); reopen the ledger"
        case .closed:
            return "the log writer is closed"
        case .positionOutOfRange(let position, let head):
            return "no record at position \(position) (head is \(head))"
        case .invalidOptions(let reason):
            return "invalid log options: \(reason)"
        }
    }
}

/// An incomplete last batch at the end of the last segment: what a crash leaves
/// behind, and what a writer cuts when it opens the ledger.
public struct TornTail: Sendable, Equatable, CustomStringConvertible {
    /// How the tail is incomplete (docs/FORMAT.md, "Torn tail").
    public enum Kind: String, Sendable, Equatable {
        /// The segment file is empty.
        case emptySegment
        /// The file ends inside the 72 bytes of batch metadata.
        case endsInsideMetadata
        /// The metadata checks out but the file ends inside the frame it announces.
        case endsInsideFrame
        /// Every byte from the batch start to the end of the file is zero.
        case zeroTail
    }
    /// The segment file (full path).
    public var file: String
    /// Where the incomplete batch starts: the file is cut to this length.
    public var offset: UInt64
    /// How many bytes follow `offset` (the bytes cut).
    public var bytes: UInt64
    /// The position the incomplete batch would have started at (head + 1).
    public var position: UInt64
    /// How the tail is incomplete.
    public var kind: Kind

    public init(file: String, offset: UInt64, bytes: UInt64, position: UInt64, kind: Kind) {
        self.file = file
        self.offset = offset
        self.bytes = bytes
        self.position = position
        self.kind = kind
    }

    public var description: String {
        "\(file): \(bytes) bytes from byte offset \(offset) (would start at position \(position)): \(kind.rawValue)"
    }
}

/// What a writer cut when it opened a ledger after a crash.
public struct RecoveryReport: Sendable, Equatable, CustomStringConvertible {
    /// The torn tail that was cut.
    public var tornTail: TornTail
    /// `true` when the segment held nothing else and was removed.
    public var segmentRemoved: Bool

    public var description: String {
        "cut torn tail \(tornTail)" + (segmentRemoved ? "; removed the empty segment" : "")
    }
}
