/// A change to a written line, applied by rewriting it from its recorded field bounds:
/// the way bad lines, duplicates and conflicts are derived from good lines without
/// parsing JSON.
struct GeneratorLineEdit {
    /// Top-level fields to write, by `GeneratorLine.TopField` index, in this order.
    var topOrder: [Int] = Array(0..<GeneratorLine.topFieldCount)
    /// A top-level field to leave out.
    var omittedTopField: Int?
    /// A top-level field whose value is replaced by this raw JSON text.
    var topReplacement: (index: Int, value: [UInt8])?
    /// A top-level field written twice (the copy last, same value).
    var repeatedTopField: Int?
    /// Writes the fields of `data` in reverse order.
    var reversesData = false
    /// A field of `data` to leave out.
    var omittedDataField: Int?
    /// A field of `data` whose value is replaced by this raw JSON text.
    var dataReplacement: (index: Int, value: [UInt8])?
    /// A field added at the end of `data`: its key (without quotes) and raw JSON value.
    var addedDataField: (key: [UInt8], value: [UInt8])?
    /// Replaces the whole value of `data` by this raw JSON text (fields and edits of
    /// `data` are then ignored).
    var dataValue: [UInt8]?
    /// Puts a space after each comma and around each colon.
    var isSpaced = false
}

extension GeneratorLine {
    /// Writes this line, changed by `edit`, to `output` (no newline).
    func rewrite<Sink: ByteSink>(_ edit: GeneratorLineEdit, into output: inout Sink) {
        output.append(UInt8(ascii: "{"))
        var isFirst = true
        var topFields = edit.topOrder.filter { $0 != edit.omittedTopField }
        if let repeated = edit.repeatedTopField { topFields.append(repeated) }
        for index in topFields {
            if !isFirst { appendSeparator(spaced: edit.isSpaced, to: &output) }
            isFirst = false
            let bounds = topField(index)
            appendKey(keyStart: bounds.key, valueStart: bounds.value, spaced: edit.isSpaced, to: &output)
            if let replacement = edit.topReplacement, replacement.index == index {
                GeneratorBytes.append(replacement.value, to: &output)
            } else if index == TopField.data.rawValue {
                if let dataValue = edit.dataValue {
                    GeneratorBytes.append(dataValue, to: &output)
                } else {
                    rewriteData(edit, into: &output)
                }
            } else {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[bounds.value..<bounds.end]))
            }
        }
        output.append(UInt8(ascii: "}"))
    }

    private func rewriteData<Sink: ByteSink>(_ edit: GeneratorLineEdit, into output: inout Sink) {
        output.append(UInt8(ascii: "{"))
        var isFirst = true
        let indexes = edit.reversesData ? Array((0..<dataFieldCount).reversed()) : Array(0..<dataFieldCount)
        for index in indexes where index != edit.omittedDataField {
            if !isFirst { appendSeparator(spaced: edit.isSpaced, to: &output) }
            isFirst = false
            let bounds = dataField(index)
            appendKey(keyStart: bounds.key, valueStart: bounds.value, spaced: edit.isSpaced, to: &output)
            if let replacement = edit.dataReplacement, replacement.index == index {
                GeneratorBytes.append(replacement.value, to: &output)
            } else {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[bounds.value..<bounds.end]))
            }
        }
        if let added = edit.addedDataField {
            if !isFirst { appendSeparator(spaced: edit.isSpaced, to: &output) }
            output.append(UInt8(ascii: "\""))
            GeneratorBytes.append(added.key, to: &output)
            output.append(UInt8(ascii: "\""))
            output.append(UInt8(ascii: ":"))
            GeneratorBytes.append(added.value, to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// `"key":` as written, or `"key" : ` when spaced.
    private func appendKey<Sink: ByteSink>(keyStart: Int, valueStart: Int, spaced: Bool, to output: inout Sink) {
        if spaced {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[keyStart..<valueStart - 1]))
            GeneratorBytes.append(" : ", to: &output)
        } else {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[keyStart..<valueStart]))
        }
    }

    private func appendSeparator<Sink: ByteSink>(spaced: Bool, to output: inout Sink) {
        output.append(UInt8(ascii: ","))
        if spaced { output.append(UInt8(ascii: " ")) }
    }

    /// The raw JSON text of a top-level field's value.
    func topValue(_ field: TopField) -> [UInt8] {
        let bounds = topField(field.rawValue)
        return bytes(bounds.value..<bounds.end)
    }

    /// The value of the main amount field, read back from its digits; nil without one.
    var amountValue: Int64? {
        guard let amountFieldIndex else { return nil }
        let bounds = dataField(amountFieldIndex)
        var value: Int64 = 0
        for byte in bytes[bounds.value..<bounds.end] {
            precondition(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"), "amount written with a non-digit")
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
