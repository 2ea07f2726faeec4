import Foundation
import Testing
@testable import LedgerLog

@Suite struct VerifyTests {
    /// Every single-bit flip anywhere in a small log's segments is reported by verify,
    /// naming the flipped segment, an offset inside the damaged batch, and a position
    /// of that batch.
    @Test func everySingleBitFlipIsDetected() throws {
        let directory = TemporaryDirectory("bitflip")
        defer { directory.remove() }
        let options = fastOptions(segmentBytesMax: 400, batchRecordsMax: 2)
        let writer = try LogWriter.open(directory: directory.path, options: options, create: true)
        for count in [1, 3, 2] {
            var last: UInt64 = 0
            for _ in 0..<count {
                let position = writer.lastStagedPosition + 1
                last = try writer.stage(sampleRecord(position, payloadBytes: 12))
            }
            try writer.waitUntilDurable(through: last)
        }
        writer.close()
        let segments = try segmentPaths(directory.path)
        #expect(segments.count >= 2, "the log spans segments")
        let reader = try LogReader(directory: directory.path)
        #expect(reader.verify().isValid)

        var flips = 0
        for segment in segments {
            let original = try readFile(segment)
            let layout = try batchLayout(segment)
            for byteIndex in 0..<original.count {
                let batch = layout.last { $0.offset <= UInt64(byteIndex) }!
                for bit in 0..<8 {
                    var damaged = original
                    damaged[byteIndex] ^= UInt8(1) << UInt8(bit)
                    try writeFile(segment, damaged)
                    let report = reader.verify()
                    flips += 1
                    guard case .corrupt(let file, let offset, let position, _)? = report.failure else {
                        Issue.record("byte \(byteIndex) bit \(bit) of \(segment): not detected: \(report)")
                        continue
                    }
                    #expect(file == segment, "byte \(byteIndex) bit \(bit)")
                    #expect(offset >= batch.offset && offset < batch.offset + batch.bytes, "byte \(byteIndex) bit \(bit)")
                    #expect(position >= batch.firstPosition && position <= batch.lastPosition, "byte \(byteIndex) bit \(bit)")
                }
            }
            try writeFile(segment, original)
        }
        #expect(reader.verify().isValid)
        #expect(flips > 2_000)
        print("bit flip test: \(flips) flips, all detected")
    }

    /// A batch rewritten with a different but self-consistent frame and checksums still
    /// breaks the hash chain (the chain covers the uncompressed bytes).
    @Test func rewrittenBatchBreaksTheChain() throws {
        let directory = TemporaryDirectory("rewrite")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(), create: true)
        try appendSamples(writer, flushes: 2, recordsPerFlush: 3)
        writer.close()
        let segment = try segmentPaths(directory.path)[0]
        var bytes = try readFile(segment)
        let first = try batchLayout(segment)[0]
        // Re-encode batch 1 with a changed payload byte, valid CRCs, the old chain hash.
        var metadata = try bytes.withUnsafeBytes { try BatchMetadata.decode($0).get() }
        let compressed = Array(bytes[BatchMetadata.byteCount..<Int(first.bytes)])
        let content = try decompressWithCLI(compressed)
        var changed = content
        changed[changed.count - 1] ^= 0x20
        let recompressed = try compressWithCLI(changed)
        metadata.frameBytes = UInt32(recompressed.count)
        metadata.frameChecksum = CRC32C.checksum(recompressed)
        var header = [UInt8](repeating: 0, count: BatchMetadata.byteCount)
        header.withUnsafeMutableBytes { metadata.encode(at: $0.baseAddress!) }
        bytes.replaceSubrange(0..<Int(first.bytes), with: header + recompressed)
        try writeFile(segment, bytes)
        let report = try LogReader(directory: directory.path).verify()
        guard case .corrupt(_, 0, 1, let reason)? = report.failure else {
            Issue.record("expected a chain failure at position 1, got \(report)")
            return
        }
        #expect(reason.contains("chain hash mismatch"))
    }

    /// Recompressing every frame (another level, the zstd CLI) keeps the chain valid:
    /// it is computed over uncompressed bytes.
    @Test func recompressedSegmentKeepsTheChain() throws {
        let directory = TemporaryDirectory("recompress")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(batchRecordsMax: 10), create: true)
        let last = try appendSamples(writer, flushes: 3, recordsPerFlush: 25)
        let head = writer.durableHead
        writer.close()
        let segment = try segmentPaths(directory.path)[0]
        let bytes = try readFile(segment)
        var rewritten: [UInt8] = []
        for batch in try batchLayout(segment) {
            let start = Int(batch.offset)
            var metadata = try bytes.withUnsafeBytes {
                try BatchMetadata.decode(UnsafeRawBufferPointer(rebasing: $0[start..<(start + BatchMetadata.byteCount)])).get()
            }
            let frame = Array(bytes[(start + BatchMetadata.byteCount)..<(start + Int(batch.bytes))])
            let recompressed = try compressWithCLI(try decompressWithCLI(frame), level: 19)
            metadata.frameBytes = UInt32(recompressed.count)
            metadata.frameChecksum = CRC32C.checksum(recompressed)
            var header = [UInt8](repeating: 0, count: BatchMetadata.byteCount)
            header.withUnsafeMutableBytes { metadata.encode(at: $0.baseAddress!) }
            rewritten += header + recompressed
        }
        #expect(rewritten != bytes)
        try writeFile(segment, rewritten)
        let report = try LogReader(directory: directory.path).verify()
        #expect(report.isValid, "\(report)")
        #expect(report.head == head)
        #expect(try checkSamples(directory.path) == last)
    }

    @Test func progressReachesTheTotal() throws {
        let directory = TemporaryDirectory("progress")
        defer { directory.remove() }
        let writer = try LogWriter.open(directory: directory.path, options: fastOptions(segmentBytesMax: 2_000, batchRecordsMax: 5),
                                        create: true)
        try appendSamples(writer, flushes: 4, recordsPerFlush: 10)
        writer.close()
        var calls: [(UInt64, UInt64)] = []
        let report = try LogReader(directory: directory.path).verify { calls.append(($0, $1)) }
        #expect(report.isValid)
        #expect(calls.last.map { $0.0 == $0.1 } == true)
        #expect(calls.last?.1 == report.statistics.bytesOnDisk)
        #expect(zip(calls, calls.dropFirst()).allSatisfy { $0.0 <= $1.0 })
    }
}

/// Runs the zstd CLI with `input` on stdin and returns its stdout.
func runZstd(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
    let directory = TemporaryDirectory("zstd-cli")
    defer { directory.remove() }
    let inputPath = directory.child("in")
    try writeFile(inputPath, input)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["zstd"] + arguments + ["-c", inputPath]
    let outputPath = directory.child("out")
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: outputPath)
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("zstd \(arguments) exited \(process.terminationStatus)") }
    return try readFile(outputPath)
}

func decompressWithCLI(_ frame: [UInt8]) throws -> [UInt8] { try runZstd(["-d", "-q"], input: frame) }

/// A frame like the writer's: content checksum and content size (the CLI writes both
/// for a file input).
func compressWithCLI(_ content: [UInt8], level: Int = 3) throws -> [UInt8] {
    try runZstd(["-\(level)", "-q", "--check"], input: content)
}
