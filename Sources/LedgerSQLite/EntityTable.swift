/// The current rows of one entity table, kept in memory, with the rows changed since the last
/// flush: folding an event updates the row in place, and the batch writes each changed row
/// once, however many of its events touched it.
struct EntityTable<Key: Hashable, Value> {
    private var indexes: [Key: Int] = [:]
    private(set) var keys: [Key] = []
    private(set) var values: [Value] = []
    /// Whether the row at the same index changed since the last flush.
    private var changed: [Bool] = []
    /// The indexes of the rows changed since the last flush, each once, in first-change order.
    private(set) var changedIndexes: [Int] = []

    var count: Int { keys.count }

    subscript(key: Key) -> Value? {
        indexes[key].map { values[$0] }
    }

    /// Adds a row read back from the database: it is not a change.
    mutating func restore(_ key: Key, _ value: Value) {
        precondition(indexes[key] == nil, "a row is restored twice")
        indexes[key] = keys.count
        keys.append(key)
        values.append(value)
        changed.append(false)
    }

    /// Changes the row of `key`, creating it with `initial` first when it does not exist, and
    /// marks it changed.
    mutating func update(_ key: Key, initial: @autoclosure () -> Value, _ change: (inout Value) -> Void) {
        let index: Int
        if let existing = indexes[key] {
            index = existing
        } else {
            index = keys.count
            indexes[key] = index
            keys.append(key)
            values.append(initial())
            changed.append(false)
        }
        change(&values[index])
        if !changed[index] {
            changed[index] = true
            changedIndexes.append(index)
        }
    }

    /// Forgets which rows changed, once they are written.
    mutating func markWritten() {
        for index in changedIndexes { changed[index] = false }
        changedIndexes.removeAll(keepingCapacity: true)
    }
}
