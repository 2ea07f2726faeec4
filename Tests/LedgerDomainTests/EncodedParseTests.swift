import Foundation
@testable import LedgerDomain
import LedgerEngine
import Testing

/// The parser's encoding path (`EventLineParser.encode`, an import's hot path: no `Event`, no
/// `String`) agrees with its `Event` path on every kind of line, and its shortcuts (keys matched
/// in place, the type table, the tenant check) accept exactly what the grammar does.
@Suite struct EncodedParseTests {
    /// Parses `line` both ways with the same (reused) workspace and checks that they agree:
    /// the same refusal, or an encoded event that decodes to the parsed one, whose fields are
    /// the payload encoder's bytes.
    static func checkAgreement(_ line: [UInt8], workspace: EventLineWorkspace, arena: ByteArena,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let parsed = line.withUnsafeBytes { EventLineParser.parse($0, workspace: workspace) }
        let start = arena.count
        let encoded = line.withUnsafeBytes { EventLineParser.encode($0, workspace: workspace, into: arena) }
        let text = String(decoding: line, as: UTF8.self)
        switch (parsed, encoded) {
        case (.failure(let left), .failure(let right)):
            #expect(left == right, "\(text)", sourceLocation: sourceLocation)
            #expect(arena.count == start, "a refused line leaves nothing", sourceLocation: sourceLocation)
        case (.success(let event), .success(let layout)):
            #expect(layout.tenantStart == start, sourceLocation: sourceLocation)
            arena.withUnsafeBytes { bytes in
                let view = layout.event(in: bytes)
                #expect(view.event() == event, "\(text)", sourceLocation: sourceLocation)
                #expect(view.type == event.type && view.at == event.at, sourceLocation: sourceLocation)
                var fields: [UInt8] = []
                EventBinaryCodec.encodeFields(of: event, into: &fields)
                #expect(Array(view.fields) == fields, "\(text)", sourceLocation: sourceLocation)
                #expect(Array(view.tenant) == Array(event.tenant.string.utf8), sourceLocation: sourceLocation)
                #expect(Array(view.id) == Array(event.id.string.utf8), sourceLocation: sourceLocation)
                #expect(Array(view.actor) == Array(event.actor.string.utf8), sourceLocation: sourceLocation)
            }
        default:
            Issue.record("parse and encode disagree on \(text): \(parsed) vs \(encoded)", sourceLocation: sourceLocation)
        }
    }

    @Test func encodingAgreesWithParsingOnEveryInvalidCase() {
        let workspace = EventLineWorkspace()
        let arena = ByteArena()
        for invalid in CodecParserTests.invalidCases {
            Self.checkAgreement(Array(invalid.line.utf8), workspace: workspace, arena: arena)
        }
    }

    @Test func encodingAgreesWithParsingOnTheSampleFixture() throws {
        let workspace = EventLineWorkspace()
        let arena = ByteArena()
        for line in try CodecFixture.sampleLines() where !line.withUnsafeBytes(EventLineParser.isBlank) {
            Self.checkAgreement(line, workspace: workspace, arena: arena)
        }
    }

    /// Noisy spellings (escaped keys, white space, key order, data before type), extras and
    /// metadata mixed at random, through one workspace: nothing of one line leaks into the next.
    @Test func encodingAgreesWithParsingOnNoisyRandomEvents() {
        let seed: UInt64 = 0xE_C0DE
        var random = CodecRandom(seed: seed)
        let workspace = EventLineWorkspace()
        let arena = ByteArena(capacity: 64)
        for _ in 0..<3_000 {
            let (original, _) = CodecRandomEvents.event(&random)
            let line = random.chance(0.5) ? CodecNoisyWriter.line(original, &random) : EventLineWriter.line(original)
            Self.checkAgreement(Array(line.utf8), workspace: workspace, arena: arena)
        }
    }

    /// A generated history with a third of its lines refused, duplicated or conflicting.
    @Test func encodingAgreesWithParsingOnAGeneratedHistoryWithBadLines() throws {
        let options = GeneratorOptions(events: 5_000, tenants: 3, seed: 77, invalidRate: 0.3)
        try options.validate()
        var generator = HistoryGenerator(options: options)
        let workspace = EventLineWorkspace()
        let arena = ByteArena()
        var line: [UInt8] = []
        var count = 0
        while generator.next(into: &line) {
            if line.last == UInt8(ascii: "\n") { line.removeLast() }
            if !line.withUnsafeBytes(EventLineParser.isBlank) {
                Self.checkAgreement(line, workspace: workspace, arena: arena)
                count += 1
            }
            line.removeAll(keepingCapacity: true)
        }
        #expect(count > 4_000)
    }

