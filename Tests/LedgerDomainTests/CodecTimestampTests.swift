import LedgerDomain
import Testing

@Suite("Timestamp and period text")
struct CodecTimestampTests {
    static let canonicalForms: [(String, String, Int64)] = [
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000001Z", "1970-01-01T00:00:00.000001Z", 1),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z", -1),
        ("2026-03-04T10:15:00Z", "2026-03-04T10:15:00Z", 1_772_619_300_000_000),
        ("2026-03-04T10:15:00.5Z", "2026-03-04T10:15:00.5Z", 1_772_619_300_500_000),
        ("2026-03-04T10:15:00.500Z", "2026-03-04T10:15:00.5Z", 1_772_619_300_500_000),
        ("2026-03-04T10:15:00.500000Z", "2026-03-04T10:15:00.5Z", 1_772_619_300_500_000),
        ("2026-01-06T09:05:00.000Z", "2026-01-06T09:05:00Z", 1_767_690_300_000_000),
        ("2026-02-05T09:00:00.120000Z", "2026-02-05T09:00:00.12Z", 1_770_282_000_120_000),
        ("2026-01-19T23:59:59.999Z", "2026-01-19T23:59:59.999Z", 1_768_867_199_999_000),
        ("2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z", 951_825_600_000_000),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z", 1_709_164_800_000_000),
        ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z", -62_167_219_200_000_000),
        ("0000-02-29T00:00:00Z", "0000-02-29T00:00:00Z", -62_162_121_600_000_000),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
    ]

    @Test("parses and prints canonically", arguments: canonicalForms)
    func parsesAndPrintsCanonically(_ text: String, _ canonical: String, _ microseconds: Int64) throws {
        let timestamp = try #require(Timestamp(parsing: text.utf8))
        #expect(timestamp.microseconds == microseconds)
        #expect(timestamp.canonical == canonical)
        #expect(Timestamp(parsing: Array(canonical.utf8)) == timestamp)
        #expect(Timestamp(parsing: canonical.utf8.reversed().reversed()) == timestamp) // a non-contiguous collection
    }

    @Test func refusesEverythingElse() {
        let refused = [
            "", "2026-03-04", "2026-03-04T10:15:00", "2026-03-04T10:15:00+00:00", "2026-03-04T10:15:00.5+01:00", "2026-03-04T10:15:00z",
            "2026-03-04t10:15:00Z", "2026-03-04 10:15:00Z", "2026-03-04T10:15:00.Z", "2026-03-04T10:15:00.1234567Z", "2026-03-04T10:15Z",
            "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
            "2026-01-32T00:00:00Z", "2026-06-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
            "+2026-01-01T00:00:00Z", "202-01-01T00:00:00Z", "2026-01-01T00:00:00ZZ", "2026-01-01T00:00:00.5ZZ", "2026-01-01T00:00:00 Z",
            " 2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z ", "2026-01-01T0a:00:00Z", "2026/01/01T00:00:00Z", "２026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.-5Z",
        ]
        for text in refused {
            #expect(Timestamp(parsing: text.utf8) == nil, "\(text)")
        }
    }

    @Test func everyInstantPrintsAndParsesBack() {
        var random = CodecRandom(seed: 0x7135)
        for _ in 0..<20000 {
            let microseconds = Int64.random(in: Timestamp.textMinimum.microseconds...Timestamp.textMaximum.microseconds, using: &random)
            let timestamp = Timestamp(microseconds: random.chance(0.5) ? microseconds : microseconds / 1_000_000 * 1_000_000)
            let text = timestamp.canonical
            #expect(Timestamp(parsing: text.utf8) == timestamp, "\(timestamp.microseconds) printed as \(text)")
            #expect(!text.contains(".") || !text.hasSuffix("0Z"))
        }
        #expect(Timestamp.textMinimum.canonical == "0000-01-01T00:00:00Z")
        #expect(Timestamp.textMaximum.canonical == "9999-12-31T23:59:59.999999Z")
    }

    @Test func daysFollowTheGregorianCalendar() throws {
        // Consecutive days of 1999-2001 and 2099-2101 are 86,400 s apart, with February's end right.
        for year in [1999, 2000, 2001, 2099, 2100, 2101] {
            var previous: Timestamp?
            let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            for month in 1...12 {
                let days = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
                for day in 1...days {
                    let text = "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)T00:00:00Z"
                    let timestamp = try #require(Timestamp(parsing: text.utf8), "\(text)")
                    if let previous { #expect(timestamp.microseconds - previous.microseconds == 86_400_000_000, "\(text)") }
                    #expect(timestamp.canonical == text)
                    previous = timestamp
                }
                let pastEnd = "\(year)-\(month < 10 ? "0" : "")\(month)-\(days + 1)T00:00:00Z"
                #expect(Timestamp(parsing: pastEnd.utf8) == nil, "\(pastEnd)")
            }
        }
    }

    @Test func periodsParseAndPrint() {
        #expect(Period(parsing: "2026-03".utf8) == Period(year: 2026, month: 3))
        #expect(Period(parsing: "0000-01".utf8) == Period(year: 0, month: 1))
        #expect(Period(parsing: "9999-12".utf8)?.text == "9999-12")
        #expect(Period(year: 2026, month: 3).text == "2026-03")
        #expect(Period(year: 7, month: 11).text == "0007-11")
        for refused in ["2026-3", "2026-13", "2026-00", "26-03", "2026-03-01", "2026/03", "", "2026-0a", " 2026-03"] {
            #expect(Period(parsing: refused.utf8) == nil, "\(refused)")
        }
    }

    @Test func instantsAndPeriodsOutsideTheGrammarPrintWithTheirWholeYear() {
        #expect(Timestamp(microseconds: Timestamp.textMinimum.microseconds - 1).canonical == "-0001-12-31T23:59:59.999999Z")
        #expect(Timestamp(microseconds: Timestamp.textMaximum.microseconds + 1).canonical == "10000-01-01T00:00:00Z")
        #expect(Period(year: 12345, month: 3).text == "12345-03")
        #expect(Period(year: -1, month: 12).text == "-0001-12")
    }

    @Test func thePeriodOfAnInstantIsItsUTCMonth() throws {
        let endOfMarch = try #require(Timestamp(parsing: "2026-03-31T23:59:59.999999Z".utf8))
        #expect(endOfMarch.period == Period(year: 2026, month: 3))
        #expect(Timestamp(microseconds: endOfMarch.microseconds + 1).period == Period(year: 2026, month: 4))
        #expect(Timestamp(microseconds: -1).period == Period(year: 1969, month: 12))
        #expect(Timestamp(microseconds: 0).period == Period(year: 1970, month: 1))
        #expect(Timestamp.textMinimum.period == Period(year: 0, month: 1))
    }
}
