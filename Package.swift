// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ledger",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LedgerLog", targets: ["LedgerLog"]),
        .library(name: "LedgerDomain", targets: ["LedgerDomain"]),
        .executable(name: "ledger", targets: ["ledger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // __builtin_prefetch for Swift (one static inline function).
        .target(name: "CPrefetch"),
        .target(
            name: "LedgerLog",
            dependencies: ["CZstd", "CPrefetch", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "LedgerEngine",
            dependencies: ["LedgerLog"]
        ),
        .target(
            name: "LedgerDomain",
            dependencies: ["LedgerEngine"]
        ),
        .target(
            name: "LedgerSQLite",
            dependencies: [
                "LedgerDomain", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "Ledger",
            dependencies: ["LedgerDomain", "LedgerSQLite", "LedgerEngine", "LedgerLog", "CPrefetch"]
        ),
        .executableTarget(
            name: "ledger",
            dependencies: ["Ledger", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Appends until killed; LedgerLogTests runs it and SIGKILLs it to test recovery.
        .executableTarget(
            name: "ledger-log-crash-child",
            dependencies: ["LedgerLog"]
        ),
        // Projects batches until killed; LedgerSQLiteTests runs it and SIGKILLs it to test recovery.
        .executableTarget(
            name: "ledger-sqlite-crash-child",
            dependencies: ["LedgerSQLite", "LedgerDomain", "LedgerTestSupport"]
        ),
        // Seeded random histories shared by the tests and the SQLite crash child.
        .target(name: "LedgerTestSupport", dependencies: ["LedgerDomain"], path: "Tests/LedgerTestSupport"),
        .testTarget(name: "LedgerLogTests", dependencies: ["LedgerLog", "ledger-log-crash-child"]),
        .testTarget(name: "LedgerDomainTests", dependencies: ["LedgerDomain", "LedgerTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "LedgerSQLite", "LedgerDomain", "LedgerEngine", "LedgerLog", "LedgerTestSupport", "ledger"]),
        .testTarget(
            name: "LedgerSQLiteTests",
            dependencies: [
                "LedgerSQLite", "LedgerDomain", "LedgerTestSupport", "ledger-sqlite-crash-child",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)
