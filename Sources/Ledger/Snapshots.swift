import Foundation
import LedgerDomain
import LedgerLog

/// Snapshot files of the decider's state, so that opening a ledger replays only the log's tail.
///
/// `DIR/snapshots/snapshot-<position, 20 digits>.bin`, all integers little-endian:
///
/// ```
/// offset  size  field
///      0     4  magic "LSNP"
///      4     4  format version (u32, SnapshotFile.formatVersion)
///      8     8  position: the last log position the state includes (u64)
///     16    32  the log's chain hash at that position (the batch head's hash)
///     48     4  decider version (u32, SnapshotFile.deciderVersion)
///     52     8  payload length in bytes (u64)
///     60     n  payload: one zstd frame of DomainState.snapshotBytes()
///   60+n     4  CRC-32C of bytes 0 ..< 60+n (u32)
/// ```
///
/// A snapshot is only a shortcut: it is used when its CRC, versions and chain hash (against
/// the log at its position) all check out, else skipped with a warning, and the log decides.
enum SnapshotFile {
    static let magic: [UInt8] = Array("LSNP".utf8)
    static let formatVersion: UInt32 = 1
    /// The rules and state layout the payload was made by: a change to what `DomainState`
    /// holds or means bumps it, so that old snapshots are skipped instead of misread.
    static let deciderVersion: UInt32 = 1
    static let headerBytes = 60
    static let checksumBytes = 4
    /// A guard against absurd declared sizes in a damaged file (the CRC catches those first).
    static let payloadBytesMax = 1 << 34
    static let namePrefix = "snapshot-"
    static let nameSuffix = ".bin"
    static let positionDigits = 20
    /// How many snapshot files are kept after a new one is written (the older are removed).
    static let keptCount = 3

    static func name(position: UInt64) -> String {
        let digits = String(position)
        return namePrefix + String(repeating: "0", count: positionDigits - digits.count) + digits + nameSuffix
    }

    /// The position a snapshot file name states, or nil for any other name.
    static func position(ofName name: String) -> UInt64? {
        guard name.hasPrefix(namePrefix), name.hasSuffix(nameSuffix) else { return nil }
        let digits = name.utf8.dropFirst(namePrefix.utf8.count).dropLast(nameSuffix.utf8.count)
        guard digits.count == positionDigits, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }

    /// The whole file for a state at `head`.
    static func encode(head: LogHead, state: DomainState) throws -> [UInt8] {
        try encode(head: head, stateBytes: state.snapshotBytes())
    }

    /// The whole file for `stateBytes` (``DomainState/snapshotBytes()``) at `head`.
    static func encode(head: LogHead, stateBytes: [UInt8]) throws -> [UInt8] {
        let payload = try stateBytes.withUnsafeBytes { try ZstdFrame.compress($0) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerBytes + payload.count + checksumBytes)
        bytes.append(contentsOf: magic)
        appendLittleEndian(formatVersion, to: &bytes)
        appendLittleEndian(head.position, to: &bytes)
        bytes.append(contentsOf: head.chainHash)
        appendLittleEndian(deciderVersion, to: &bytes)
        appendLittleEndian(UInt64(payload.count), to: &bytes)
        precondition(bytes.count == headerBytes, "snapshot header layout")
        bytes.append(contentsOf: payload)
        appendLittleEndian(bytes.withUnsafeBytes { CRC32C.checksum($0) }, to: &bytes)
        return bytes
    }

    /// What a snapshot file holds once its framing checks out.
    struct Contents {
        var head: LogHead
        var payload: [UInt8]
    }

