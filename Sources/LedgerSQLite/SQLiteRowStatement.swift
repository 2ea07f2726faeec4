import GRDB
import GRDBSQLite
import LedgerDomain

/// `SQLITE_TRANSIENT`, which Swift does not import: the C header defines it as the macro
/// `((sqlite3_destructor_type)-1)`. "If the fifth argument has the value SQLITE_TRANSIENT, then
/// SQLite makes its own private copy of the data immediately, before the sqlite3_bind_*()
/// routine returns."
nonisolated(unsafe) let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A prepared statement bound and stepped through the SQLite C API, one row at a time.
///
/// GRDB binds text with a length of -1 and reads it back with `String(cString:)`, so a text
/// holding a NUL character would be cut there; EVENTS.md allows any string, so every text is
/// bound and read here with its exact UTF-8 byte count. Binding with the C API also builds no
/// `StatementArguments` array per row. The `Statement` is GRDB's: it is finalized when this
/// value is released, before GRDB closes the connection.
struct SQLiteRowStatement {
    let statement: Statement
    private var handle: SQLiteStatement { statement.sqliteStatement }

    /// A statement prepared for this use only.
    init(_ database: Database, sql: String) throws {
        statement = try database.makeStatement(sql: sql)
    }

    /// The connection's cached statement for `sql`, prepared on first use. Every parameter is
    /// bound before each execution, so whatever an earlier use left bound does not matter.
    init(cached database: Database, sql: String) throws {
        statement = try database.cachedStatement(sql: sql)
    }

    // MARK: Binding. Parameters are numbered from 1, as in SQLite.

    func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ value: Int64?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    func bind(_ text: UnsafeRawBufferPointer, at index: Int32) throws {
        // A zero-length text with a nil pointer would bind NULL: "If the third parameter to
        // sqlite3_bind_text() ... is a NULL pointer then the fourth parameter is ignored and
        // the end result is the same as sqlite3_bind_null()."
        let start = text.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        try check(sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(text.count), sqliteTransient))
    }

    func bind(_ text: String, at index: Int32) throws {
        try text.withUTF8Bytes { try bind($0, at: index) }
    }

    func bind(_ name: Name, at index: Int32) throws {
        try bind(name.string, at: index)
    }

    func bind(_ name: Name?, at index: Int32) throws {
        if let name { try bind(name, at: index) } else { try bindNull(at: index) }
    }

    func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Runs a statement that returns no row, then resets it for the next row's bindings.
    func execute() throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let error = self.error(code)
            sqlite3_reset(handle)
            throw error
        }
        try check(sqlite3_reset(handle))
    }

    // MARK: Reading

    /// Steps through every result row, calling `body` with a reader of the current row.
    func forEachRow(_ body: (SQLiteRowReader) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw error(code) }
            try body(SQLiteRowReader(handle: handle, sql: statement.sql))
        }
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw error(code) }
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}

/// The columns of the current result row of a `SQLiteRowStatement`. Columns are numbered
/// from 0, as in SQLite.
struct SQLiteRowReader {
    let handle: SQLiteStatement
    let sql: String

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    /// An INTEGER column; a NULL or another type is a `SQLiteProjectionError.badColumn`.
    func integer(_ column: Int32) throws -> Int64 {
        guard sqlite3_column_type(handle, column) == SQLITE_INTEGER else { throw badColumn(column, expected: "INTEGER") }
        return sqlite3_column_int64(handle, column)
    }

    func optionalInteger(_ column: Int32) throws -> Int64? {
        isNull(column) ? nil : try integer(column)
    }

    /// A TEXT column, every byte of it (NUL characters included).
    func text(_ column: Int32) throws -> String {
        guard sqlite3_column_type(handle, column) == SQLITE_TEXT else { throw badColumn(column, expected: "TEXT") }
        // "call sqlite3_column_text() first to force the result into the desired format, then
        // invoke sqlite3_column_bytes() to find the size of the result."
        guard let start = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) throws -> String? {
        isNull(column) ? nil : try text(column)
    }

    func name(_ column: Int32) throws -> Name { Name(try text(column)) }

    func optionalName(_ column: Int32) throws -> Name? { try optionalText(column).map { Name($0) } }

    private func badColumn(_ column: Int32, expected: String) -> SQLiteProjectionError {
        let name = sqlite3_column_name(handle, column).map { String(cString: $0) } ?? "#\(column)"
        return .badColumn(column: name, expected: expected, sql: sql)
    }
}
