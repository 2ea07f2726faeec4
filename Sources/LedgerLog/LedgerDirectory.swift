#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One segment file of a ledger directory.
struct SegmentEntry: Equatable {
    /// The first position of the segment's first batch (from the file name).
    var firstPosition: UInt64
    /// Full path.
    var path: String
}

/// The files of a ledger directory (docs/FORMAT.md, "Directory"):
/// `FORMAT` (marks the directory as a ledger log), `LOCK` (the writer's flock) and
/// `segment-<first position, 20 digits>.zst`. Other files are ignored.
enum LedgerDirectory {
    static let formatFileName = "FORMAT"
    static let formatFileContents = Array("ledger-log 1\n".utf8)
    static let lockFileName = "LOCK"
    static let segmentPrefix = "segment-"
    static let segmentSuffix = ".zst"
    static let segmentDigits = 20
    private static let formatFileBytesMax = 64

    static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func segmentName(firstPosition: UInt64) -> String {
        let digits = String(firstPosition)
        return segmentPrefix + String(repeating: "0", count: segmentDigits - digits.count) + digits + segmentSuffix
    }

    /// The first position a segment file name states, or nil if the name is not a segment's.
    static func firstPosition(ofSegmentNamed name: String) -> UInt64? {
        let utf8 = Array(name.utf8)
        let prefix = Array(segmentPrefix.utf8)
        let suffix = Array(segmentSuffix.utf8)
        guard utf8.count == prefix.count + segmentDigits + suffix.count,
              utf8.starts(with: prefix), utf8.suffix(suffix.count).elementsEqual(suffix) else { return nil }
        var value: UInt64 = 0
        for byte in utf8[prefix.count..<(prefix.count + segmentDigits)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowTimes, !overflowSum else { return nil }
            value = sum
        }
        return value >= 1 ? value : nil
    }

    /// The segment files, by first position.
    static func segments(in directory: String) throws(LogError) -> [SegmentEntry] {
        var entries: [SegmentEntry] = []
        for name in try FileSystem.list(directory) {
            if let first = firstPosition(ofSegmentNamed: name) {
                entries.append(SegmentEntry(firstPosition: first, path: path(directory, name)))
            }
        }
        entries.sort { $0.firstPosition < $1.firstPosition }
        return entries
    }

    /// Throws `notALedger` unless the directory holds a FORMAT file of this version.
    static func checkFormat(_ directory: String) throws(LogError) {
        guard FileSystem.isDirectory(directory) else {
            throw .notALedger(directory: directory, reason: "no such directory")
        }
        let formatPath = path(directory, formatFileName)
        guard FileSystem.exists(formatPath) else {
            throw .notALedger(directory: directory, reason: "no \(formatFileName) file")
        }
        let contents = try FileSystem.readSmallFile(formatPath, bytesMax: formatFileBytesMax)
        guard contents == formatFileContents else {
            throw .notALedger(directory: directory,
                              reason: "\(formatFileName) does not say \"ledger-log 1\" (found \(String(decoding: contents, as: UTF8.self).debugDescription))")
        }
    }

    /// True when the directory holds nothing a ledger could need: no entries but the
    /// LOCK file and a FORMAT temporary file left by an interrupted creation.
    static func isEmptyForCreation(_ directory: String) throws(LogError) -> Bool {
        for name in try FileSystem.list(directory) where name != lockFileName && name != formatFileName + ".tmp" {
            return false
        }
        return true
    }

    /// Writes the FORMAT file durably (temporary file, fsync, rename, directory fsync).
    static func writeFormatFile(_ directory: String) throws(LogError) {
        let temporaryPath = path(directory, formatFileName + ".tmp")
        let file = try FileDescriptor.open(temporaryPath, flags: O_WRONLY | O_CREAT | O_TRUNC)
        var failure: LogError?
        formatFileContents.withUnsafeBytes { bytes in
            do throws(LogError) { try file.write(bytes, at: 0) } catch { failure = error }
        }
        if let failure { throw failure }
        try file.synchronizeAll()
        file.close()
        try FileSystem.rename(temporaryPath, path(directory, formatFileName))
        try FileSystem.synchronizeDirectory(directory)
    }
}
