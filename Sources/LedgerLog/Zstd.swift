import CZstd

/// Owns one zstd compression context (ZSTD_CCtx). Contexts are not thread-safe: one
/// per owner, reused for every batch so compression does not allocate per batch.
final class ZstdCompressor {
    /// Levels zstd accepts ("regular compression levels from 1 up to ZSTD_maxCLevel()",
    /// plus the fast negative levels down to ZSTD_minCLevel()).
    static var levelRange: ClosedRange<Int32> { Int32(ZSTD_minCLevel())...Int32(ZSTD_maxCLevel()) }

    private let context: OpaquePointer

    /// A context compressing at `level`; with `compressesLiterals` false, literals are
    /// stored raw (where the library supports choosing: zstd 1.5 does), which decompresses
    /// faster for a larger frame (docs/FORMAT.md, "Measurements behind the defaults").
    init(level: Int32, compressesLiterals: Bool = true) throws(LogError) {
        guard let context = ZSTD_createCCtx() else { throw .compression(reason: "ZSTD_createCCtx returned NULL") }
        self.context = context
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "set compression level")
        // "A 32-bits checksum of content is written at end of frame (default:0)": the
        // frame then checks its own content when decompressed (docs/FORMAT.md).
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enable content checksum")
        // "Content size will be written into frame header _whenever known_ (default:1)":
        // ZSTD_compress2 knows it, so every frame states its decompressed size.
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1), "enable content size")
        if !compressesLiterals {
            // An error here means a zstd without the parameter: literals are then compressed,
            // the frames as valid as ever.
            _ = ledger_zstd_disable_literal_compression(context)
        }
    }

    /// A context for a log's batches, as `options` set them.
    convenience init(options: LogOptions) throws(LogError) {
        try self.init(level: options.compressionLevel, compressesLiterals: options.compressesLiterals)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Worst-case compressed size of `sourceBytes` bytes.
    static func bound(_ sourceBytes: Int) -> Int { ZSTD_compressBound(sourceBytes) }

    /// Compresses `source` as one frame into `destination` (at least `bound(source.count)`
    /// bytes) and returns the frame's size.
    func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer, capacity: Int) throws(LogError) -> Int {
        let result = ZSTD_compress2(context, destination, capacity, source.baseAddress, source.count)
        try check(result, "compress")
        return result
    }

    private func check(_ code: Int, _ operation: String) throws(LogError) {
        if ledger_zstd_is_error(code) != 0 {
            throw .compression(reason: "\(operation): \(String(cString: ledger_zstd_error_name(code)))")
        }
    }
}

/// Owns one zstd decompression context (ZSTD_DCtx), reused for every batch.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() {
        guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx returned NULL (out of memory)") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// The first four bytes of every zstd frame (little-endian 0xFD2FB528).
    static let frameMagic: UInt32 = 0xFD2F_B528

    /// Checks that `frame` is exactly one zstd frame that carries a content checksum
    /// and declares `contentBytes` of content; returns why not, or nil.
    static func frameProblem(_ frame: UnsafeRawBufferPointer, contentBytes: Int) -> String? {
        guard frame.count >= 6 else { return "the zstd frame is shorter than a frame header" }
        let base = frame.baseAddress!
        guard base.loadLittleEndian(at: 0, as: UInt32.self) == frameMagic else { return "no zstd frame magic" }
        // Frame_Header_Descriptor, bit 2: Content_Checksum_flag (RFC 8878, 3.1.1.1.1).
        let descriptor = base.load(fromByteOffset: 4, as: UInt8.self)
        guard descriptor & 0x04 != 0 else { return "the zstd frame has no content checksum" }
        let declared = ZSTD_getFrameContentSize(base, frame.count)
        if declared == ledger_zstd_content_size_unknown() { return "the zstd frame does not declare its content size" }
        if declared == ledger_zstd_content_size_error() { return "the zstd frame header is invalid" }
        guard declared == UInt64(contentBytes) else {
            return "the zstd frame declares \(declared) content bytes, the metadata \(contentBytes)"
        }
        let frameSize = ZSTD_findFrameCompressedSize(base, frame.count)
        if ledger_zstd_is_error(frameSize) != 0 {
            return "the zstd frame is malformed: \(String(cString: ledger_zstd_error_name(frameSize)))"
        }
        guard frameSize == frame.count else {
            return "the zstd frame is \(frameSize) bytes, the metadata announces \(frame.count)"
        }
        return nil
    }

    /// Decompresses one frame into `destination`, which must hold exactly the content
    /// size; returns why it failed, or nil. zstd checks the content checksum itself.
    func decompress(_ frame: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer, contentBytes: Int) -> String? {
        let result = ZSTD_decompressDCtx(context, destination, contentBytes, frame.baseAddress, frame.count)
        if ledger_zstd_is_error(result) != 0 {
            return "zstd: \(String(cString: ledger_zstd_error_name(result)))"
        }
        guard result == contentBytes else { return "zstd produced \(result) bytes, expected \(contentBytes)" }
        return nil
    }
}

/// One-shot zstd frames for files outside the log (snapshots): the same frame as the log's
/// batches and the `zstd` CLI (content size and content checksum in the frame), with a
/// context per call since these are rare.
public enum ZstdFrame {
    /// The compression level of snapshot files.
    public static let levelDefault: Int32 = 3

    /// `source` as one zstd frame.
    public static func compress(_ source: UnsafeRawBufferPointer, level: Int32 = levelDefault) throws(LogError) -> [UInt8] {
        let compressor = try ZstdCompressor(level: level)
        let capacity = ZstdCompressor.bound(source.count)
        var failure: LogError?
        // Uninitialized room for the bound (zero-filling it first was a pass over the whole
        // bound of a large section), cut to the frame's size.
        let frame = [UInt8](unsafeUninitializedCapacity: capacity) { destination, initialized in
            do throws(LogError) {
                initialized = try compressor.compress(UnsafeRawBufferPointer(source), into: destination.baseAddress!, capacity: capacity)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return frame
    }

    /// The content of `frame`, which must be exactly one frame declaring at most
    /// `contentBytesMax` bytes of content and carrying a content checksum; otherwise the reason.
    public static func decompress(_ frame: UnsafeRawBufferPointer, contentBytesMax: Int) -> Result<[UInt8], ZstdFrameProblem> {
        guard frame.count >= 6, let base = frame.baseAddress else { return .failure(.init(reason: "the zstd frame is shorter than a frame header")) }
        let declared = ZSTD_getFrameContentSize(base, frame.count)
        if declared == ledger_zstd_content_size_unknown() { return .failure(.init(reason: "the zstd frame does not declare its content size")) }
        if declared == ledger_zstd_content_size_error() { return .failure(.init(reason: "the zstd frame header is invalid")) }
        guard declared <= UInt64(contentBytesMax) else {
            return .failure(.init(reason: "the zstd frame declares \(declared) content bytes, more than \(contentBytesMax)"))
        }
        let contentBytes = Int(declared)
        if let problem = ZstdDecompressor.frameProblem(frame, contentBytes: contentBytes) { return .failure(.init(reason: problem)) }
        // An empty array may have no storage to hand to zstd; the frame was checked above.
        if contentBytes == 0 { return .success([]) }
        var content = [UInt8](repeating: 0, count: contentBytes)
        let problem = content.withUnsafeMutableBytes { destination in
            ZstdDecompressor().decompress(frame, into: destination.baseAddress!, contentBytes: contentBytes)
        }
        if let problem { return .failure(.init(reason: problem)) }
        return .success(content)
    }
}

/// Why a zstd frame could not be decompressed.
public struct ZstdFrameProblem: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
