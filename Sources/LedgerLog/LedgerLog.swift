// LedgerLog module
