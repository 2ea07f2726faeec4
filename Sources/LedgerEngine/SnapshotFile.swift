import Foundation
import LedgerLog

/// Snapshot files: the state of the decider and of the projectors at a log position P, so that
/// opening a ledger and answering as-of queries fold only the events after P.
///
/// The engine knows nothing of what a section holds: a domain pack names its sections by a
/// kind number and a version. A file is only a shortcut: it is used when its checksums, its
/// versions and its chain hash (against the log at P) check out, else skipped with a warning,
/// and the log decides. docs/FORMAT.md part 3 has the layout; all integers are little-endian.
///
/// Format version 2 (written by this build):
///
/// ```
/// offset   size  field
///      0      4  magic "LSNP"
///      4      4  format version (u32) = 2
///      8      8  position P: the last log position the state includes (u64)
///     16     32  the log's chain hash at P (the hash stored for the batch ending at P)
///     48      8  latest business time `at` among the events at positions <= P (i64,
///                microseconds since 1970, UTC; i64.min when P = 0)
///     56      4  section count n (u32, at most sectionsCountMax)
///     60    32n  section table, one 32-byte entry per section:
///                  kind u32, version u32, offset u64 (from the file's start),
///                  length u64 (bytes of its zstd frame), CRC-32C of those bytes u32, zero u32
/// 60+32n      4  CRC-32C of bytes 0 ..< 60+32n (u32)
/// 64+32n    ...  the sections' zstd frames, back to back in table order; the file ends
///                where the last one ends
/// ```
///
/// Format version 1 (golden file `snapshots/v1`, still read): a 60-byte header (magic, version
/// 1, position, chain hash, decider version u32 at 48, payload length u64 at 52), one zstd
/// frame holding the decider's state, and a CRC-32C of everything before it. It is read as a
/// file with a single section of kind ``SnapshotSectionKind/decider`` and no business time.
public enum SnapshotFile {
    public static let magic: [UInt8] = Array("LSNP".utf8)
    /// The format this build writes.
    public static let formatVersion: UInt32 = 2
    /// The formats this build reads.
    public static let formatVersionsRead: ClosedRange<UInt32> = 1...2
    public static let headerBytes = 60
    public static let sectionEntryBytes = 32
    public static let checksumBytes = 4
    /// A limit on the section table, so that a damaged count cannot make a reader allocate.
    public static let sectionsCountMax = 16
    /// A guard against absurd declared sizes in a damaged file (the CRCs catch those first).
    public static let sectionContentBytesMax = 1 << 34
    public static let namePrefix = "snapshot-"
    public static let nameSuffix = ".bin"
    public static let positionDigits = 20
    /// Format 1's header is 60 bytes and its payload starts there.
    static let version1HeaderBytes = 60

    /// `snapshot-<position, 20 digits>.bin`.
    public static func name(position: UInt64) -> String {
        let digits = String(position)
        return namePrefix + String(repeating: "0", count: positionDigits - digits.count) + digits + nameSuffix
    }

    /// The position a snapshot file name states, or nil for any other name (temporary files
    /// of an interrupted write are `.snapshot-...tmp` and never match).
    public static func position(ofName name: String) -> UInt64? {
        guard name.hasPrefix(namePrefix), name.hasSuffix(nameSuffix) else { return nil }
        let digits = name.utf8.dropFirst(namePrefix.utf8.count).dropLast(nameSuffix.utf8.count)
        guard digits.count == positionDigits, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }

