/// The duplicate test of EVENTS.md section 2, with every string compared byte for byte.
extension Event {
    /// True when `other` holds the same content as this event: the same `type`, `at` (as an
    /// instant), `actor`, `data` and `extras`, with every string compared code point by code
    /// point (by its UTF-8 bytes), never with Unicode normalisation. Tenant and id are not
    /// compared: this is the test between a new event and the logged one with its tenant and id.
    ///
    /// Prefer it to `==` for the duplicate/conflict decision: `Event ==` compares the free
    /// text of `data` (`title`, `reason`, `reference`), `metadata` and `extras` with
    /// `String ==`, which treats `"é"` and `"e\u{301}"` as equal.
    ///
    /// ```swift
    /// if new.hasSameContent(as: logged) { /* duplicate */ } else { /* conflict */ }
    /// ```
    public func hasSameContent(as other: Event) -> Bool {
        guard type == other.type, at == other.at, actor == other.actor,
              extras.utf8.elementsEqual(other.extras.utf8)
        else { return false }
        let mine = EventFieldValues(data)
        let theirs = EventFieldValues(other.data)
        return mine.names == theirs.names
            && mine.text.utf8.elementsEqual(theirs.text.utf8)
            && mine.integer == theirs.integer
            && mine.timestamp == theirs.timestamp
            && mine.period == theirs.period
            && mine.code == theirs.code
            && sameOptionalBytes(mine.metadata, theirs.metadata)
    }

    private func sameOptionalBytes(_ left: String?, _ right: String?) -> Bool {
        switch (left, right) {
        case (nil, nil): true
        case (let left?, let right?): left.utf8.elementsEqual(right.utf8)
        default: false
        }
    }
}
