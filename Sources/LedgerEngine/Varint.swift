/// LEB128 varints (signed ones zigzag), as the snapshot sections write them.
public struct VarintWriter: Sendable {
    public var bytes: [UInt8] = []
    public init() {}

    public mutating func unsigned(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    public mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}

/// Reads what ``VarintWriter`` writes, accepting only canonical (shortest) encodings.
public struct VarintReader {
    /// A malformed input: where and why.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var offset: Int
        public var reason: String
        public var description: String { "offset \(offset): \(reason)" }
    }

    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0
    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public func problem(at offset: Int, _ reason: String) -> Problem { Problem(offset: offset, reason: reason) }

    /// The longest varint of a UInt64.
    public static let varintBytesMax = 10

    /// Reads one byte.
    public mutating func byte(_ field: @autoclosure () -> String) throws(Problem) -> UInt8 {
        guard offset < bytes.count else { throw Problem(offset: offset, reason: "truncated: \(field()) is missing") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Moves past `count` bytes the caller has read itself (it checked they are there).
    public mutating func skip(_ count: Int) {
        precondition(count >= 0 && offset + count <= bytes.count, "skip stays inside the bytes")
        offset += count
    }

    public mutating func unsigned(_ field: @autoclosure () -> String) throws(Problem) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<Self.varintBytesMax {
            guard offset < bytes.count else { throw Problem(offset: start, reason: "truncated: \(field()) is missing") }
            let byte = bytes[offset]
            offset += 1
            // The tenth byte carries only the top bit; a zero final byte after the first is an
            // overlong form (two encodings of one value would break determinism).
            if (index == Self.varintBytesMax - 1 && byte > 1) || (index > 0 && byte == 0) {
                throw Problem(offset: start, reason: "\(field()) is not a canonical varint")
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw Problem(offset: start, reason: "\(field()) is not a canonical varint")
    }

    public mutating func signed(_ field: @autoclosure () -> String) throws(Problem) -> Int64 {
        let encoded = try unsigned(field())
        return Int64(bitPattern: encoded >> 1) ^ -Int64(bitPattern: encoded & 1)
    }
}
