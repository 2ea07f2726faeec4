@testable import LedgerDomain
import Testing

/// The decoder's cache of long names returns an equal name for every input, shares strings
/// on repeats, and never confuses two names that land in the same slot.
@Suite struct NameCacheTests {
    @Test func everyNameComesBackEqualThroughCollisionsAndRepeats() {
        let cache = NameCache()
        // Far more distinct names than slots, of lengths around the inline limit (15 bytes)
        // and sharing their first and last eight bytes (the hash's inputs) in groups.
        var names: [String] = []
        for index in 0..<2_000 {
            let middle = String(repeating: "x", count: index % 7)
            names.append("tenant-\(middle)\(index)-name")
            names.append("aaaaaaaa\(index % 3)\(middle)zzzzzzzz")
            names.append("short-\(index)")
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var text = names.randomElement(using: &random)!
            let name = text.withUTF8 { cache.name(UnsafeRawBufferPointer($0)) }
            #expect(name.string == text)
        }
        #expect(cache.hits > 0 && cache.misses > 0)
    }

    /// Texts (titles, reasons, extras) come back equal through repeats and slot collisions,
    /// with unicode and lengths around the inline limit; repeats are shared.
    @Test func everyTextComesBackEqualThroughCollisionsAndRepeats() {
        let cache = NameCache()
        var texts: [String] = []
        for index in 0..<3_000 {
            texts.append("Essay on topic \(index) for the client")
            texts.append("café \(index % 40) — e\u{301}tude")
            texts.append("{\"note\":\"n-\(index % 5)\"}")
            texts.append("short \(index % 9)")
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<30_000 {
            var text = texts.randomElement(using: &random)!
            let decoded = text.withUTF8 { cache.text(UnsafeRawBufferPointer($0)) }
            #expect(decoded.utf8.elementsEqual(text.utf8))
        }
        #expect(cache.hits > 0 && cache.misses > 0)
    }

    @Test func decodingWithTheCacheGivesTheSameEvents() throws {
        let tenant = "a-tenant-with-a-long-name"
        let lines = (1...50).map { index in
            #"{"id":"e-\#(index)","tenant":"\#(tenant)","type":"bonus.added","at":"2026-01-01T00:00:00Z","actor":"u-administrator-\#(index % 3)","data":{"worker":"w-a-worker-with-a-long-name-\#(index % 4)","amount_cents":\#(index),"reason":"r"}}"#
        }
        let cache = NameCache()
        for line in lines {
            let event = try codecEvent(line)
            let payload = CodecBinary.payload(event, .none)
            let plain = try CodecBinary.decode(event, payload).get()
            let cached = try CodecBinary.decode(event, payload, names: cache).get()
            #expect(cached.0 == plain.0 && cached.1 == plain.1 && cached.0 == event)
        }
        #expect(cache.hits >= 3 * 40, "the tenant, the actor and the worker repeat")
    }
}
