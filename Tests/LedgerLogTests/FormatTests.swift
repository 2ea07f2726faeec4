import Testing
@testable import LedgerLog

@Suite struct FormatTests {
    /// RFC 3720 (iSCSI) appendix B.4 test vectors, and the common "123456789" check value.
    @Test func crc32cMatchesPublishedVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func crc32cContinuesAcrossPieces() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = CRC32C.checksum(bytes)
        for split in [0, 1, 7, 8, 9, 500, 999, 1_000] {
            let first = CRC32C.checksum(Array(bytes[0..<split]))
            let both = Array(bytes[split...]).withUnsafeBytes { CRC32C.checksum($0, continuing: first) }
            #expect(both == whole, "split at \(split)")
        }
    }

    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max - 1, UInt64.max])
    func varintRoundTrips(value: UInt64) {
        let buffer = ByteBuffer(capacity: 16)
        buffer.appendVarint(value)
        #expect(buffer.count == Varint.size(value))
        var offset = 0
        #expect(Varint.read(UnsafeRawPointer(buffer.base), &offset, end: buffer.count) == value)
        #expect(offset == buffer.count)
        var short = 0
        #expect(Varint.read(UnsafeRawPointer(buffer.base), &short, end: buffer.count - 1) == nil, "truncated")
    }

    /// The hash reads a key's last 1...7 bytes with overlapping word loads; it must equal the
    /// definition (those bytes as a zero-padded little-endian word, one at a time) for every
    /// length, and read nothing outside the key (the key sits between bytes that change).
    @Test func keyedHashTailEqualsItsByteAtATimeDefinition() {
        let hasher = KeyedHash()
        func reference(_ bytes: [UInt8], seed: UInt64) -> Int {
            var state = hasher.secret.1 ^ seed ^ KeyedHash.mix(UInt64(bytes.count) ^ hasher.secret.0, KeyedHash.constant1)
            var offset = 0
            while offset + 8 <= bytes.count {
                var word: UInt64 = 0
                for index in 0..<8 { word |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
                state = KeyedHash.mix(word ^ hasher.secret.0, state ^ KeyedHash.constant1)
                offset += 8
            }
            if offset < bytes.count {
                var tail: UInt64 = 0
                for index in offset..<bytes.count { tail |= UInt64(bytes[index]) << UInt64(8 * (index - offset)) }
                state = KeyedHash.mix(tail ^ hasher.secret.0, state ^ KeyedHash.constant1)
            }
            return Int(truncatingIfNeeded: KeyedHash.mix(state ^ KeyedHash.constant1, hasher.secret.1 ^ KeyedHash.constant0))
        }
        var generator = SeededGenerator(seed: 7)
        for count in 0...40 {
            for round in 0..<20 {
                let key = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                let padding = UInt8(truncatingIfNeeded: round * 37)
                let framed = [UInt8](repeating: padding, count: 9) + key + [UInt8](repeating: padding, count: 9)
                let hash = framed.withUnsafeBytes { all in hasher.hash(UnsafeRawBufferPointer(rebasing: all[9..<(9 + count)]), seed: 5) }
                #expect(hash == reference(key, seed: 5), "\(count) bytes: \(key)")
            }
        }
    }

    @Test func varintRejectsOverlongAndOverflowingEncodings() {
        for bytes: [UInt8] in [[0x80, 0x00], [0xFF, 0x80, 0x00], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02],
                               [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]] {
            var offset = 0
            let value = bytes.withUnsafeBytes { Varint.read($0.baseAddress!, &offset, end: $0.count) }
            #expect(value == nil, "\(bytes)")
        }
    }

    @Test func metadataRoundTripsAndRejectsDamage() throws {
        let metadata = BatchMetadata(firstPosition: 4_097, recordCount: 12, uncompressedBytes: 2_345, frameBytes: 678,
                                     frameChecksum: 0xDEAD_BEEF, chainHash: (0..<32).map { UInt8($0 * 7) })
        var bytes = [UInt8](repeating: 0, count: BatchMetadata.byteCount)
        bytes.withUnsafeMutableBytes { metadata.encode(at: $0.baseAddress!) }
        #expect(Array(bytes[0..<4]) == [0x5C, 0x2A, 0x4D, 0x18], "a zstd skippable frame magic")
        #expect(try bytes.withUnsafeBytes { try BatchMetadata.decode($0).get() } == metadata)
        for index in 0..<bytes.count {
            var damaged = bytes
            damaged[index] ^= 0x10
            let result = damaged.withUnsafeBytes { BatchMetadata.decode($0) }
            #expect((try? result.get()) == nil, "byte \(index)")
        }
    }

    @Test func segmentNamesCarryTheFirstPosition() {
        #expect(LedgerDirectory.segmentName(firstPosition: 1) == "segment-00000000000000000001.zst")
        #expect(LedgerDirectory.firstPosition(ofSegmentNamed: "segment-00000000000000004097.zst") == 4_097)
        #expect(LedgerDirectory.firstPosition(ofSegmentNamed: "segment-18446744073709551615.zst") == UInt64.max)
        for name in ["segment-00000000000000000000.zst", "segment-0000000000000000001.zst", "segment-1.zst",
                     "segment-0000000000000000000a.zst", "segment-99999999999999999999.zst", "LOCK", "FORMAT",
                     "segment-00000000000000000001.zst.tmp"] {
            #expect(LedgerDirectory.firstPosition(ofSegmentNamed: name) == nil, "\(name)")
        }
    }

    @Test(arguments: [Int64(0), 1, -1, 1_000_000, -86_400_000_000, Int64.max, Int64.min])
    func zigzagRoundTrips(value: Int64) {
        #expect(RecordCodec.unzigzag(RecordCodec.zigzag(value)) == value)
        if value.magnitude < 1 << 40 { #expect(RecordCodec.zigzag(value) <= value.magnitude * 2) }
    }

    @Test func zigzagKeepsSmallDifferencesSmall() {
        #expect(RecordCodec.zigzag(0) == 0 && RecordCodec.zigzag(-1) == 1 && RecordCodec.zigzag(1) == 2)
        #expect(RecordCodec.zigzag(Int64.min) == UInt64.max)
    }

    /// Times far apart (wrapping differences) and in any order survive the difference encoding.
    @Test func recordTimesRoundTripInAnyOrder() throws {
        let times: [Int64] = [0, Int64.max, Int64.min, -1, 1_772_619_300_000_000, 1_772_619_200_000_000, 5]
        let buffer = ByteBuffer()
        var previous: Int64 = 42
        for at in times {
            RecordCodec.encode(tenant: UnsafeRawBufferPointer(start: nil, count: 0), id: UnsafeRawBufferPointer(start: nil, count: 0),
                               type: 65_535, at: at, previousAt: previous, actor: UnsafeRawBufferPointer(start: nil, count: 0),
                               payload: UnsafeRawBufferPointer(start: nil, count: 0), into: buffer)
            previous = at
        }
        var cursor = 0
        var at: Int64 = 42
        for expected in times {
            var problem: String?
            let view = try #require(RecordCodec.decode(UnsafeRawPointer(buffer.base), &cursor, end: buffer.count, position: 1,
                                                       previousAt: &at, problem: &problem))
            #expect(view.at == expected && view.type == 65_535)
        }
        #expect(cursor == buffer.count)
    }
}