    @Test func everyTypeNameMapsToItsTypeAndNoOtherBytesDo() {
        for type in EventType.allCases {
            let name = Array(type.name.utf8)
            #expect(name.withUnsafeBytes(EventFields.type(named:)) == type)
            // Every one-byte change, and every shortening and lengthening, names no type.
            for index in name.indices {
                for replacement in [UInt8(ascii: "a"), UInt8(ascii: "."), UInt8(ascii: "x"), name[index] ^ 0x20, 0] where replacement != name[index] {
                    var changed = name
                    changed[index] = replacement
                    let found = changed.withUnsafeBytes(EventFields.type(named:))
                    #expect(found == nil || found!.name.utf8.elementsEqual(changed), "\(String(decoding: changed, as: UTF8.self))")
                }
            }
            for length in 0..<name.count {
                #expect(Array(name[..<length]).withUnsafeBytes(EventFields.type(named:)) == nil)
            }
            #expect((name + [UInt8(ascii: "s")]).withUnsafeBytes(EventFields.type(named:)) == nil)
        }
    }

    @Test func theTenantCheckAcceptsExactlyItsGrammar() {
        func expected(_ bytes: [UInt8]) -> Bool {
            guard (1...63).contains(bytes.count) else { return false }
            for (index, byte) in bytes.enumerated() {
                let isLetterOrDigit = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                if !(isLetterOrDigit || (index > 0 && byte == UInt8(ascii: "-"))) { return false }
            }
            return true
        }
        let (a, z, zero, minus) = (UInt8(ascii: "a"), UInt8(ascii: "z"), UInt8(ascii: "0"), UInt8(ascii: "-"))
        for byte in UInt8.min...UInt8.max {
            // Every byte at every place of a word and of a tail, after a letter and after a `-`.
            var candidates: [[UInt8]] = [[byte], [a, byte], [zero, byte, z], [a, minus, byte], [a, minus, minus, byte]]
            for place in 1..<17 {
                var candidate = [UInt8](repeating: a, count: 17)
                candidate[place] = byte
                candidates.append(candidate)
                candidate[place - 1] = minus
                candidates.append(candidate)
            }
            for candidate in candidates {
                #expect(candidate.withUnsafeBytes(CodecUTF8.isTenant) == expected(candidate), "\(candidate)")
            }
        }
        for length in [0, 1, 62, 63, 64] {
            let candidate = [UInt8](repeating: UInt8(ascii: "m"), count: length)
            #expect(candidate.withUnsafeBytes(CodecUTF8.isTenant) == expected(candidate))
        }
    }

    @Test func aScopedKeyTableNumbersKeysInOrderAndFindsThemInEveryScope() {
        var table = ScopedKeyTable()
        var expected: [(scope: UInt32, key: [UInt8])] = []
        var random = CodecRandom(seed: 0x5C0_9ED)
        // Many keys (the slots double several times), short and long, with shared prefixes,
        // the same bytes in several scopes, and the empty key.
        for index in 0..<20_000 {
            let scope = UInt32(index % 7)
            let length = Int.random(in: 0...40, using: &random)
            let key = [UInt8]((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index / 7) })
            let (number, isNew) = key.withUnsafeBytes { table.findOrInsert(scope: scope, $0) }
            if isNew {
                #expect(Int(number) == expected.count)
                expected.append((scope, key))
            } else {
                #expect(expected[Int(number)].scope == scope && expected[Int(number)].key == key)
            }
        }
        #expect(table.count == expected.count)
        for (number, entry) in expected.enumerated() {
            #expect(entry.key.withUnsafeBytes { table.find(scope: entry.scope, $0) } == Int32(number))
            #expect(table.scope(at: Int32(number)) == entry.scope)
            #expect(table.withKey(at: Int32(number)) { Array($0) } == entry.key)
            let otherScope = entry.scope + 7
            #expect(entry.key.withUnsafeBytes { table.find(scope: otherScope, $0) } == nil)
        }
        let missing: [UInt8] = Array("not there".utf8)
        #expect(missing.withUnsafeBytes { table.find(scope: 0, $0) } == nil)
    }

    /// Sorting by the first eight bytes as an integer, then the bytes on a tie, is byte order:
    /// names that share their first eight bytes, proper prefixes, zero bytes, multi-byte
    /// characters, equal names (kept in their order).
    @Test func sortingByNameIsByteOrder() {
        var random = CodecRandom(seed: 0x50_27ED)
        let pieces = ["", "a", "ab", "abcdefgh", "abcdefghi", "abcdefgh\u{0}", "\u{0}", "é", "e\u{301}", "o-000123", "o-0001234",
                      "w-1", "w-10", "w-2", "z", "中", "\u{7F}", "\u{80}"]
        var names: [(name: Name, tag: Int)] = []
        for tag in 0..<3_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...3, using: &random) { text += random.pick(pieces) }
            names.append((Name(text), tag))
        }
        let expected = names.enumerated().sorted { left, right in
            let (leftBytes, rightBytes) = (Array(left.element.name.string.utf8), Array(right.element.name.string.utf8))
            if leftBytes == rightBytes { return left.offset < right.offset }
            return leftBytes.lexicographicallyPrecedes(rightBytes)
        }.map(\.element.tag)
        #expect(names.sortedByName(\.name).map(\.tag) == expected)
        #expect(names.map(\.name).sortedByBytes().map(\.string) == names.map(\.name).sorted().map(\.string))
    }
}
