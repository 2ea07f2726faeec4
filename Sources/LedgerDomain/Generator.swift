/// Writes realistic JSON Lines histories (EVENTS.md section 1) for demos, benchmarks and
/// tests of the decider.
///
/// Deterministic: the same options give the same bytes on every machine (its own
/// pseudo-random sequence, no Foundation, no hashing order in the output). At
/// `invalidRate` 0 every line is an event that EVENTS.md's rules append, in file order;
/// at rate R each line is, with probability R, replaced by a bad one (see `LineKind`),
/// which leaves the generator's model of the state untouched.
///
/// ```swift
/// var generator = HistoryGenerator(options: GeneratorOptions(events: 1_000, seed: 7))
/// var output: [UInt8] = []
/// while generator.next(into: &output) {
///     if output.count >= 1 << 20 { flush(output); output.removeAll(keepingCapacity: true) }
/// }
/// flush(output)
/// ```
public struct HistoryGenerator {
    /// The options this generator was made with.
    public let options: GeneratorOptions
    /// How many lines `next(into:)` has produced so far.
    public private(set) var producedLineCount = 0
    /// What the last line produced is (`.valid` before the first).
    public internal(set) var lastLineKind = LineKind.valid

    var random: GeneratorRandom
    var tenants: [GeneratorTenant]
    /// Running sums of the tenants' activity weights, for picking a tenant by weight.
    private let tenantWeightSums: [Int]

    /// The business clock: never goes back; each line's `at` is derived from it.
    private var clock: Int64
    private let spanMicroseconds: Int64
    /// The mean business time between two lines.
    private let stepMicroseconds: Int64
    /// The month of `options.start`, as `year * 12 + month - 1`; month indexes count from it.
    let firstMonthOrdinal: Int64
    /// Months since the first month, of the clock.
    private(set) var currentMonth = 0
    private var nextMonthStart: Int64
    /// Months whose invoices have been queued: `0..<monthsEnded`.
    private(set) var monthsEnded = 0

    /// The `at` of the line being written and how its fraction is written.
    var lineAt: Int64 = 0
    var lineAtStyle = GeneratorBytes.FractionStyle.canonical

    /// The line being written. Lines are classes (see `GeneratorLine`): a copied generator
    /// clones them before it writes (`cloneLines()`).
    var line = GeneratorLine()
    /// A second line for bad lines derived from `line`.
    var scratch = GeneratorLine()
    /// Recently appended lines, copied for duplicates and conflicts; empty when bad lines are off.
    var recentLines: [GeneratorLine] = []
    var recentLineCount = 0
    private var recentLineNext = 0
    /// Nil for "always", else the 64-bit threshold of `options.invalidRate`.
    private let badLineThreshold: UInt64?
    private let producesBadLines: Bool

    /// How many recent lines are kept for duplicates and conflicts.
    static let recentLinesMax = 256

    /// Creates a generator. The options must be valid (`GeneratorOptions.validate()`):
    /// invalid ones stop the program.
    public init(options: GeneratorOptions) {
        do {
            try options.validate()
        } catch {
            preconditionFailure("HistoryGenerator needs valid options: \(error)")
        }
        self.options = options
        random = GeneratorRandom(seed: options.seed)
        tenants = (0..<options.tenants).map { GeneratorTenant(name: GeneratorVocabulary.tenantName($0)) }

        // A few big tenants and a long tail, like any SaaS: tenant k weighs 1 / (k + 2).
        var weightSum = 0
        tenantWeightSums = (0..<options.tenants).map { index in
            weightSum += 1_000_000 / (index + 2)
            return weightSum
        }

        clock = options.start.microseconds
        spanMicroseconds = Int64(options.days) * DomainCalendar.microsecondsPerDay
        stepMicroseconds = options.events > 0 ? spanMicroseconds / Int64(options.events) : 0
        firstMonthOrdinal = DomainCalendar.monthOrdinal(options.start.microseconds)
        nextMonthStart = DomainCalendar.monthStart(ordinal: firstMonthOrdinal + 1)

        producesBadLines = options.invalidRate > 0
        badLineThreshold = producesBadLines ? GeneratorRandom.threshold(probability: options.invalidRate) : 0
        if producesBadLines {
            recentLines = (0..<Self.recentLinesMax).map { _ in GeneratorLine() }
        }
    }

