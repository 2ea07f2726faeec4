import Benchmark
import CZstdBenchmark
import Foundation
import LedgerDomain
import LedgerLog

/// The limit to approach: libzstd alone decompressing the log's own segment bytes (held
/// in memory, read outside the measured part), with nothing done to the output.
func registerZstdBaseline() {
    Benchmark(
        "zstd baseline: decompress the 1M-event log's segments",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, CustomMetrics.megabytesPerSecond],
            warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(20), maxIterations: 10)
    ) { benchmark in
        let segments = SegmentBytes.shared
        let started = monotonicNanoseconds()
        benchmark.startMeasurement()
        let produced = segments.decompressAll()
        benchmark.stopMeasurement()
        let elapsed = monotonicNanoseconds() - started
        benchmark.measurement(CustomMetrics.megabytesPerSecond, Int(Double(produced) / 1e6 / (Double(elapsed) / 1e9)))
    } setup: {
        _ = SegmentBytes.shared
    }
}

/// Every segment file of the replay ledger, in memory, and a reused output buffer.
final class SegmentBytes: @unchecked Sendable {
    static let shared = SegmentBytes()
    let segments: [[UInt8]]
    private var output = [UInt8](repeating: 0, count: 1 << 22)
    private let context: OpaquePointer

    private init() {
        let logDirectory = Fixtures.replayLedger + "/log"
        let names = (try! FileManager.default.contentsOfDirectory(atPath: logDirectory))
            .filter { $0.hasPrefix("segment-") && $0.hasSuffix(".zst") }
            .sorted()
        precondition(!names.isEmpty, "the replay ledger has no segment")
        segments = names.map { [UInt8](FileManager.default.contents(atPath: logDirectory + "/" + $0)!) }
        context = ZSTD_createDStream()!
    }

    /// Decompresses every segment as one zstd stream each (skippable frames included, as
    /// `zstd -dc` reads them); returns the number of bytes produced.
    func decompressAll() -> Int {
        var produced = 0
        output.withUnsafeMutableBytes { outputBytes in
            for segment in segments {
                ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
                segment.withUnsafeBytes { inputBytes in
                    var input = ZSTD_inBuffer(src: inputBytes.baseAddress, size: inputBytes.count, pos: 0)
                    while input.pos < input.size {
                        var out = ZSTD_outBuffer(dst: outputBytes.baseAddress, size: outputBytes.count, pos: 0)
                        let result = ZSTD_decompressStream(context, &out, &input)
                        precondition(benchmark_zstd_is_error(result) == 0, "zstd refused a segment")
                        produced += out.pos
                    }
                }
            }
        }
        return produced
    }
}
