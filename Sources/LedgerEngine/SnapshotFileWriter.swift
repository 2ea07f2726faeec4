import Foundation

/// Durable file writes with POSIX calls (Foundation's atomic write does not fsync).
public enum SnapshotFileWriter {
    /// Writes `name` in `directory` so that a crash leaves either no file of that name or
    /// the whole file: a temporary file (never matching a snapshot name), fsync, rename,
    /// directory fsync.
    public static func writeAtomically(_ bytes: [UInt8], directory: String, name: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SnapshotWriteError(path: directory, reason: "cannot create the snapshots directory: \(error.localizedDescription)")
        }
        let finalPath = directory + "/" + name
        let temporaryPath = directory + "/.\(name).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(temporaryPath, "open") }
        var written = 0
        var problem: SnapshotWriteError? = nil
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

    private static func failure(_ path: String, _ operation: String) -> SnapshotWriteError {
        SnapshotWriteError(path: path, reason: "\(operation) failed: \(String(cString: strerror(errno)))")
    }
}

/// A snapshot file could not be written: the path and what failed. Nothing half-written is
/// left under a snapshot's name.
public struct SnapshotWriteError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