    /// The whole file (format 2) for `sections` (uncompressed contents) of a state at `head`.
    public static func encode(head: LogHead, latestAt: Int64, sections: [SnapshotSection]) throws -> [UInt8] {
        precondition(sections.count <= sectionsCountMax, "at most \(sectionsCountMax) sections")
        precondition(head.chainHash.count == 32, "a chain hash is 32 bytes")
        // Sections compress independently: on both cores (the read models' section is most of
        // a large snapshot, so the others go beside it).
        /// Each section's frame, written by the one iteration that compresses it.
        final class Frames: @unchecked Sendable {
            var results: [Result<[UInt8], LogError>]
            init(count: Int) { results = Array(repeating: .success([]), count: count) }
        }
        let compressed = Frames(count: sections.count)
        compressed.results.withUnsafeMutableBufferPointer { results in
            nonisolated(unsafe) let results = results
            DispatchQueue.concurrentPerform(iterations: sections.count) { index in
                results[index] = sections[index].content.withUnsafeBytes { content in
                    Result { () throws(LogError) in try ZstdFrame.compress(content) }
                }
            }
        }
        let frames = try compressed.results.map { try $0.get() }
        let tableEnd = headerBytes + sectionEntryBytes * sections.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tableEnd + checksumBytes + frames.reduce(0) { $0 + $1.count })
        bytes.append(contentsOf: magic)
        append(formatVersion, to: &bytes)
        append(head.position, to: &bytes)
        bytes.append(contentsOf: head.chainHash)
        append(latestAt, to: &bytes)
        append(UInt32(sections.count), to: &bytes)
        precondition(bytes.count == headerBytes, "snapshot header layout")
        var offset = UInt64(tableEnd + checksumBytes)
        for (section, frame) in zip(sections, frames) {
            append(section.kind.rawValue, to: &bytes)
            append(section.version, to: &bytes)
            append(offset, to: &bytes)
            append(UInt64(frame.count), to: &bytes)
            append(frame.withUnsafeBytes { CRC32C.checksum($0) }, to: &bytes)
            append(UInt32(0), to: &bytes)
            offset += UInt64(frame.count)
        }
        append(bytes.withUnsafeBytes { CRC32C.checksum($0) }, to: &bytes)
        for frame in frames { bytes.append(contentsOf: frame) }
        return bytes
    }

    /// Reads and checks the header and section table of the file at `path` (for format 1,
    /// the whole file's CRC). Sections are read on demand with ``SnapshotHeader/content(of:)``.
    public static func readHeader(path: String) -> Result<SnapshotHeader, SnapshotFileProblem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return .failure(.init(offset: 0, reason: "cannot be opened: \(String(cString: strerror(errno)))"))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            return .failure(.init(offset: 0, reason: "cannot be read: \(String(cString: strerror(errno)))"))
        }
        let fileBytes = Int(status.st_size)
        guard fileBytes >= headerBytes + checksumBytes else {
            return .failure(.init(offset: 0, reason: "\(fileBytes) bytes is shorter than a header and checksum"))
        }
        let prefixBytes = min(fileBytes, headerBytes + sectionEntryBytes * sectionsCountMax + checksumBytes)
        guard let prefix = readFully(descriptor, offset: 0, count: prefixBytes) else {
            return .failure(.init(offset: 0, reason: "cannot be read: \(String(cString: strerror(errno)))"))
        }
        guard prefix[0..<4].elementsEqual(magic) else { return .failure(.init(offset: 0, reason: "no LSNP magic")) }
        let version = load(UInt32.self, prefix, 4)
        switch version {
        case 1:
            guard let whole = readFully(descriptor, offset: 0, count: fileBytes) else {
                return .failure(.init(offset: 0, reason: "cannot be read: \(String(cString: strerror(errno)))"))
            }
            return decodeVersion1(whole, path: path)
        case 2:
            return decodeVersion2(prefix: prefix, fileBytes: fileBytes, path: path)
        default:
            return .failure(.init(offset: 4, reason: "format version \(version), this build reads \(formatVersionsRead.lowerBound) to \(formatVersionsRead.upperBound)"))
        }
    }

    private static func decodeVersion2(prefix: [UInt8], fileBytes: Int, path: String) -> Result<SnapshotHeader, SnapshotFileProblem> {
        let count = Int(load(UInt32.self, prefix, 56))
        guard count <= sectionsCountMax else {
            return .failure(.init(offset: 56, reason: "section count \(count) exceeds \(sectionsCountMax)"))
        }
        let tableEnd = headerBytes + sectionEntryBytes * count
        guard prefix.count >= tableEnd + checksumBytes else {
            return .failure(.init(offset: 56, reason: "the file is too short for \(count) section entries"))
        }
        let stored = load(UInt32.self, prefix, tableEnd)
        let computed = prefix.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<tableEnd])) }
        guard stored == computed else {
            return .failure(.init(offset: tableEnd, reason: "header CRC-32C \(hex(stored)) stored, \(hex(computed)) computed"))
        }
        var sections: [SnapshotSectionEntry] = []
        var expectedOffset = UInt64(tableEnd + checksumBytes)
        for index in 0..<count {
            let entryOffset = headerBytes + sectionEntryBytes * index
            let entry = SnapshotSectionEntry(
                kind: SnapshotSectionKind(rawValue: load(UInt32.self, prefix, entryOffset)),
                version: load(UInt32.self, prefix, entryOffset + 4),
                offset: load(UInt64.self, prefix, entryOffset + 8),
                length: load(UInt64.self, prefix, entryOffset + 16),
                checksum: load(UInt32.self, prefix, entryOffset + 24))
            guard entry.offset == expectedOffset, entry.length <= UInt64(fileBytes) else {
                return .failure(.init(offset: entryOffset + 8, reason: "section \(index) is at offset \(entry.offset) with \(entry.length) bytes; expected it at \(expectedOffset)"))
            }
            expectedOffset += entry.length
            sections.append(entry)
        }
        guard expectedOffset == UInt64(fileBytes) else {
            return .failure(.init(offset: Int(min(expectedOffset, UInt64(fileBytes))), reason: "the sections end at byte \(expectedOffset), the file at \(fileBytes) (truncated or extended)"))
        }
        let latestAt = load(Int64.self, prefix, 48)
        return .success(SnapshotHeader(
            path: path, formatVersion: 2, fileBytes: fileBytes,
            head: LogHead(position: load(UInt64.self, prefix, 8), chainHash: Array(prefix[16..<48])),
            latestAt: latestAt == .min ? nil : latestAt, sections: sections, inlineContent: nil))
    }

    private static func decodeVersion1(_ file: [UInt8], path: String) -> Result<SnapshotHeader, SnapshotFileProblem> {
        let checksumOffset = file.count - checksumBytes
        let stored = load(UInt32.self, file, checksumOffset)
        let computed = file.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<checksumOffset])) }
        guard stored == computed else {
            return .failure(.init(offset: checksumOffset, reason: "CRC-32C \(hex(stored)) stored, \(hex(computed)) computed"))
        }
        let payloadBytes = load(UInt64.self, file, 52)
        guard payloadBytes == UInt64(checksumOffset - version1HeaderBytes) else {
            return .failure(.init(offset: 52, reason: "payload length \(payloadBytes), the file holds \(checksumOffset - version1HeaderBytes)"))
        }
        let frame = Array(file[version1HeaderBytes..<checksumOffset])
        let entry = SnapshotSectionEntry(
            kind: .decider, version: load(UInt32.self, file, 48), offset: UInt64(version1HeaderBytes),
            length: payloadBytes, checksum: frame.withUnsafeBytes { CRC32C.checksum($0) })
        return .success(SnapshotHeader(
            path: path, formatVersion: 1, fileBytes: file.count,
            head: LogHead(position: load(UInt64.self, file, 8), chainHash: Array(file[16..<48])),
            latestAt: nil, sections: [entry], inlineContent: frame))
    }

    static func readFully(_ descriptor: Int32, offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        let ok = bytes.withUnsafeMutableBytes { buffer -> Bool in
            while done < count {
                let result = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                if result == 0 { return false }
                done += result
            }
            return true
        }
        return ok ? bytes : nil
    }

    private static func load<Value: FixedWidthInteger>(_ type: Value.Type, _ bytes: [UInt8], _ offset: Int) -> Value {
        bytes.withUnsafeBytes { Value(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Value.self)) }
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// What a section holds; numbers are assigned by the engine (the time index) and by the
/// domain pack (everything else). A reader skips a section of a kind it does not know.
/// Two kinds are equal when their numbers are; the name is only for messages.
public struct SnapshotSectionKind: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public var name: String

    public init(rawValue: UInt32, name: String? = nil) {
        self.rawValue = rawValue
        self.name = name ?? "kind \(rawValue)"
    }

    /// The decider's state (the only section of a format 1 file).
    public static let decider = SnapshotSectionKind(rawValue: 1, name: "decider")
    /// The engine's ``TimeIndex`` of the log up to the snapshot's position.
    public static let timeIndex = SnapshotSectionKind(rawValue: 2, name: "time index")

    public static func == (left: Self, right: Self) -> Bool { left.rawValue == right.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public var description: String { name }
}