    /// Appends the next line (JSON and `\n`) to `output`; returns false, appending
    /// nothing, once `options.events` lines have been produced.
    public mutating func next(into output: inout [UInt8]) -> Bool {
        guard producedLineCount < options.events else { return false }
        if !isKnownUniquelyReferenced(&line) { cloneLines() }
        advanceClock()
        if producesBadLines && random.chance(threshold: badLineThreshold) {
            writeBadLine()
        } else {
            writeValidLine()
            lastLineKind = .valid
            if producesBadLines { rememberLine() }
        }
        output.append(contentsOf: line.bytes)
        output.append(UInt8(ascii: "\n"))
        producedLineCount += 1
        return true
    }

    // MARK: Business time

    /// Moves the clock to this line's share of the time span (plus jitter), queues the
    /// invoices of months that ended, and draws this line's `at`.
    private mutating func advanceClock() {
        // start + span * index / events, in 128 bits: span * index can pass 2^63.
        let product = UInt64(spanMicroseconds).multipliedFullWidth(by: UInt64(producedLineCount))
        let offset = UInt64(options.events).dividingFullWidth(product).quotient
        let jitter = Int64(random.below(Int(stepMicroseconds) + 1))
        let end = options.start.microseconds + spanMicroseconds
        clock = max(clock, min(options.start.microseconds + Int64(offset) + jitter, end - 1))

        while clock >= nextMonthStart {
            currentMonth += 1
            nextMonthStart = DomainCalendar.monthStart(ordinal: firstMonthOrdinal + Int64(currentMonth) + 1)
        }
        if currentMonth > monthsEnded {
            for index in tenants.indices {
                tenants[index].queueInvoices(months: monthsEnded..<currentMonth)
            }
            monthsEnded = currentMonth
        }

        // Most applications stamp whole seconds, some milliseconds, a few microseconds.
        // Rounding down never leaves the clock's month: month boundaries are whole seconds.
        let precision = random.below(100)
        if precision < 85 {
            lineAt = clock - clock % DomainCalendar.microsecondsPerSecond
        } else if precision < 97 {
            lineAt = clock - clock % 1000
        } else {
            lineAt = clock
        }
        // A few writers pad the fraction (`.000Z`); the instant is the same.
        let style = random.below(100)
        lineAtStyle = style < 98 ? .canonical : (style == 98 ? .milliseconds : .microseconds)
    }

    /// The month index (months since the first month) of an instant.
    func monthIndex(of microseconds: Int64) -> Int {
        Int(DomainCalendar.monthOrdinal(microseconds) - firstMonthOrdinal)
    }

    /// An `at` some hours to days before this line's, never before `options.start`:
    /// a late event, entered after the fact.
    mutating func lateAt() -> Int64 {
        let seconds = Int64(random.inRange(3600...5 * 86_400))
        return max(lineAt - seconds * DomainCalendar.microsecondsPerSecond, options.start.microseconds)
    }

    // MARK: Tenants

    /// A tenant index, by weight.
    mutating func pickTenant() -> Int {
        let draw = random.below(tenantWeightSums[tenantWeightSums.count - 1])
        var low = 0
        var high = tenantWeightSums.count - 1
        while low < high {
            let middle = (low + high) / 2
            if tenantWeightSums[middle] > draw { high = middle } else { low = middle + 1 }
        }
        return low
    }

    // MARK: Recent lines

    /// Gives this generator lines of its own: it was copied, and lines are classes.
    private mutating func cloneLines() {
        line = line.clone()
        scratch = scratch.clone()
        recentLines = recentLines.map { $0.clone() }
    }

    /// Keeps a copy of the valid line just written, for later duplicates and conflicts.
    private mutating func rememberLine() {
        recentLines[recentLineNext].copy(from: line)
        recentLineNext = (recentLineNext + 1) % Self.recentLinesMax
        recentLineCount = min(recentLineCount + 1, Self.recentLinesMax)
    }
}