    /// Checks the framing (length, CRC, magic, versions) and decompresses the payload; the
    /// reason it is unusable otherwise.
    static func decode(_ bytes: [UInt8]) -> Result<Contents, SnapshotFileProblem> {
        bytes.withUnsafeBytes { file in
            guard file.count >= headerBytes + checksumBytes else {
                return .failure(.init(offset: 0, reason: "\(file.count) bytes is shorter than a header and checksum"))
            }
            let checksumOffset = file.count - checksumBytes
            let stored = file.loadUnaligned(fromByteOffset: checksumOffset, as: UInt32.self).littleEndian
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: file[..<checksumOffset]))
            guard stored == computed else {
                return .failure(.init(offset: checksumOffset, reason: "CRC-32C \(hex(stored)) stored, \(hex(computed)) computed"))
            }
            guard file[0..<4].elementsEqual(magic) else { return .failure(.init(offset: 0, reason: "no LSNP magic")) }
            let version = file.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
            guard version == formatVersion else {
                return .failure(.init(offset: 4, reason: "format version \(version), this build reads \(formatVersion)"))
            }
            let position = file.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
            let chainHash = Array(file[16..<48])
            let decider = file.loadUnaligned(fromByteOffset: 48, as: UInt32.self).littleEndian
            guard decider == deciderVersion else {
                return .failure(.init(offset: 48, reason: "decider version \(decider), this build decides with \(deciderVersion)"))
            }
            let payloadBytes = file.loadUnaligned(fromByteOffset: 52, as: UInt64.self).littleEndian
            guard payloadBytes == UInt64(checksumOffset - headerBytes) else {
                return .failure(.init(offset: 52, reason: "payload length \(payloadBytes), the file holds \(checksumOffset - headerBytes)"))
            }
            let frame = UnsafeRawBufferPointer(rebasing: file[headerBytes..<checksumOffset])
            switch ZstdFrame.decompress(frame, contentBytesMax: payloadBytesMax) {
            case .success(let payload):
                return .success(Contents(head: LogHead(position: position, chainHash: chainHash), payload: payload))
            case .failure(let problem):
                return .failure(.init(offset: headerBytes, reason: problem.reason))
            }
        }
    }

    private static func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Why a snapshot file is unusable: the offset in the file and the reason.
struct SnapshotFileProblem: Error, CustomStringConvertible {
    var offset: Int
    var reason: String
    var description: String { "offset \(offset): \(reason)" }
}

extension LedgerLayout {
    /// `DIR/snapshots`: snapshot files of the decider's state (derived, safe to delete).
    var snapshotsDirectory: String { directory + "/snapshots" }
}

/// The decider state an open starts from: a snapshot's, or the empty one.
struct SnapshotStart {
    var state = DomainState()
    /// The last position `state` includes (0: none).
    var position: UInt64 = 0
    var warnings: [String] = []

    /// The newest snapshot in `layout` that checks out against the log, read through
    /// `reader`, at or before `durableHead`; each one skipped adds a warning.
    static func load(layout: LedgerLayout, reader: LogReader, durableHead: LogHead) -> SnapshotStart {
        var start = SnapshotStart()
        let directory = layout.snapshotsDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return start }
        let candidates = names.compactMap { name in SnapshotFile.position(ofName: name).map { (name, $0) } }
            .sorted { $0.1 > $1.1 }
        for (name, position) in candidates {
            let path = directory + "/" + name
            switch check(path: path, position: position, reader: reader, durableHead: durableHead) {
            case .success(let state):
                start.state = state
                start.position = position
                return start
            case .failure(let problem):
                start.warnings.append("snapshot \(path) skipped: \(problem)")
            }
        }
        return start
    }

    private static func check(path: String, position: UInt64, reader: LogReader, durableHead: LogHead) -> Result<DomainState, SnapshotFileProblem> {
        guard position <= durableHead.position else {
            return .failure(.init(offset: 0, reason: "position \(position) is beyond the log's head \(durableHead.position)"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.init(offset: 0, reason: "cannot be read"))
        }
        let contents: SnapshotFile.Contents
        switch SnapshotFile.decode([UInt8](data)) {
        case .success(let decoded): contents = decoded
        case .failure(let problem): return .failure(problem)
        }
        guard contents.head.position == position else {
            return .failure(.init(offset: 8, reason: "the header says position \(contents.head.position), the name \(position)"))
        }
        let logHash: [UInt8]?
        do {
            logHash = try chainHash(at: position, reader: reader)
        } catch {
            return .failure(.init(offset: 16, reason: "the log's chain hash at \(position) cannot be read: \(error)"))
        }
        guard let logHash else {
            return .failure(.init(offset: 8, reason: "position \(position) is not the end of a batch in the log"))
        }
        guard logHash == contents.head.chainHash else {
            return .failure(.init(offset: 16, reason: "its chain hash differs from the log's at position \(position)"))
        }
        do {
            return .success(try contents.payload.withUnsafeBytes { try DomainState(snapshotBytes: $0) })
        } catch {
            return .failure(.init(offset: SnapshotFile.headerBytes, reason: "payload: \(error)"))
        }
    }

    /// The chain hash the log stores for the batch ending at `position`, or nil when no batch ends there.
    private static func chainHash(at position: UInt64, reader: LogReader) throws -> [UInt8]? {
        if position == 0 { return LogHead.empty.chainHash }
        var found: [UInt8]? = nil
        try reader.forEach(from: position, through: position, batchEnd: { head in
            if head.position == position { found = head.chainHash }
        }, { _ in })
        return found
    }
}

