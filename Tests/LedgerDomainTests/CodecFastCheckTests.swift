@testable import LedgerDomain
import Testing

/// The one-pass check of stored extras and metadata gives the full check's verdict (and
/// message) on canonical and non-canonical texts alike.
@Suite struct CodecFastCheckTests {
    static let texts: [String] = [
        #"{"a":1}"#, #"{"a":1,"b":2}"#, #"{"b":2,"a":1}"#, #"{"a":1,"a":1}"#, #"{"a":1,"a":2}"#, #"{}"#,
        #"{"a":{"c":1,"b":2}}"#, #"{"a":{"b":2,"c":1}}"#, #"{"a":[{"y":1,"x":2}]}"#, #"{"a":[{"x":1,"y":2},3,"s"]}"#,
        #"{"a": 1}"#, #"{"a":1.0}"#, #"{"a":1e3}"#, #"{"a":1000}"#, #"{"a":"\u0041"}"#, #"{"a":"A"}"#,
        #"{"\n":1,"a":2}"#, #"{"\u000a":1}"#, #"{"a\\":1,"a":2}"#, #"{"ab":1,"a":2}"#, #"{"a":1,"ab":2}"#,
        #"{"a":true,"b":false,"c":null}"#, #"{"a":tru}"#, #"{"a":1"#, #"{"a":1}x"#, #"[1]"#, #""s""#,
        #"{"order":"o"}"#, #"{"x":1,"order":"o"}"#, #"{"ip":"10.0.3.17","mfa":true,"ua":"web"}"#,
        #"{"mfa":true,"ip":"10.0.3.17"}"#, #"{"é":1,"z":2}"#, #"{"z":1,"é":2}"#,
        String(repeating: #"{"a":"#, count: 70) + "1" + String(repeating: "}", count: 70),
    ]

    /// The full check alone: what `checkExtrasText` / `checkMetadataText` said before the fast path.
    static func fullVerdict(_ text: String, extrasOf type: EventType?) -> String {
        var copy = text
        return copy.withUTF8 { bytes in
            let slice = UnsafeRawBufferPointer(bytes)
            let reader = PayloadReader(bytes: slice, type: UInt16(type?.rawValue ?? 0))
            do throws(PayloadError) {
                let members = try reader.checkCanonicalObject(
                    slice, field: type == nil ? "metadata" : "extras", at: 0,
                    enclosingDepth: type == nil ? CanonicalJSONCodec.metadataEnclosingDepth : CanonicalJSONCodec.extrasEnclosingDepth)
                if let type {
                    guard !members.isEmpty else { return "an empty object is written as no extras" }
                    for member in members {
                        for field in EventFields.fields(of: type) where member.key.withUnsafeBytes({ $0.matchesLiteral(field.name) }) {
                            return "repeats the field \(field.name)"
                        }
                    }
                }
                return "ok"
            } catch {
                return error.reason
            }
        }
    }

    static func verdict(_ text: String, extrasOf type: EventType?) -> String {
        var copy = text
        return copy.withUTF8 { bytes in
            let slice = UnsafeRawBufferPointer(bytes)
            let reader = PayloadReader(bytes: slice, type: UInt16(type?.rawValue ?? 0))
            do throws(PayloadError) {
                if let type {
                    try reader.checkExtrasText(slice, of: type, at: 0)
                } else {
                    try reader.checkMetadataText(slice, field: "metadata", at: 0)
                }
                return "ok"
            } catch {
                return error.reason
            }
        }
    }

    @Test(arguments: texts)
    func theFastCheckAgreesWithTheFullCheck(text: String) {
        for type in [nil, EventType.orderApproved] {
            #expect(Self.verdict(text, extrasOf: type) == Self.fullVerdict(text, extrasOf: type), "\(text) as \(type == nil ? "metadata" : "extras")")
        }
    }

    @Test func theFastCheckDecidesCanonicalTextsAndLeavesUnsortedOnesToTheFullCheck() {
        func fast(_ text: String) -> PayloadReader.FastCheck? {
            var copy = text
            return copy.withUTF8 { PayloadReader.fastCheck(UnsafeRawBufferPointer($0), enclosingDepth: 2, fieldsOf: nil) }
        }
        guard case .canonical? = fast(#"{"a":{"b":[1,{"c":null}]},"d":"e"}"#) else { Issue.record("a canonical text"); return }
        guard case .notCanonical? = fast(#"{"a":1.50}"#) else { Issue.record("a number not in canonical form"); return }
        #expect(fast(#"{"b":1,"a":2}"#) == nil)
        #expect(fast(#"{"a":1,"a":1}"#) == nil)
    }
}
