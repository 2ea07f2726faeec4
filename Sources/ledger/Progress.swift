import Foundation

/// A progress bar on stderr, drawn only when stderr is a terminal and the work has
/// taken more than a second; silent otherwise, so scripts and logs stay clean.
final class ProgressBar {
    let label: String
    let started = DispatchTime.now().uptimeNanoseconds
    var lastDrawn: UInt64 = 0
    var drawn = false
    let enabled: Bool

    init(_ label: String, enabled: Bool = Terminal.standardErrorIsTerminal) {
        self.label = label
        self.enabled = enabled
    }

    /// - Parameters: done and total in the same unit (bytes, events); `rateUnit` names what `done` counts.
    func update(done: Int, total: Int) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - started > 1_000_000_000, now - lastDrawn > 100_000_000 else { return }
        lastDrawn = now
        drawn = true
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = Int(fraction * 100)
        let line = "\r\(label) [\(bar)] \(percent)%"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Formatting helpers for human output.
enum Format {
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    /// Cents as a decimal amount: 123456 -> "1,234.56", -5 -> "-0.05". No floating point.
    static func cents(_ value: Int64) -> String {
        let magnitude = value.magnitude
        let whole = count(Int(magnitude / 100))
        let fraction = magnitude % 100
        return (value < 0 ? "-" : "") + whole + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var unit = 0
        var scaled = Double(value)
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", scaled, units[unit])
    }

    static func rate(_ count: Int, seconds: Double) -> String {
        guard seconds > 0 else { return "-" }
        let perSecond = Double(count) / seconds
        if perSecond >= 1_000_000 { return String(format: "%.2f M/s", perSecond / 1_000_000) }
        if perSecond >= 1_000 { return String(format: "%.1f k/s", perSecond / 1_000) }
        return String(format: "%.0f /s", perSecond)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// "key   value" lines, keys padded to one width.
    static func keyValues(_ pairs: [[String]]) -> String {
        let width = pairs.map { $0[0].count }.max() ?? 0
        return pairs.map { $0[0] + String(repeating: " ", count: width - $0[0].count) + "  " + $0[1] + "\n" }.joined()
    }

    /// A left-aligned text table with a header row.
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return rightAligned.contains(index) ? padding + cell : cell + padding
            }.joined(separator: "  ")
            // No trailing blanks (a regular expression here took 40 ms of a 15,000-row table).
            while let last = text.last, last.isWhitespace { text.removeLast() }
            return text
        }
        var output = line(header) + "\n"
        output += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { output += line(row) + "\n" }
        return output
    }
}

/// JSON text for `--json` output: a tiny writer with sorted keys and no floating point.
enum JSONText {
    static func string(_ value: String) -> String {
        var output = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    output += String(format: "\\u%04x", scalar.value)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }

    /// An object from already-rendered values, keys sorted by UTF-8 bytes.
    static func object(_ members: [(String, String)]) -> String {
        let sorted = members.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return "{" + sorted.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
}