/// A snapshot that ``LedgerWriter/snapshot()`` wrote.
public struct SnapshotTaken: Sendable, Equatable {
    /// The durable head the state was taken at.
    public var head: LogHead
    /// The snapshot file.
    public var path: String
    /// The file's size in bytes (header, compressed payload, checksum).
    public var fileBytes: Int
    /// The state's uncompressed size in bytes.
    public var stateBytes: Int
}

extension LedgerWriter {
    /// Writes a snapshot of the decider's state at the durable head. Waits for staged events
    /// to become durable so that the state and the head agree (the durable head is always a
    /// batch end). The file is written atomically (temporary file, fsync, rename, directory
    /// fsync); only the newest `SnapshotFile.keptCount` are kept. Appends go on meanwhile:
    /// the lock is held only to copy the state.
    @discardableResult
    public func snapshot() throws -> SnapshotTaken {
        var taken: (state: DomainState, head: LogHead)? = nil
        while taken == nil {
            let staged = lock.withLock { log.lastStagedPosition }
            try log.waitUntilDurable(through: staged)
            taken = lock.withLock {
                let head = log.durableHead
                // Appends that came in meanwhile are staged but not durable: try again.
                return head.position == log.lastStagedPosition ? (self.state, head) : nil
            }
        }
        let (state, head) = taken!
        let layout = LedgerLayout(directory: directory)
        let stateBytes = state.snapshotBytes()
        let bytes = try SnapshotFile.encode(head: head, stateBytes: stateBytes)
        let name = SnapshotFile.name(position: head.position)
        try SnapshotFileWriter.writeAtomically(bytes, directory: layout.snapshotsDirectory, name: name)
        SnapshotFileWriter.removeAllButNewest(SnapshotFile.keptCount, in: layout.snapshotsDirectory)
        lock.withLock { newestSnapshotPosition = max(newestSnapshotPosition, head.position) }
        return SnapshotTaken(head: head, path: layout.snapshotsDirectory + "/" + name, fileBytes: bytes.count, stateBytes: stateBytes.count)
    }
}

extension LedgerWriter {
    /// Takes a snapshot when ``LedgerOptions/snapshotEveryEvents`` events were appended
    /// since the newest one; called after events became durable. One at a time: an appender
    /// that finds one running goes on (the next append checks again).
    func snapshotIfDue() throws {
        guard snapshotEveryEvents > 0 else { return }
        let due: Bool = lock.withLock {
            guard !automaticSnapshotRunning,
                  log.durableHead.position >= newestSnapshotPosition + snapshotEveryEvents else { return false }
            automaticSnapshotRunning = true
            return true
        }
        guard due else { return }
        defer { lock.withLock { automaticSnapshotRunning = false } }
        try snapshot()
    }
}

/// Durable file writes with POSIX calls (Foundation's atomic write does not fsync).
enum SnapshotFileWriter {
    static func writeAtomically(_ bytes: [UInt8], directory: String, name: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LedgerError.file(path: directory, reason: "cannot create the snapshots directory: \(error.localizedDescription)")
        }
        let finalPath = directory + "/" + name
        let temporaryPath = directory + "/.\(name).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(temporaryPath, "open") }
        var written = 0
        var problem: LedgerError? = nil
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    problem = failure(temporaryPath, "write")
                    return
                }
                written += result
            }
        }
        if problem == nil && fsync(descriptor) != 0 { problem = failure(temporaryPath, "fsync") }
        close(descriptor)
        if let problem {
            unlink(temporaryPath)
            throw problem
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            let renameProblem = failure(temporaryPath, "rename to \(finalPath)")
            unlink(temporaryPath)
            throw renameProblem
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure(directory, "open directory") }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure(directory, "fsync directory") }
    }

    /// Removes older snapshot files; a failure only leaves an extra file behind.
    static func removeAllButNewest(_ keptCount: Int, in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let snapshots = names.filter { SnapshotFile.position(ofName: $0) != nil }.sorted(by: >)
        for name in snapshots.dropFirst(keptCount) { unlink(directory + "/" + name) }
    }

    private static func failure(_ path: String, _ operation: String) -> LedgerError {
        .file(path: path, reason: "\(operation) failed: \(String(cString: strerror(errno)))")
    }
}
