import LedgerDomain
import LedgerEngine
import Testing

/// A line that must be refused `invalid`, and a piece its message must contain.
struct CodecInvalidCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var line: String
    var message: String
    var testDescription: String { rule }
}

/// A valid bonus line with `data` members replaced, for short test tables.
private func bonus(_ data: String = #""worker":"w-17","amount_cents":5000,"reason":"Great month""#, at: String = "2026-03-04T10:15:00Z") -> String {
    #"{"id":"e-1","tenant":"acme","type":"bonus.added","at":""# + at + #"","actor":"u-admin","data":{"# + data + "}}"
}

/// A valid line of any type, with its data written out.
private func line(_ type: String, _ data: String, id: String = #""e-1""#, tenant: String = #""acme""#, actor: String = #""u-1""#) -> String {
    #"{"id":"# + id + #","tenant":"# + tenant + #","type":""# + type + #"","at":"2026-03-04T10:15:00Z","actor":"# + actor + #","data":{"# + data + "}}"
}

private let audit = #""action":"login","target_type":"user","target_id":"u-1","risk":"low""#

@Suite("JSON line parser")
struct CodecParserTests {
    static let invalidCases: [CodecInvalidCase] = [
        // RFC 8259, strictly
        .init(rule: "trailing comma at the top level", line: String(bonus().dropLast()) + ",}", message: "malformed JSON at byte"),
        .init(rule: "trailing comma in data", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","#), message: "expected a key string"),
        .init(rule: "trailing comma in an array", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","n":[1,2,]"#), message: "malformed JSON"),
        .init(rule: "block comment", line: bonus(#""worker":"w", /* c */ "amount_cents":1,"reason":"x""#), message: "malformed JSON"),
        .init(rule: "line comment", line: bonus() + " // c", message: "unexpected content after the JSON object"),
        .init(rule: "leading zero in an amount", line: bonus(#""worker":"w","amount_cents":0100,"reason":"x""#), message: "leading zeros"),
        .init(rule: "leading zero in an unknown field", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","n":01"#), message: "leading zeros"),
        .init(rule: "NaN", line: bonus(#""worker":"w","amount_cents":NaN,"reason":"x""#), message: "expected a JSON value"),
        .init(rule: "Infinity", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","n":Infinity"#), message: "expected a JSON value"),
        .init(rule: "-Infinity", line: bonus(#""worker":"w","amount_cents":-Infinity,"reason":"x""#), message: "expected a digit after '-'"),
        .init(rule: "a plus sign", line: bonus(#""worker":"w","amount_cents":+1,"reason":"x""#), message: "malformed JSON"),
        .init(rule: "a fraction without digits", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","n":1."#), message: "expected a digit after '.'"),
        .init(rule: "a fraction without an integer part", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","n":.5"#), message: "malformed JSON"),
        .init(rule: "an exponent without digits", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","n":1e+"#), message: "expected a digit in the exponent"),
        .init(rule: "single quotes", line: bonus(#""worker":'w',"amount_cents":1,"reason":"x""#), message: "malformed JSON"),
        .init(rule: "an unquoted key", line: bonus(#"worker:"w","amount_cents":1,"reason":"x""#), message: "expected a key string"),
        .init(rule: "a missing colon", line: bonus(#""worker" "w","amount_cents":1,"reason":"x""#), message: "expected ':'"),
        .init(rule: "a missing comma", line: bonus(#""worker":"w" "amount_cents":1,"reason":"x""#), message: "expected ',' or '}'"),
        .init(rule: "True in capitals", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","b":True"#), message: "expected a JSON value"),
        .init(rule: "a truncated literal", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","b":nul"#), message: "expected a JSON value"),
        .init(rule: "an invalid escape", line: bonus(#""worker":"w","amount_cents":1,"reason":"\x""#), message: "invalid escape sequence"),
        .init(rule: "a short \\u escape", line: bonus(#""worker":"w","amount_cents":1,"reason":"\u12""#), message: "4 hexadecimal digits"),
        .init(rule: "a lone high surrogate", line: bonus(#""worker":"w","amount_cents":1,"reason":"\ud834""#), message: "lone surrogate"),
        .init(rule: "a lone low surrogate", line: bonus(#""worker":"w","amount_cents":1,"reason":"\udd1e""#), message: "lone surrogate"),
        .init(rule: "a high surrogate before a non-surrogate", line: bonus(#""worker":"w","amount_cents":1,"reason":"\ud834\u0041""#), message: "lone surrogate"),
        .init(rule: "two high surrogates", line: bonus(#""worker":"w","amount_cents":1,"reason":"\ud834\ud834""#), message: "lone surrogate"),
        .init(rule: "a raw tab in a string", line: bonus("\"worker\":\"w\",\"amount_cents\":1,\"reason\":\"a\tb\""), message: "control character U+0009"),
        .init(rule: "a raw control character in a key", line: bonus("\"worker\":\"w\",\"amount_cents\":1,\"reason\":\"x\",\"\u{1}\":1"), message: "control character U+0001"),
        .init(rule: "an unterminated string", line: #"{"id":"e-1"#, message: "unterminated string"),
        .init(rule: "a truncated line", line: String(bonus().dropLast(4)), message: "found the end of the line"),
        .init(rule: "two objects on a line", line: bonus() + bonus(), message: "unexpected content after the JSON object"),
        .init(rule: "an array at the top level", line: "[" + bonus() + "]", message: "the line must be a JSON object, got an array"),
        .init(rule: "a string at the top level", line: #""e-1""#, message: "the line must be a JSON object, got a string"),
        .init(rule: "not JSON at all", line: "this is not JSON", message: "malformed JSON at byte 0: expected a JSON value"),
        .init(rule: "an empty object", line: "{}", message: "missing field id"),
        .init(rule: "nesting deeper than 64 levels",
              line: bonus(#""worker":"w","amount_cents":1,"reason":"x","deep":"# + String(repeating: "[", count: 63) + String(repeating: "]", count: 63)),
              message: "nested deeper than 64 levels"),

        // duplicate keys, anywhere
        .init(rule: "a top-level key twice", line: #"{"id":"e-1","id":"e-2","tenant":"acme"}"#, message: "duplicate key \"id\""),
        .init(rule: "a top-level key twice, once escaped", line: #"{"id":"e-1","\u0069d":"e-2"}"#, message: "duplicate key \"id\""),
        .init(rule: "an unknown top-level key twice", line: String(bonus().dropLast()) + #","x":1,"x":2}"#, message: "duplicate key \"x\""),
        .init(rule: "a duplicate key inside an unknown top-level field", line: String(bonus().dropLast()) + #","x":{"a":1,"a":1}}"#,
              message: "field \"x\": duplicate key \"a\""),
        .init(rule: "a data key twice", line: bonus(#""worker":"w","amount_cents":100,"amount_cents":200,"reason":"x""#), message: "data: duplicate key \"amount_cents\""),
        .init(rule: "an unknown data key twice", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","note":1,"note":1"#), message: "data: duplicate key \"note\""),
        .init(rule: "a duplicate key nested in an unknown data field", line: bonus(#""worker":"w","amount_cents":1,"reason":"x","n":[{"k":1,"k":2}]"#),
              message: "data.n: duplicate key \"k\""),
        .init(rule: "a duplicate key in metadata", line: line("audit.recorded", audit + #","metadata":{"ip":"1","ip":"2"}"#),
              message: "data.metadata: duplicate key \"ip\""),
        .init(rule: "a duplicate key nested in metadata", line: line("audit.recorded", audit + #","metadata":{"a":{"b":1,"\u0062":2}}"#),
              message: "data.metadata: duplicate key \"b\""),
        .init(rule: "a duplicate data key when data comes before type",
              line: #"{"data":{"order":"o","order":"o"},"id":"e","tenant":"t","type":"order.approved","at":"2026-01-01T00:00:00Z","actor":"a"}"#,
              message: "data: duplicate key \"order\""),

        // required fields
        .init(rule: "no id", line: #"{"tenant":"acme","type":"order.approved","at":"2026-01-01T00:00:00Z","actor":"a","data":{"order":"o"}}"#, message: "missing field id"),
        .init(rule: "no tenant", line: #"{"id":"e","type":"order.approved","at":"2026-01-01T00:00:00Z","actor":"a","data":{"order":"o"}}"#, message: "missing field tenant"),
        .init(rule: "no type", line: #"{"id":"e","tenant":"acme","at":"2026-01-01T00:00:00Z","actor":"a","data":{"order":"o"}}"#, message: "missing field type"),
        .init(rule: "no at", line: #"{"id":"e","tenant":"acme","type":"order.approved","actor":"a","data":{"order":"o"}}"#, message: "missing field at"),
        .init(rule: "no actor", line: #"{"id":"e","tenant":"acme","type":"order.approved","at":"2026-01-01T00:00:00Z","data":{"order":"o"}}"#, message: "missing field actor"),
        .init(rule: "no data", line: #"{"id":"e","tenant":"acme","type":"order.approved","at":"2026-01-01T00:00:00Z","actor":"a"}"#, message: "missing field data"),
        .init(rule: "no data.reason", line: bonus(#""worker":"w","amount_cents":1"#), message: "missing field data.reason (required by bonus.added)"),
        .init(rule: "no data.title", line: line("order.placed", #""order":"o","client":"c","price_cents":1"#), message: "missing field data.title"),
        .init(rule: "no data.role", line: line("invitation.created", #""invitation":"i","email":"e@x","expires_at":"2026-03-04T10:15:00Z""#), message: "missing field data.role"),
        .init(rule: "no data.expires_at", line: line("invitation.created", #""invitation":"i","email":"e@x","role":"writer""#), message: "missing field data.expires_at"),
        .init(rule: "no data.risk", line: line("audit.recorded", #""action":"a","target_type":"t","target_id":"i""#), message: "missing field data.risk"),
        .init(rule: "no data.submissions", line: line("order.submitted", #""order":"o""#), message: "missing field data.submissions"),
        .init(rule: "no data.period", line: line("invoice.issued", #""worker":"w""#), message: "missing field data.period"),
        .init(rule: "no data.mrr_cents", line: line("subscription.changed", #""change":"created","plan":"p""#), message: "missing field data.mrr_cents"),

        // id, actor, tenant, type
        .init(rule: "id as a number", line: line("order.approved", #""order":"o""#, id: "905"), message: "id must be a string, got a number"),
        .init(rule: "an empty id", line: line("order.approved", #""order":"o""#, id: #""""#), message: "id must be 1 to 64 characters (code points), got an empty string"),
        .init(rule: "an id of 65 code points", line: line("order.approved", #""order":"o""#, id: "\"" + String(repeating: "x", count: 65) + "\""),
              message: "got 65"),
        .init(rule: "an id of 65 code points with combining accents",
              line: line("order.approved", #""order":"o""#, id: "\"" + String(repeating: "e\u{301}", count: 32) + "x\""), message: "got 65"),
        .init(rule: "an id of 65 escaped non-BMP code points",
              line: line("order.approved", #""order":"o""#, id: "\"" + String(repeating: #"\ud834\udd1e"#, count: 65) + "\""), message: "got 65"),
        .init(rule: "an empty actor", line: line("order.approved", #""order":"o""#, actor: #""""#), message: "actor must be 1 to 64"),
        .init(rule: "an actor of 65 code points", line: line("order.approved", #""order":"o""#, actor: "\"" + String(repeating: "é", count: 65) + "\""), message: "actor must be 1 to 64"),
        .init(rule: "actor null", line: line("order.approved", #""order":"o""#, actor: "null"), message: "actor must be a string, got null"),
        .init(rule: "tenant in capitals", line: line("order.approved", #""order":"o""#, tenant: #""Acme""#), message: #"tenant must match [a-z0-9][a-z0-9-]{0,62}, got "Acme""#),
        .init(rule: "tenant with a leading hyphen", line: line("order.approved", #""order":"o""#, tenant: #""-acme""#), message: "tenant must match"),
        .init(rule: "tenant of 64 characters", line: line("order.approved", #""order":"o""#, tenant: "\"" + String(repeating: "a", count: 64) + "\""), message: "tenant must match"),
        .init(rule: "an empty tenant", line: line("order.approved", #""order":"o""#, tenant: #""""#), message: "tenant must match"),
        .init(rule: "tenant with an underscore", line: line("order.approved", #""order":"o""#, tenant: #""ac_me""#), message: "tenant must match"),
        .init(rule: "tenant with a non-ASCII letter", line: line("order.approved", #""order":"o""#, tenant: #""acmé""#), message: "tenant must match"),
        .init(rule: "tenant as a number", line: line("order.approved", #""order":"o""#, tenant: "7"), message: "tenant must be a string, got a number"),
        .init(rule: "an unknown type", line: line("bonus.removed", #""worker":"w""#), message: #"unknown type "bonus.removed""#),
        .init(rule: "a type in capitals", line: line("Bonus.added", #""worker":"w""#), message: "unknown type"),
        .init(rule: "type as an array", line: #"{"id":"e","tenant":"acme","type":["bonus.added"]}"#, message: "type must be a string, got an array"),

        // timestamps
        .init(rule: "a +00:00 offset", line: bonus(at: "2026-01-27T10:00:00+00:00"), message: "offsets are not allowed"),
        .init(rule: "a -05:00 offset", line: bonus(at: "2026-01-27T10:00:00.5-05:00"), message: "offsets are not allowed"),
        .init(rule: "no Z", line: bonus(at: "2026-01-27T10:00:00"), message: "missing the final 'Z'"),
        .init(rule: "no Z after a fraction", line: bonus(at: "2026-01-27T10:00:00.25"), message: "missing the final 'Z'"),
        .init(rule: "a lower-case z", line: bonus(at: "2026-01-27T10:00:00z"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "a lower-case t", line: bonus(at: "2026-01-27t10:00:00Z"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "a space for T", line: bonus(at: "2026-01-27 10:00:00Z"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "7 fraction digits", line: bonus(at: "2026-01-01T10:00:00.1234567Z"), message: #"at "2026-01-01T10:00:00.1234567Z": more than 6 fraction digits"#),
        .init(rule: "a point without fraction digits", line: bonus(at: "2026-01-27T10:00:00.Z"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "a date only", line: bonus(at: "2026-01-27"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "no seconds", line: bonus(at: "2026-01-27T10:00Z"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "a one-digit month", line: bonus(at: "2026-1-27T10:00:00Z"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "a five-digit year", line: bonus(at: "12026-01-27T10:00:00Z"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "something after Z", line: bonus(at: "2026-01-27T10:00:00Zx"), message: "expected YYYY-MM-DDTHH:MM:SS"),
        .init(rule: "February 30", line: bonus(at: "2026-02-30T10:00:00Z"), message: "day 30 does not exist in 2026-02"),
        .init(rule: "February 29 of a common year", line: bonus(at: "2026-02-29T10:00:00Z"), message: "day 29 does not exist in 2026-02"),
        .init(rule: "February 29 of 2100", line: bonus(at: "2100-02-29T10:00:00Z"), message: "day 29 does not exist in 2100-02"),
        .init(rule: "April 31", line: bonus(at: "2026-04-31T10:00:00Z"), message: "day 31 does not exist"),
        .init(rule: "day 00", line: bonus(at: "2026-04-00T10:00:00Z"), message: "day 00 does not exist"),
        .init(rule: "month 13", line: bonus(at: "2026-13-01T10:00:00Z"), message: "month 13 is not 01-12"),
        .init(rule: "month 00", line: bonus(at: "2026-00-01T10:00:00Z"), message: "month 00 is not 01-12"),
        .init(rule: "hour 24", line: bonus(at: "2026-01-27T24:00:00Z"), message: "hour 24 is not 00-23"),
        .init(rule: "minute 60", line: bonus(at: "2026-01-27T10:60:00Z"), message: "minute 60 is not 00-59"),
        .init(rule: "a leap second", line: bonus(at: "2016-12-31T23:59:60Z"), message: "second 60 is not 00-59 (no leap seconds)"),
        .init(rule: "at as a number", line: #"{"id":"e","tenant":"acme","type":"order.approved","at":1767225600}"#, message: "at must be a timestamp string, got a number"),
        .init(rule: "a bad expires_at", line: line("invitation.created", #""invitation":"i","email":"e@x","role":"writer","expires_at":"2026-02-27""#),
              message: #"data.expires_at "2026-02-27": expected YYYY-MM-DDTHH:MM:SS"#),

        // amounts and counts
        .init(rule: "an amount with a fraction", line: bonus(#""worker":"w","amount_cents":5000.5,"reason":"x""#),
              message: "data.amount_cents must be an integer in [1, 10^12], got 5000.5"),
        .init(rule: "an amount with a zero fraction", line: bonus(#""worker":"w","amount_cents":5000.0,"reason":"x""#), message: "got 5000.0"),
        .init(rule: "an amount with an exponent", line: bonus(#""worker":"w","amount_cents":5e3,"reason":"x""#), message: "got 5e3"),
        .init(rule: "a negative amount", line: line("fine.issued", #""worker":"w","amount_cents":-100,"reason":"x""#), message: "got -100"),
        .init(rule: "a zero bonus", line: bonus(#""worker":"w","amount_cents":0,"reason":"x""#), message: "in [1, 10^12], got 0"),
        .init(rule: "a -0 bonus", line: bonus(#""worker":"w","amount_cents":-0,"reason":"x""#), message: "in [1, 10^12], got -0"),
        .init(rule: "a zero fine", line: line("fine.issued", #""worker":"w","amount_cents":0,"reason":"x""#), message: "in [1, 10^12]"),
        .init(rule: "a zero payout", line: line("payout.paid", #""worker":"w","amount_cents":0,"reference":"x""#), message: "in [1, 10^12]"),
        .init(rule: "an amount over 10^12", line: line("order.placed", #""order":"o","client":"c","title":"t","price_cents":1000000000001"#),
              message: "data.price_cents must be an integer in [0, 10^12], got 1000000000001"),
        .init(rule: "a huge amount", line: bonus(#""worker":"w","amount_cents":99999999999999999999999999,"reason":"x""#), message: "got 99999999999999999999999999"),
        .init(rule: "an amount as a string", line: line("payout.paid", #""worker":"w","amount_cents":"500","reference":"x""#), message: #"got the string "500""#),
        .init(rule: "an amount as true", line: line("payout.paid", #""worker":"w","amount_cents":true,"reference":"x""#), message: "got true"),
        .init(rule: "an amount as null", line: line("payout.paid", #""worker":"w","amount_cents":null,"reference":"x""#), message: "got null"),
        .init(rule: "a negative fee", line: line("job.assigned", #""order":"o","writer":"w","fee_cents":-1"#), message: "data.fee_cents must be an integer in [0, 10^12], got -1"),
        .init(rule: "a negative fixed pay", line: line("worker.rate_set", #""worker":"w","fixed_monthly_cents":-5"#), message: "data.fixed_monthly_cents"),
        .init(rule: "an MRR with a fraction", line: line("subscription.changed", #""change":"upgraded","plan":"b","mrr_cents":299.5"#), message: "data.mrr_cents"),
        .init(rule: "zero submissions", line: line("order.submitted", #""order":"o","submissions":0"#), message: "data.submissions must be an integer in [1, 10^12], got 0"),
        .init(rule: "fractional submissions", line: line("order.submitted", #""order":"o","submissions":1.5"#), message: "got 1.5"),

        // periods and enums
        .init(rule: "a period with a one-digit month", line: line("invoice.issued", #""worker":"w","period":"2026-1""#), message: #"data.period must be YYYY-MM with a month 01-12, got "2026-1""#),
        .init(rule: "a period with month 13", line: line("invoice.issued", #""worker":"w","period":"2025-13""#), message: #"got "2025-13""#),
        .init(rule: "a period with month 00", line: line("invoice.issued", #""worker":"w","period":"2026-00""#), message: "data.period"),
        .init(rule: "a period with a day", line: line("invoice.issued", #""worker":"w","period":"2026-01-01""#), message: "data.period"),
        .init(rule: "a period as a number", line: line("invoice.issued", #""worker":"w","period":202601"#), message: "data.period must be a YYYY-MM string, got a number"),
        .init(rule: "an unknown role", line: line("invitation.created", #""invitation":"i","email":"e@x","role":"owner","expires_at":"2026-03-04T10:15:00Z""#),
              message: #"data.role must be one of admin, manager, client, writer, got "owner""#),
        .init(rule: "a role in capitals", line: line("invitation.created", #""invitation":"i","email":"e@x","role":"Writer","expires_at":"2026-03-04T10:15:00Z""#), message: "data.role"),
        .init(rule: "an unknown change", line: line("subscription.changed", #""change":"paused","plan":"team","mrr_cents":9900"#), message: #"data.change must be one of created"#),
        .init(rule: "an unknown risk", line: line("audit.recorded", #""action":"a","target_type":"t","target_id":"i","risk":"severe""#), message: #"got "severe""#),
        .init(rule: "a risk as a number", line: line("audit.recorded", #""action":"a","target_type":"t","target_id":"i","risk":3"#), message: "data.risk must be one of"),

        // identifiers, free text, metadata, data
        .init(rule: "an empty worker", line: bonus(#""worker":"","amount_cents":100,"reason":"x""#), message: "data.worker must be a non-empty string, got an empty string"),
        .init(rule: "a worker as a number", line: bonus(#""worker":17,"amount_cents":100,"reason":"x""#), message: "data.worker must be a non-empty string, got a number"),
        .init(rule: "an empty order", line: line("order.approved", #""order":"""#), message: "data.order must be a non-empty string"),
        .init(rule: "an empty email", line: line("invitation.created", #""invitation":"i","email":"","role":"writer","expires_at":"2026-03-04T10:15:00Z""#), message: "data.email"),
        .init(rule: "an empty plan", line: line("subscription.changed", #""change":"created","plan":"","mrr_cents":1"#), message: "data.plan"),
        .init(rule: "an empty target_id", line: line("audit.recorded", #""action":"a","target_type":"t","target_id":"","risk":"low""#), message: "data.target_id"),
        .init(rule: "an empty user", line: line("invitation.accepted", #""invitation":"i","user":"""#), message: "data.user"),
        .init(rule: "an empty manager", line: line("order.accepted", #""order":"o","manager":"""#), message: "data.manager"),
        .init(rule: "an escaped empty-looking writer is still checked", line: line("job.assigned", #""order":"o","writer":"","fee_cents":1"#), message: "data.writer"),
        .init(rule: "a reason as a number", line: bonus(#""worker":"w","amount_cents":1,"reason":5"#), message: "data.reason must be a string, got a number"),
        .init(rule: "a title as null", line: line("order.placed", #""order":"o","client":"c","title":null,"price_cents":1"#), message: "data.title must be a string, got null"),
        .init(rule: "metadata null", line: line("audit.recorded", audit + #","metadata":null"#), message: "data.metadata must be an object, got null"),
        .init(rule: "metadata as a string", line: line("audit.recorded", audit + #","metadata":"ip=10.0.0.1""#), message: "data.metadata must be an object, got a string"),
        .init(rule: "metadata as an array", line: line("audit.recorded", audit + #","metadata":[]"#), message: "data.metadata must be an object, got an array"),
        .init(rule: "data as an array", line: #"{"id":"e","tenant":"acme","type":"bonus.added","at":"2026-01-27T10:00:00Z","actor":"a","data":[{"worker":"w"}]}"#,
              message: "data must be an object, got an array"),
        .init(rule: "data as null", line: #"{"id":"e","tenant":"acme","type":"bonus.added","at":"2026-01-27T10:00:00Z","actor":"a","data":null}"#,
              message: "data must be an object, got null"),
        .init(rule: "data before type, with a bad amount",
              line: #"{"data":{"worker":"w","amount_cents":1.5,"reason":"x"},"id":"e","tenant":"acme","type":"bonus.added","at":"2026-01-27T10:00:00Z","actor":"a"}"#,
              message: "data.amount_cents must be an integer"),
    ]

    @Test("every EVENTS.md rule refuses its example line as invalid", arguments: invalidCases)
    func refusesInvalidLine(_ invalid: CodecInvalidCase) {
        switch codecParse(invalid.line) {
        case .success(let event):
            Issue.record("accepted \(event) from \(invalid.line)")
        case .failure(let refusal):
            #expect(refusal.code == .invalid)
            #expect(refusal.message.contains(invalid.message), "message: \(refusal.message)")
        }
    }

    @Test func refusesInvalidUTF8() {
        let sequences: [[UInt8]] = [
            [0xFF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xE2, 0x28, 0xA1], [0xF0, 0x80, 0x80, 0x80],
        ]
        for sequence in sequences {
            let bytes = Array(#"{"id":"e-"#.utf8) + sequence + Array(#"","tenant":"acme","type":"order.approved","at":"2026-01-01T00:00:00Z","actor":"a","data":{"order":"o"}}"#.utf8)
            guard case .failure(let refusal) = EventLineParser.parse(bytes) else {
                Issue.record("accepted invalid UTF-8 \(sequence)")
                continue
            }
            #expect(refusal.code == .invalid)
            #expect(refusal.message.hasPrefix("malformed JSON at byte 9: invalid UTF-8"), "\(refusal.message)")
        }
    }

    @Test func refusesLinesOverOneMebibyte() {
        let base = #"{"id":"e-1","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u","data":{"worker":"w","amount_cents":1,"reason":"x","padding":""#
        let fillTo = { (size: Int) in Array(base.utf8) + Array(repeating: UInt8(ascii: "a"), count: size - base.utf8.count - 3) + Array("\"}}".utf8) }
        let atLimit = fillTo(EventLineParser.lineBytesMax)
        #expect(atLimit.count == 1_048_576)
        #expect((try? EventLineParser.parse(atLimit).get()) != nil)
        let overLimit = fillTo(EventLineParser.lineBytesMax + 1)
        guard case .failure(let refusal) = EventLineParser.parse(overLimit) else {
            Issue.record("accepted a line of \(overLimit.count) bytes")
            return
        }
        #expect(refusal.code == .invalid)
        #expect(refusal.message == "the line is 1048577 bytes, longer than the limit of 1048576")
    }

    @Test func readsEveryFieldOfEveryType() throws {
        let expiry = try #require(Timestamp(parsing: "2026-01-09T09:00:00Z".utf8))
        let cases: [(String, EventData)] = [
            (line("invitation.created", #""invitation":"inv-1","email":"w1@acme.example","role":"writer","expires_at":"2026-01-09T09:00:00Z""#),
             .invitationCreated(invitation: "inv-1", email: "w1@acme.example", role: .writer, expiresAt: expiry)),
            (line("invitation.accepted", #""invitation":"inv-1","user":"w-1""#), .invitationAccepted(invitation: "inv-1", user: "w-1")),
            (line("invitation.revoked", #""invitation":"inv-4""#), .invitationRevoked(invitation: "inv-4")),
            (line("worker.rate_set", #""worker":"w-1","fixed_monthly_cents":100000"#), .workerRateSet(worker: "w-1", fixedMonthlyCents: 100_000)),
            (line("order.placed", #""order":"o-1","client":"u-c1","title":"","price_cents":0"#), .orderPlaced(order: "o-1", client: "u-c1", title: "", priceCents: 0)),
            (line("order.accepted", #""order":"o-1","manager":"u-m1""#), .orderAccepted(order: "o-1", manager: "u-m1")),
            (line("job.assigned", #""order":"o-1","writer":"w-1","fee_cents":1000000000000"#), .jobAssigned(order: "o-1", writer: "w-1", feeCents: 1_000_000_000_000)),
            (line("order.submitted", #""order":"o-1","submissions":3"#), .orderSubmitted(order: "o-1", submissions: 3)),
            (line("order.approved", #""order":"o-1""#), .orderApproved(order: "o-1")),
            (line("order.rejected", #""order":"o-2","reason":"Needs more sources""#), .orderRejected(order: "o-2", reason: "Needs more sources")),
            (line("order.completed", #""order":"o-1""#), .orderCompleted(order: "o-1")),
            (line("order.cancelled", #""order":"o-4","reason":"""#), .orderCancelled(order: "o-4", reason: "")),
            (line("bonus.added", #""worker":"w-2","amount_cents":1,"reason":"Weekend work""#), .bonusAdded(worker: "w-2", amountCents: 1, reason: "Weekend work")),
            (line("fine.issued", #""worker":"w-2","amount_cents":3000,"reason":"Late""#), .fineIssued(worker: "w-2", amountCents: 3000, reason: "Late")),
            (line("payout.paid", #""worker":"w-1","amount_cents":15000,"reference":"PO-ACME-1""#), .payoutPaid(worker: "w-1", amountCents: 15000, reference: "PO-ACME-1")),
            (line("invoice.issued", #""worker":"w-1","period":"2026-01""#), .invoiceIssued(worker: "w-1", period: Period(year: 2026, month: 1))),
            (line("subscription.changed", #""change":"reactivated","plan":"team","mrr_cents":9900"#), .subscriptionChanged(change: .reactivated, plan: "team", mrrCents: 9900)),
            (line("audit.recorded", audit), .auditRecorded(action: "login", targetType: "user", targetID: "u-1", risk: .low, metadata: nil)),
            (line("audit.recorded", audit + #","metadata":{ "ua" : "web", "ip":"10.0.0.7","mfa":true, "n": [1.50, {"z":null,"a":-0}]}"#),
             .auditRecorded(action: "login", targetType: "user", targetID: "u-1", risk: .low,
                            metadata: #"{"ip":"10.0.0.7","mfa":true,"n":[1.5,{"a":0,"z":null}],"ua":"web"}"#)),
        ]
        for (text, expected) in cases {
            let event = try codecEvent(text)
            #expect(event.data == expected, "\(text)")
            #expect(event.tenant == "acme" && event.id == "e-1" && event.actor == "u-1" && event.extras == "")
            #expect(event.at == Timestamp(parsing: "2026-03-04T10:15:00Z".utf8))
        }
    }

    @Test func keepsUnknownDataFieldsAsCanonicalExtrasAndDropsUnknownTopLevelFields() throws {
        let event = try codecEvent(
            #" { "source" : {"x":[1,2]}, "id":"e-1","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u-admin","#
                + #""data":{"worker":"w-17","zeta":"\u00e9\/","amount_cents":5000,"alpha":{"b":1e2,"a":[true,false,null]},"reason":"Great month","tip_cents":2.5}}"# + "\t\r")
        #expect(event.extras == #"{"alpha":{"a":[true,false,null],"b":100},"tip_cents":2.5,"zeta":"é/"}"#)
        #expect(event.data == .bonusAdded(worker: "w-17", amountCents: 5000, reason: "Great month"))
    }

    @Test func acceptsTheEdgesOfEveryRange() throws {
        let accepted = [
            bonus(#""worker":"w","amount_cents":1000000000000,"reason":"""#),
            line("worker.rate_set", #""worker":"w","fixed_monthly_cents":-0"#),
            line("order.submitted", #""order":"o","submissions":1"#),
            bonus(at: "2024-02-29T23:59:59.999999Z"),
            bonus(at: "2000-02-29T00:00:00Z"),
            bonus(at: "0000-01-01T00:00:00Z"),
            bonus(at: "9999-12-31T23:59:59.999999Z"),
            bonus(at: "2026-01-01T00:00:00.1Z"),
            line("order.approved", #""order":"o""#, id: "\"" + String(repeating: "x", count: 64) + "\""),
            line("order.approved", #""order":"o""#, id: "\"" + String(repeating: "𝄞", count: 64) + "\""),
            line("order.approved", #""order":"o""#, actor: "\"" + String(repeating: "e\u{301}", count: 32) + "\""),
            line("order.approved", #""order":"o""#, tenant: "\"" + String(repeating: "a", count: 63) + "\""),
            line("order.approved", #""order":"o""#, tenant: #""0-""#),
            line("order.approved", #""order":"o","deep":"# + String(repeating: "[", count: 62) + String(repeating: "]", count: 62)),
            line("order.approved", #""order":"o","big":1e999999999999999999999,"small":-12.5e-999999999999999999999"#),
            line("order.approved", "\"order\":\"o\u{7F}\",\"nul\":\"\\u0000\""),
            line("audit.recorded", audit + #","metadata":{}"#),
            "\t " + line("order.approved", #""order":"o""#) + " \r",
        ]
        for text in accepted {
            _ = try codecEvent(text)
        }
    }

    @Test func readsDataBeforeTypeAndEscapedKeys() throws {
        let reordered = try codecEvent(
            #"{"data":{"\u0072eason":"x","amount_cents":7,"worker":"w"},"actor":"a","at":"2026-01-01T00:00:00Z","\u0074ype":"bonus.added","tenant":"acm\u0065","\u0069d":"e"}"#)
        let plain = try codecEvent(#"{"id":"e","tenant":"acme","type":"bonus.added","at":"2026-01-01T00:00:00Z","actor":"a","data":{"worker":"w","amount_cents":7,"reason":"x"}}"#)
        #expect(codecIdentical(reordered, plain))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let event = try codecEvent(line("order.rejected", #""order":"o","reason":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud834\udd1e""#))
        guard case .orderRejected(_, let reason) = event.data else {
            Issue.record("wrong type")
            return
        }
        #expect(Array(reason.unicodeScalars) == Array("\"\\/\u{8}\u{C}\n\r\tAé€𝄞".unicodeScalars))
    }

    @Test func findsSpecialCharactersAtEveryPositionOfAnEightByteWord() throws {
        // The scanner reads strings eight bytes at a time: put each kind of special
        // character at every offset of the first words.
        let specials: [(json: String, decoded: String)] = [
            (#"\""#, "\""), (#"\\"#, "\\"), (#"\n"#, "\n"), ("é", "é"), ("𝄞", "𝄞"), (#"\u00e9"#, "é"), ("\u{7F}", "\u{7F}"), ("~", "~"),
        ]
        for offset in 0..<18 {
            for special in specials {
                for tail in [0, 1, 7, 9] {
                    let prefix = String(repeating: "a", count: offset)
                    let suffix = String(repeating: "z", count: tail)
                    let event = try codecEvent(line("order.rejected", #""order":"o","reason":""# + prefix + special.json + suffix + "\""))
                    #expect(event.data == .orderRejected(order: "o", reason: prefix + special.decoded + suffix), "\(offset) \(special) \(tail)")
                }
            }
            let control = line("order.rejected", #""order":"o","reason":""# + String(repeating: "a", count: offset) + "\u{1F}zz\"")
            guard case .failure(let refusal) = codecParse(control) else {
                Issue.record("a raw control character at \(offset) was accepted")
                continue
            }
            #expect(refusal.message.contains("control character U+001F"))
        }
    }

    @Test func doesNotNormaliseUnicode() throws {
        let composed = try codecEvent(line("order.approved", #""order":"é""#, id: #""é""#))
        let decomposed = try codecEvent(line("order.approved", #""order":"e\u0301""#, id: #""e\u0301""#))
        #expect(composed.id != decomposed.id)
        #expect(!composed.hasSameContent(as: decomposed))
        let reasonComposed = try codecEvent(line("order.rejected", #""order":"o","reason":"é""#))
        let reasonDecomposed = try codecEvent(line("order.rejected", #""order":"o","reason":"e\u0301""#))
        #expect(!reasonComposed.hasSameContent(as: reasonDecomposed))
    }

    @Test func detectsBlankLines() {
        for blank in ["", " ", "\t", "\r", " \t\r", "   \r"] {
            #expect(Array(blank.utf8).withUnsafeBytes { EventLineParser.isBlank($0) }, "\(Array(blank.utf8))")
        }
        for notBlank in ["x", " {}", "\u{0B}", "\n ", "\u{A0}"] {
            #expect(!Array(notBlank.utf8).withUnsafeBytes { EventLineParser.isBlank($0) }, "\(Array(notBlank.utf8))")
        }
        guard case .failure(let refusal) = codecParse(" \t") else {
            Issue.record("a blank line parsed")
            return
        }
        #expect(refusal.code == .invalid)
    }
}
