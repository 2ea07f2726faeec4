import ArgumentParser
import Foundation
import Ledger
import LedgerDomain

/// Options every query command shares: the directory, the tenant, the as-of point and
/// the output format.
struct QueryOptions: ParsableArguments {
    @Argument(help: "The ledger directory.")
    var directory: String

    @Option(name: .long, help: "Only this tenant (default: every tenant).")
    var tenant: String?

    @Option(name: .customLong("as-of-position"), help: "Fold only the events at positions <= N.")
    var asOfPosition: UInt64?

    @Option(name: .customLong("as-of"), help: "Fold only the events with business time <= TIME (YYYY-MM-DDTHH:MM:SS[.f]Z).")
    var asOfTime: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Flag(name: .customLong("no-snapshots"), help: "Fold from the log's start instead of the newest snapshot before the as-of point (same answer, slower).")
    var noSnapshots = false

    @Flag(name: .long, help: "Print CSV.")
    var csv = false

    func validate() throws {
        if asOfPosition != nil && asOfTime != nil {
            throw ValidationError("give --as-of-position or --as-of, not both")
        }
        if json && csv { throw ValidationError("give --json or --csv, not both") }
        if let asOfTime, Timestamp(parsing: Array(asOfTime.utf8)) == nil {
            throw ValidationError("--as-of \(asOfTime): expected YYYY-MM-DDTHH:MM:SS[.f]Z (UTC, 1-6 fraction digits)")
        }
    }

    var asOf: AsOf {
        if let asOfPosition { return .position(asOfPosition) }
        if let asOfTime, let time = Timestamp(parsing: Array(asOfTime.utf8)) { return .time(time) }
        return .end
    }

    var format: RowFormat { json ? .json : csv ? .csv : .table }

    /// Folds the read models and returns the tenants asked for, in order. Without histories
    /// (audit trail, order histories, journal transfers) the fold starts from the newest
    /// snapshot before the as-of point; with them, from the log's start.
    func load(includeHistories: Bool = false) throws -> (ReadModels, [TenantReadModels]) {
        let reader = try openReader()
        let models = try reader.readModels(asOf: asOf, includeHistories: includeHistories)
        for warning in reader.lastFold.warnings { Terminal.warning(warning) }
        if let tenant {
            guard let found = models.tenant(Name(tenant)) else { return (models, []) }
            return (models, [found])
        }
        return (models, models.tenants.compactMap { models.tenant($0) })
    }
}

extension QueryOptions {
    func openReader() throws -> LedgerReader {
        let reader = try LedgerReader(directory: directory)
        reader.usesSnapshots = !noSnapshots
        return reader
    }

    /// The balances fast path, from the newest snapshot's balances before the as-of point.
    func loadBalances(worker: String? = nil) throws -> BalanceFold {
        let reader = try openReader()
        let scope = tenant.map { BalanceScope(tenant: Name($0), worker: worker.map { Name($0) }) }
        let (fold, _) = try reader.balances(asOf: asOf, scope: scope)
        for warning in reader.lastFold.warnings { Terminal.warning(warning) }
        return fold
    }
}

enum RowFormat { case table, csv, json }

/// One value of a result row, typed so that JSON keeps numbers as numbers and nulls as null.
enum Cell {
    case text(String)
    case integer(Int64)
    /// Cents: an integer in JSON and CSV, a decimal amount in tables.
    case cents(Int64)
    case null

    var tableText: String {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        case .cents(let value): Format.cents(value)
        case .null: "-"
        }
    }

    var csvText: String {
        switch self {
        case .text(let text):
            if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        case .integer(let value), .cents(let value): return String(value)
        case .null: return ""
        }
    }

    var jsonText: String {
        switch self {
        case .text(let text): JSONText.string(text)
        case .integer(let value), .cents(let value): String(value)
        case .null: "null"
        }
    }
}

extension Cell {
    init(_ name: Name?) { self = name.map { .text($0.string) } ?? .null }
    init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    init(cents: Int64?) { self = cents.map { .cents($0) } ?? .null }
    init(_ time: Timestamp?) { self = time.map { .text($0.canonical) } ?? .null }
}

/// A result: column names and rows, printed as a table, CSV or JSON (an array of objects).
struct Rows {
    var columns: [String]
    var rows: [[Cell]] = []
    /// Columns whose cells are right-aligned in tables (amounts).
    var numericColumns: Set<Int> = []
    /// Columns holding cents: tables print them as decimal amounts, so their header drops
    /// the `_cents` suffix there (CSV and JSON keep integer cents and the full name).
    var centsColumns: Set<Int> = []

    init(_ columns: [String]) { self.columns = columns }

    mutating func append(_ row: [Cell]) {
        precondition(row.count == columns.count, "a row must have one cell per column")
        rows.append(row)
        for (index, cell) in row.enumerated() {
            switch cell {
            case .integer: numericColumns.insert(index)
            case .cents:
                numericColumns.insert(index)
                centsColumns.insert(index)
            default: break
            }
        }
    }

    func render(_ format: RowFormat) -> String {
        switch format {
        case .table:
            if rows.isEmpty { return "(no rows)\n" }
            let header = columns.enumerated().map { index, name in
                centsColumns.contains(index) && name.hasSuffix("_cents") ? String(name.dropLast(6)) : name
            }
            return Format.table(header, rows.map { $0.map(\.tableText) }, rightAligned: numericColumns)
        case .csv:
            var text = columns.joined(separator: ",") + "\n"
            for row in rows { text += row.map(\.csvText).joined(separator: ",") + "\n" }
            return text
        case .json:
            let objects = rows.map { row in
                "{" + zip(columns, row).map { JSONText.string($0) + ":" + $1.jsonText }.joined(separator: ",") + "}"
            }
            return "[" + objects.joined(separator: ",\n ") + "]\n"
        }
    }
}
