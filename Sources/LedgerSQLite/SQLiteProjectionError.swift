/// Why the projection refused to read or write its database. SQLite's own failures (disk full,
/// I/O error, busy, ...) are thrown as GRDB's `DatabaseError`, which keeps the result code, the
/// message and the SQL.
public enum SQLiteProjectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `apply` was given an event at `found` where the next position is `expected`: the batch
    /// does not continue the checkpoint (or skips or repeats a position inside the batch).
    /// Nothing was written.
    case positionGap(expected: UInt64, found: UInt64)
    /// The tables were made by another format version of this module; `reset()` rebuilds them.
    case formatVersionMismatch(found: Int64, expected: Int64)
    /// The database has no checkpoint row (the tables were altered by hand); `reset()` rebuilds them.
    case missingCheckpoint
    /// A column of a stored row does not hold the type the schema declares.
    case badColumn(column: String, expected: String, sql: String)
    /// A stored value that this module never writes, e.g. an unknown order state.
    case badValue(table: String, column: String, value: String)

    public var description: String {
        switch self {
        case .positionGap(let expected, let found):
            "event at position \(found) does not continue the projection: the next position is \(expected); nothing was written"
        case .formatVersionMismatch(let found, let expected):
            "the read-model tables have format version \(found), this program writes version \(expected): rebuild them"
        case .missingCheckpoint:
            "the read-model database has no projection_checkpoint row: rebuild it"
        case .badColumn(let column, let expected, let sql):
            "column \(column) does not hold \(expected) (\(sql))"
        case .badValue(let table, let column, let value):
            "\(table).\(column) holds \"\(value)\", which this program never writes"
        }
    }
}
