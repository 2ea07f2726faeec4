import LedgerDomain
import LedgerEngine
import Testing

/// Canonical JSON as seen through `Event.extras` and metadata, export round trips, and
/// "equal as JSON values gives equal events".
@Suite("Canonical JSON and export")
struct CodecCanonicalTests {
    /// The extras of an `order.approved` line whose unknown field `x` holds `value`.
    private func canonical(_ value: String) throws -> String {
        let event = try codecEvent(#"{"id":"e","tenant":"t","type":"order.approved","at":"2026-01-01T00:00:00Z","actor":"a","data":{"order":"o","x":"# + value + "}}")
        let prefix = #"{"x":"#
        #expect(event.extras.hasPrefix(prefix) && event.extras.hasSuffix("}"))
        return String(event.extras.dropFirst(prefix.count).dropLast())
    }

    static let numbers: [(String, String)] = [
        ("0", "0"), ("-0", "0"), ("0.0", "0"), ("-0.000", "0"), ("0e5", "0"), ("0E-5", "0"), ("-0.0e+7", "0"),
        ("1", "1"), ("1.0", "1"), ("1.00", "1"), ("10e-1", "1"), ("100E-2", "1"), ("0.1e1", "1"), ("1e0", "1"), ("1E+00", "1"),
        ("-7", "-7"), ("-7.000", "-7"), ("123", "123"), ("1e3", "1000"), ("1.5e3", "1500"), ("15e2", "1500"),
        ("2.50", "2.5"), ("25e-1", "2.5"), ("0.25", "0.25"), ("-0.5", "-0.5"), ("5e-1", "0.5"),
        ("1e-3", "0.001"), ("0.000001", "0.000001"), ("1e-6", "0.000001"), ("1e-7", "1e-7"), ("0.0000001", "1e-7"),
        ("1.5e-7", "1.5e-7"), ("-12.5e-9", "-1.25e-8"),
        ("123456789012345678901", "123456789012345678901"), ("1e20", "100000000000000000000"), ("1e21", "1e+21"),
        ("1234567890123456789012", "1.234567890123456789012e+21"), ("12345678901234567890123.4", "1.23456789012345678901234e+22"),
        ("0.1234567890123456789", "0.1234567890123456789"), ("9007199254740993", "9007199254740993"),
        ("1e999999999999999999999", "1e+999999999999999999999"), ("12e999999999999999999999", "1.2e+1000000000000000000000"),
        ("0.01e-999999999999999999999", "1e-1000000000000000000001"), ("-5e-0000000000000000000001", "-0.5"),
    ]

    @Test("numbers equal as values print the same", arguments: numbers)
    func printsCanonicalNumbers(_ written: String, _ expected: String) throws {
        #expect(try canonical(written) == expected)
    }

    @Test func printsStringsWithMinimalDeterministicEscapes() throws {
        #expect(try canonical(#""\u0022\u005c\/\b\f\n\r\t\u0000\u001F\u007f\u00E9\u20ac\uD834\uDD1E\u2028""#)
            == "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7F}é€𝄞\u{2028}\"")
        #expect(try canonical(#""plain""#) == #""plain""#)
    }

    @Test func sortsKeysByUTF8BytesAtEveryDepth() throws {
        #expect(try canonical(#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":null},"B":true,"é":0,"e\u0301":1,"":2,"aa":3}"#)
            == #"{"":2,"B":true,"a":{"c":null,"d":[{"y":2,"z":1}]},"aa":3,"b":1,"e\#u{301}":1,"é":0}"#)
        #expect(try canonical("[ ]") == "[]")
        #expect(try canonical("{ }") == "{}")
        #expect(try canonical(" [ 1 , [ true ,false ] , null ] ") == "[1,[true,false],null]")
    }

