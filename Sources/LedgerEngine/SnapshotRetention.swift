import Foundation

/// Which snapshot files are kept after a new one is written: the newest `newestKept`, and of
/// the older ones, the newest of each business month (by the latest `at` they include), so
/// that as-of queries far in the past still start near their target.
public struct SnapshotRetention: Sendable, Equatable {
    /// Default: the four newest, then one per month.
    public static let newestKeptDefault = 4

    public var newestKept: Int
    /// Keep one older snapshot per business month (false: only the newest `newestKept`).
    public var monthlyKept: Bool

    public init(newestKept: Int = SnapshotRetention.newestKeptDefault, monthlyKept: Bool = true) {
        precondition(newestKept >= 1, "the newest snapshot is always kept")
        self.newestKept = newestKept
        self.monthlyKept = monthlyKept
    }

    /// A snapshot file as retention sees it.
    public struct Candidate: Sendable, Equatable {
        public var name: String
        public var position: UInt64
        /// The month bucket of its latest business time (nil: unknown, e.g. format 1).
        public var month: Int64?

        public init(name: String, position: UInt64, month: Int64?) {
            self.name = name
            self.position = position
            self.month = month
        }
    }

    /// The names to remove among `candidates` (any order).
    public func removals(_ candidates: [Candidate]) -> [String] {
        let newestFirst = candidates.sorted { $0.position > $1.position }
        var monthsKept = Set<Int64>()
        var removed: [String] = []
        for (index, candidate) in newestFirst.enumerated() {
            if index < newestKept {
                if let month = candidate.month { monthsKept.insert(month) }
                continue
            }
            if monthlyKept, let month = candidate.month, monthsKept.insert(month).inserted { continue }
            removed.append(candidate.name)
        }
        return removed
    }

    /// Applies the policy in `directory`: removes the snapshot files it does not keep and the
    /// temporary files of interrupted writes (only the writer, which holds the ledger's lock,
    /// writes snapshots, so any such file is a leftover). `month` gives a file's month bucket,
    /// nil when its header cannot be read (such a file is kept, for the next reader to report).
    /// A failure to remove only leaves an extra file behind.
    public func apply(in directory: String, month: (String) -> Int64??) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        var candidates: [Candidate] = []
        for name in names {
            if name.hasPrefix("." + SnapshotFile.namePrefix) && name.hasSuffix(".tmp") {
                unlink(directory + "/" + name)
                continue
            }
            guard let position = SnapshotFile.position(ofName: name) else { continue }
            guard let bucket = month(directory + "/" + name) else { continue }
            candidates.append(Candidate(name: name, position: position, month: bucket))
        }
        for name in removals(candidates) { unlink(directory + "/" + name) }
    }
}