/// One section to write: its kind, the version of the code that made it, and its bytes.
public struct SnapshotSection: Sendable {
    public var kind: SnapshotSectionKind
    public var version: UInt32
    public var content: [UInt8]

    public init(kind: SnapshotSectionKind, version: UInt32, content: [UInt8]) {
        self.kind = kind
        self.version = version
        self.content = content
    }
}

/// A section as the table of a file describes it.
public struct SnapshotSectionEntry: Sendable, Equatable {
    public var kind: SnapshotSectionKind
    public var version: UInt32
    /// Where its zstd frame starts in the file.
    public var offset: UInt64
    /// Its zstd frame's byte count.
    public var length: UInt64
    /// CRC-32C of the frame.
    public var checksum: UInt32
}

/// A snapshot file whose header and section table check out.
public struct SnapshotHeader: Sendable {
    public var path: String
    public var formatVersion: UInt32
    public var fileBytes: Int
    /// The position and chain hash the state was taken at.
    public var head: LogHead
    /// The latest business time among the events at positions <= head (nil in format 1).
    public var latestAt: Int64?
    public var sections: [SnapshotSectionEntry]
    /// Format 1 files are read whole: their single frame, already checked.
    var inlineContent: [UInt8]?

    /// The entry of the section of `kind`, if the file has one.
    public func section(_ kind: SnapshotSectionKind) -> SnapshotSectionEntry? {
        sections.first { $0.kind == kind }
    }