    @Test func extrasAndMetadataEqualAsJSONGiveEqualEvents() throws {
        let first = try codecEvent(
            #"{"id":"e","tenant":"t","type":"audit.recorded","at":"2026-01-01T00:00:00.500Z","actor":"a","data":{"action":"x","target_type":"y","target_id":"z","risk":"high","metadata":{"b":[1.0,{"d":"\u00e9","c":-0}],"a":"\/"},"note":{"k":10e-1}}}"#)
        let second = try codecEvent(
            #"{"data":{"note":{"k":1},"metadata":{"a":"/","b":[1,{"c":0,"d":"é"}]},"risk":"high","target_id":"z","target_type":"y","action":"x"},"actor":"a","at":"2026-01-01T00:00:00.5Z","type":"audit.recorded","tenant":"t","id":"e","ignored":[]}"#)
        #expect(codecIdentical(first, second))
        #expect(first.extras == #"{"note":{"k":1}}"#)
        guard case .auditRecorded(_, _, _, _, let metadata) = first.data else {
            Issue.record("wrong type")
            return
        }
        #expect(metadata == #"{"a":"/","b":[1,{"c":0,"d":"é"}]}"#)
    }

    @Test func differentJSONValuesGiveDifferentEvents() throws {
        let base = #"{"id":"e","tenant":"t","type":"bonus.added","at":"2026-01-01T00:00:00Z","actor":"a","data":{"worker":"w","amount_cents":5,"reason":"r""#
        let variants = [
            base + "}}", base + #","n":1}}"#, base + #","n":1.5}}"#, base + #","n":"1"}}"#, base + #","n":[1]}}"#,
            base + #","n":{"m":1}}}"#, base + #","n":null}}"#, base + #","n":true}}"#, base + #","N":1}}"#, base + #","n":"é"}}"#,
            base + #","n":"e\u0301"}}"#, base.replacingOccurrences(of: "\"r\"", with: "\"R\"") + "}}",
            base.replacingOccurrences(of: "00:00:00Z", with: "00:00:00.000001Z") + "}}",
        ]
        let events = try variants.map { try codecEvent($0) }
        for (leftIndex, left) in events.enumerated() {
            for (rightIndex, right) in events.enumerated() where leftIndex < rightIndex {
                #expect(!left.hasSameContent(as: right), "\(variants[leftIndex]) vs \(variants[rightIndex])")
            }
        }
    }

    @Test func randomEventsExportAndParseBackIdentically() throws {
        let seed: UInt64 = 0xE4_0127
        var random = CodecRandom(seed: seed)
        for iteration in 0..<1500 {
            let (original, _) = CodecRandomEvents.event(&random)
            var written: [UInt8] = []
            EventLineWriter.write(original, into: &written)
            #expect(written.last == UInt8(ascii: "\n") && written.filter { $0 == UInt8(ascii: "\n") }.count == 1)
            switch EventLineParser.parse(Array(written.dropLast())) {
            case .success(let parsed):
                #expect(codecIdentical(original, parsed), "seed \(seed) iteration \(iteration): \(String(decoding: written, as: UTF8.self))")
            case .failure(let refusal):
                Issue.record("seed \(seed) iteration \(iteration): \(refusal) for \(String(decoding: written, as: UTF8.self))")
            }
        }
    }

    @Test func noisySpellingsOfRandomEventsParseToTheSameEventAndExportToTheSameBytes() throws {
        let seed: UInt64 = 0x0015_E5
        var random = CodecRandom(seed: seed)
        for iteration in 0..<1500 {
            let (original, _) = CodecRandomEvents.event(&random)
            let noisy = CodecNoisyWriter.line(original, &random)
            switch codecParse(noisy) {
            case .success(let parsed):
                #expect(codecIdentical(original, parsed), "seed \(seed) iteration \(iteration): \(noisy)")
                #expect(EventLineWriter.line(parsed) == EventLineWriter.line(original))
            case .failure(let refusal):
                Issue.record("seed \(seed) iteration \(iteration): \(refusal) for \(noisy)")
            }
        }
    }
}
