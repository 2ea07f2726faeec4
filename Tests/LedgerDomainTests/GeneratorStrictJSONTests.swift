import Testing

/// A strict RFC 8259 JSON reader for the generator's tests, written apart from the
/// project's own codec so that it can check the generator independently.
///
/// Foundation's `JSONSerialization` is too lenient for that: it accepts a trailing
/// comma and a key given twice. Strings are kept as UTF-8 bytes, so comparing them
/// compares code points, with no Unicode normalisation.
enum StrictJSON {
    indirect enum Value {
        case null
        case bool(Bool)
        /// The number as written.
        case number([UInt8])
        /// UTF-8 bytes of the decoded string.
        case string([UInt8])
        case array([Value])
        /// Fields in the order written (keys are unique).
        case object([(key: [UInt8], value: Value)])

        subscript(key: String) -> Value? {
            guard case .object(let fields) = self else { return nil }
            return fields.first { $0.key.elementsEqual(key.utf8) }?.value
        }

        var stringBytes: [UInt8]? {
            if case .string(let bytes) = self { return bytes }
            return nil
        }

        /// Equality as JSON values: key order does not matter, numbers compare by value.
        func isEqual(to other: Value) -> Bool {
            switch (self, other) {
            case (.null, .null): return true
            case (.bool(let left), .bool(let right)): return left == right
            case (.number(let left), .number(let right)):
                return Double(String(decoding: left, as: UTF8.self)) == Double(String(decoding: right, as: UTF8.self))
            case (.string(let left), .string(let right)): return left == right
            case (.array(let left), .array(let right)):
                return left.count == right.count && zip(left, right).allSatisfy { $0.isEqual(to: $1) }
            case (.object(let left), .object(let right)):
                guard left.count == right.count else { return false }
                return left.allSatisfy { field in
                    right.contains { $0.key == field.key && $0.value.isEqual(to: field.value) }
                }
            default: return false
            }
        }
    }

    /// The value of a whole line, or nil when it is not exactly one valid JSON value
    /// (invalid UTF-8, bad syntax, a key twice in one object).
    static func parse(_ bytes: ArraySlice<UInt8>) -> Value? {
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        var reader = Reader(bytes: Array(bytes))
        reader.skipWhiteSpace()
        guard let value = reader.readValue() else { return nil }
        reader.skipWhiteSpace()
        return reader.index == reader.bytes.count ? value : nil
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhiteSpace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ text: String) -> Bool {
            for byte in text.utf8 {
                guard current == byte else { return false }
                index += 1
            }
            return true
        }

        mutating func readValue() -> Value? {
            switch current {
            case UInt8(ascii: "{"): return readObject()
            case UInt8(ascii: "["): return readArray()
            case UInt8(ascii: "\""): return readString().map { .string($0) }
            case UInt8(ascii: "t"): return expect("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return expect("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return expect("null") ? .null : nil
            default: return readNumber()
            }
        }

        mutating func readObject() -> Value? {
            index += 1
            var fields: [(key: [UInt8], value: Value)] = []
            skipWhiteSpace()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(fields)
            }
            while true {
                skipWhiteSpace()
                guard current == UInt8(ascii: "\""), let key = readString() else { return nil }
                guard !fields.contains(where: { $0.key == key }) else { return nil }
                skipWhiteSpace()
                guard current == UInt8(ascii: ":") else { return nil }
                index += 1
                skipWhiteSpace()
                guard let value = readValue() else { return nil }
                fields.append((key, value))
                skipWhiteSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                } else if current == UInt8(ascii: "}") {
                    index += 1
                    return .object(fields)
                } else {
                    return nil
                }
            }
        }

        mutating func readArray() -> Value? {
            index += 1
            var elements: [Value] = []
            skipWhiteSpace()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhiteSpace()
                guard let value = readValue() else { return nil }
                elements.append(value)
                skipWhiteSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                } else if current == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                } else {
                    return nil
                }
            }
        }

        mutating func readHex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value * 16 + digit
            }
            index += 4
            return value
        }

        /// Reads a string starting at its opening quote; returns its UTF-8 bytes.
        mutating func readString() -> [UInt8]? {
            index += 1
            var result: [UInt8] = []
            while let byte = current {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return result
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { return nil }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escaped)
                    case UInt8(ascii: "b"): result.append(0x08)
                    case UInt8(ascii: "f"): result.append(0x0C)
                    case UInt8(ascii: "n"): result.append(0x0A)
                    case UInt8(ascii: "r"): result.append(0x0D)
                    case UInt8(ascii: "t"): result.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalarValue = readHex4() else { return nil }
                        if (0xD800...0xDBFF).contains(scalarValue) {
                            guard expect("\\u"), let low = readHex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                            scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(scalarValue) else { return nil }
                        result.append(contentsOf: String(Character(scalar)).utf8)
                    default:
                        return nil
                    }
                case 0x00..<0x20:
                    return nil
                default:
                    result.append(byte)
                }
            }
            return nil
        }

        mutating func readNumber() -> Value? {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
            guard isDigit(current) else { return nil }
            if current == UInt8(ascii: "0") {
                index += 1
            } else {
                while isDigit(current) { index += 1 }
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard isDigit(current) else { return nil }
                while isDigit(current) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard isDigit(current) else { return nil }
                while isDigit(current) { index += 1 }
            }
            return .number(Array(bytes[start..<index]))
        }
    }
}

@Suite struct GeneratorStrictJSONTests {
    @Test(arguments: [
        #"{"a":1}"#, #" { "a" : [1, 2.5, -0, 1e3, true, false, null] } "#, #"{"a":"\u00e9\ud834\udd1e\n"}"#, "{}",
    ])
    func readsValidJSON(_ text: String) {
        #expect(StrictJSON.parse(ArraySlice(text.utf8)) != nil)
    }

    @Test(arguments: [
        #"{"a":1,}"#, #"{"a":1,"a":2}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":"\ud834"}"#, #"{"a":NaN}"#,
        #"{a:1}"#, #"{"a":1}{"a":1}"#, #"{"a":1"#, "", #"{"a":'x'}"#, "{\"a\":\"\t\"}",
    ])
    func refusesInvalidJSON(_ text: String) {
        #expect(StrictJSON.parse(ArraySlice(text.utf8)) == nil)
    }

    @Test func comparesStringsByCodePoints() throws {
        let composed = try #require(StrictJSON.parse(ArraySlice(#"{"a":"\u00e9"}"#.utf8)))
        let decomposed = try #require(StrictJSON.parse(ArraySlice(#"{"a":"e\u0301"}"#.utf8)))
        let raw = try #require(StrictJSON.parse(ArraySlice("{\"a\":\"é\"}".utf8)))
        #expect(!composed.isEqual(to: decomposed))
        #expect(composed.isEqual(to: raw))
    }
}