    /// Reads, checks (CRC-32C) and decompresses the section of `kind`.
    public func content(of kind: SnapshotSectionKind) -> Result<[UInt8], SnapshotFileProblem> {
        guard let entry = section(kind) else { return .failure(.init(offset: 0, reason: "no \(kind) section")) }
        let frame: [UInt8]
        if let inlineContent {
            frame = inlineContent
        } else {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                return .failure(.init(offset: 0, reason: "cannot be opened: \(String(cString: strerror(errno)))"))
            }
            defer { close(descriptor) }
            guard let bytes = SnapshotFile.readFully(descriptor, offset: Int(entry.offset), count: Int(entry.length)) else {
                return .failure(.init(offset: Int(entry.offset), reason: "\(kind) section cannot be read (truncated?)"))
            }
            let computed = bytes.withUnsafeBytes { CRC32C.checksum($0) }
            guard computed == entry.checksum else {
                return .failure(.init(offset: Int(entry.offset), reason: "\(kind) section CRC-32C \(SnapshotFile.hex(entry.checksum)) stored, \(SnapshotFile.hex(computed)) computed"))
            }
            frame = bytes
        }
        return frame.withUnsafeBytes { bytes in
            switch ZstdFrame.decompress(bytes, contentBytesMax: SnapshotFile.sectionContentBytesMax) {
            case .success(let content): .success(content)
            case .failure(let problem): .failure(.init(offset: Int(entry.offset), reason: "\(kind) section: \(problem.reason)"))
            }
        }
    }
}

/// Why a snapshot file (or one of its sections) is unusable: the offset in the file and the reason.
public struct SnapshotFileProblem: Error, CustomStringConvertible, Sendable {
    public var offset: Int
    public var reason: String
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
    public var description: String { "offset \(offset): \(reason)" }
}
