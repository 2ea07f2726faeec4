import Foundation
import LedgerDomain
import LedgerEngine

/// The sample fixture run through the parser and the decider, in file order, the way the
/// ledger appends it: lines `EventLineParser` refuses are `invalid`, then a known tenant+id
/// is a duplicate or a conflict, then the rules.
struct SampleHistory {
    /// One entry per non-blank line.
    var outcomes: [ExpectedDump.LineOutcome] = []
    /// The appended events with their positions and fixed effects, in log order.
    var recorded: [RecordedEvent] = []
    /// The rule refusals, by line, with their messages.
    var ruleRefusals: [Int: Refusal] = [:]

    /// The expected outcome of a line as the fixture states it.
    struct ExpectedOutcome: Equatable, CustomStringConvertible {
        var line: Int
        var outcome: String
        var position: Int?
        var code: String?

        var description: String {
            "line \(line): \(outcome) \(position.map(String.init) ?? "") \(code ?? "")"
        }

        init(line: Int, outcome: String, position: Int?, code: String?) {
            self.line = line
            self.outcome = outcome
            self.position = position
            self.code = code
        }

        init(_ lineOutcome: ExpectedDump.LineOutcome) {
            switch lineOutcome.outcome {
            case .appended(let position):
                self.init(line: lineOutcome.line, outcome: "appended", position: Int(position), code: nil)
            case .duplicate(let position):
                self.init(line: lineOutcome.line, outcome: "duplicate", position: Int(position), code: nil)
            case .refused(let refusal):
                self.init(line: lineOutcome.line, outcome: "refused", position: nil, code: refusal.code.rawValue)
            }
        }
    }

    static func expectedOutcomes() throws -> [ExpectedOutcome] {
        try CodecFixture.expectedOutcomes().map {
            ExpectedOutcome(line: $0.line, outcome: $0.outcome, position: $0.position, code: $0.code)
        }
    }

    /// Runs the whole sample through a fresh `DomainState`.
    static func run() throws -> SampleHistory {
        let lines = try CodecFixture.sampleLines()
        var history = SampleHistory()
        var state = DomainState()
        var appendedByKey: [SampleEventKey: RecordedEvent] = [:]
        for (index, line) in lines.enumerated() where !line.withUnsafeBytes({ EventLineParser.isBlank($0) }) {
            let lineNumber = index + 1
            let event: Event
            switch EventLineParser.parse(line) {
            case .success(let parsed):
                event = parsed
            case .failure(let refusal):
                history.outcomes.append(.init(line: lineNumber, outcome: .refused(refusal)))
                continue
            }
            let key = SampleEventKey(tenant: event.tenant, id: event.id)
            if let original = appendedByKey[key] {
                let outcome: AppendOutcome =
                    sameContent(original.event, event)
                    ? .duplicate(position: original.position)
                    : .refused(Refusal(.conflict, "event \(event.id) of \(event.tenant) differs from position \(original.position)"))
                history.outcomes.append(.init(line: lineNumber, outcome: outcome))
                continue
            }
            switch state.decide(event) {
            case .success(let effect):
                let recorded = RecordedEvent(position: UInt64(history.recorded.count + 1), event: event, effect: effect)
                state.apply(event, effect: effect)
                history.recorded.append(recorded)
                appendedByKey[key] = recorded
                history.outcomes.append(.init(line: lineNumber, outcome: .appended(position: recorded.position)))
            case .failure(let refusal):
                history.ruleRefusals[lineNumber] = refusal
                history.outcomes.append(.init(line: lineNumber, outcome: .refused(refusal)))
            }
        }
        return history
    }

    /// EVENTS.md section 2: identical `type`, `at`, `actor` and `data` (extras included).
    static func sameContent(_ left: Event, _ right: Event) -> Bool {
        left.at == right.at && left.actor == right.actor && left.data == right.data && left.extras.utf8.elementsEqual(right.extras.utf8)
    }

    /// The read models of the sample's appended events, as of `asOf`.
    func models(asOf: AsOf) -> ReadModels {
        var models = ReadModels(asOf: asOf)
        for event in recorded { models.fold(event) }
        return models
    }
}

struct SampleEventKey: Hashable {
    var tenant: Name
    var id: Name
}
