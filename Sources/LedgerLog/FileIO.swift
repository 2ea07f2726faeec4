#if canImport(Glibc)
import Glibc
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
private func systemClose(_ descriptor: Int32) -> Int32 { Glibc.close(descriptor) }
private func systemRename(_ from: String, _ to: String) -> Int32 { Glibc.rename(from, to) }
#elseif canImport(Darwin)
import Darwin
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Darwin.open(path, flags, mode) }
private func systemClose(_ descriptor: Int32) -> Int32 { Darwin.close(descriptor) }
private func systemRename(_ from: String, _ to: String) -> Int32 { Darwin.rename(from, to) }
#endif

/// Owns one open file descriptor; closes it in deinit. Every call retries EINTR and
/// turns failures into `LogError.io` naming the path and the operation.
final class FileDescriptor {
    let path: String
    private(set) var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close() }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(LogError) -> FileDescriptor {
        while true {
            let descriptor = systemOpen(path, flags | O_CLOEXEC, mode)
            if descriptor >= 0 { return FileDescriptor(path: path, descriptor: descriptor) }
            if errno != EINTR { throw .io(path: path, operation: "open", errno: errno) }
        }
    }

    func close() {
        if descriptor >= 0 {
            _ = systemClose(descriptor)
            descriptor = -1
        }
    }

    func size() throws(LogError) -> UInt64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .io(path: path, operation: "fstat", errno: errno) }
        return UInt64(status.st_size)
    }

    /// Reads up to `count` bytes at `offset` into `destination`; returns the bytes read
    /// (fewer only at the end of the file).
    func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: UInt64) throws(LogError) -> Int {
        var done = 0
        while done < count {
            let result = pread(descriptor, destination + done, count - done, off_t(offset) + off_t(done))
            if result > 0 {
                done += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                throw .io(path: path, operation: "pread", errno: errno)
            }
        }
        return done
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(LogError) {
        var done = 0
        while done < bytes.count {
            let result = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if result > 0 {
                done += result
            } else if result < 0 && errno != EINTR {
                throw .io(path: path, operation: "pwrite", errno: errno)
            } else if result == 0 {
                throw .io(path: path, operation: "pwrite", errno: EIO)
            }
        }
    }

    /// Makes the file's data (and the size needed to read it) durable.
    func synchronizeData() throws(LogError) {
        while true {
            #if canImport(Darwin)
            let result = fcntl(descriptor, F_FULLFSYNC)
            #else
            let result = fdatasync(descriptor)
            #endif
            if result == 0 { return }
            if errno != EINTR { throw .io(path: path, operation: "fdatasync", errno: errno) }
        }
    }

    /// Makes the file (or directory) and its metadata durable.
    func synchronizeAll() throws(LogError) {
        while true {
            if fsync(descriptor) == 0 { return }
            if errno != EINTR { throw .io(path: path, operation: "fsync", errno: errno) }
        }
    }

    func truncate(to length: UInt64) throws(LogError) {
        while true {
            if ftruncate(descriptor, off_t(length)) == 0 { return }
            if errno != EINTR { throw .io(path: path, operation: "ftruncate", errno: errno) }
        }
    }

    /// Takes an exclusive advisory lock without waiting; false when another holder has it.
    func tryLockExclusive() throws(LogError) -> Bool {
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno == EWOULDBLOCK { return false }
            if errno != EINTR { throw .io(path: path, operation: "flock", errno: errno) }
        }
    }
}

/// Directory-level calls.
enum FileSystem {
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    static func size(_ path: String) throws(LogError) -> UInt64 {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .io(path: path, operation: "stat", errno: errno) }
        return UInt64(status.st_size)
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory, without "." and "..".
    static func list(_ path: String) throws(LogError) -> [String] {
        guard let directory = opendir(path) else { throw .io(path: path, operation: "opendir", errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates a directory and any missing parents.
    static func createDirectories(_ path: String) throws(LogError) {
        if isDirectory(path) { return }
        let parent = parentDirectory(path)
        if parent != path && !parent.isEmpty { try createDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .io(path: path, operation: "mkdir", errno: errno)
        }
    }

    static func parentDirectory(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// fsync on the directory: makes created, renamed and removed entries durable.
    static func synchronizeDirectory(_ path: String) throws(LogError) {
        let directory = try FileDescriptor.open(path, flags: O_RDONLY | O_DIRECTORY)
        try directory.synchronizeAll()
    }

    static func remove(_ path: String) throws(LogError) {
        if unlink(path) != 0 { throw .io(path: path, operation: "unlink", errno: errno) }
    }

    static func rename(_ from: String, _ to: String) throws(LogError) {
        if systemRename(from, to) != 0 { throw .io(path: from, operation: "rename to \(to)", errno: errno) }
    }

    /// Reads a whole small file.
    static func readSmallFile(_ path: String, bytesMax: Int) throws(LogError) -> [UInt8] {
        let file = try FileDescriptor.open(path, flags: O_RDONLY)
        var bytes = [UInt8](repeating: 0, count: bytesMax)
        var readCount = 0
        var failure: LogError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(LogError) { readCount = try file.read(into: buffer.baseAddress!, count: bytesMax, at: 0) } catch { failure = error }
        }
        if let failure { throw failure }
        return Array(bytes[0..<readCount])
    }
}
