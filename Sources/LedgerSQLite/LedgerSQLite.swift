// LedgerSQLite: materialises the read models into SQLite tables.
