// swift-tools-version: 6.1
// The benchmark suite lives in its own package so that the main build (and CI)
// stays lean. Run it with `make bench` (see docs/PERFORMANCE.md).
import PackageDescription

let package = Package(
    name: "LedgerBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "ledger", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        // libzstd for the raw-decompression baseline (the root package's CZstd is not a product).
        .systemLibrary(
            name: "CZstdBenchmark",
            path: "Benchmarks/CZstdBenchmark",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .executableTarget(
            name: "LedgerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Ledger", package: "ledger"),
                .product(name: "LedgerDomain", package: "ledger"),
                .product(name: "LedgerLog", package: "ledger"),
                .product(name: "GRDB", package: "GRDB.swift"),
                "CZstdBenchmark",
            ],
            path: "Benchmarks/LedgerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
