/// The generator's own pseudo-random sequence: xoshiro256** seeded through SplitMix64.
///
/// The generator promises the same bytes for the same options on every machine and
/// every Swift release, so it cannot use `SystemRandomNumberGenerator` nor the standard
/// library's `random(in:using:)` (whose way of drawing from a generator may change).
/// Everything here is plain 64-bit integer arithmetic.
struct GeneratorRandom {
    private var state0: UInt64
    private var state1: UInt64
    private var state2: UInt64
    private var state3: UInt64

    init(seed: UInt64) {
        // SplitMix64 spreads any seed, 0 included, over the four words; xoshiro only
        // requires that they are not all zero, which SplitMix64's output never is here.
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var mixed = splitMix
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
        state0 = nextSplitMix()
        state1 = nextSplitMix()
        state2 = nextSplitMix()
        state3 = nextSplitMix()
    }

    /// The next 64 random bits.
    @inline(__always)
    mutating func next() -> UInt64 {
        let result = rotateLeft(state1 &* 5, by: 7) &* 9
        let shifted = state1 << 17
        state2 ^= state0
        state3 ^= state1
        state1 ^= state2
        state0 ^= state3
        state2 ^= shifted
        state3 = rotateLeft(state3, by: 45)
        return result
    }

    /// A number in `0..<bound` (Lemire's multiply-shift; the rare rejection keeps it unbiased).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below() needs a positive bound")
        let bound64 = UInt64(bound)
        var product = next().multipliedFullWidth(by: bound64)
        if product.low < bound64 {
            let threshold = (0 &- bound64) % bound64
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound64)
            }
        }
        return Int(product.high)
    }

    /// A number in `range`.
    @inline(__always)
    mutating func inRange(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `perMille / 1000`.
    @inline(__always)
    mutating func chance(perMille: Int) -> Bool {
        below(1000) < perMille
    }

    /// True with the probability whose `threshold` `Self.threshold(probability:)` computed.
    @inline(__always)
    mutating func chance(threshold: UInt64?) -> Bool {
        guard let threshold else { return true }
        return next() < threshold
    }

    /// The threshold below which a 64-bit draw has probability `probability`, or nil for
    /// "always" (probability 1, which no 64-bit threshold can express).
    static func threshold(probability: Double) -> UInt64? {
        precondition(probability >= 0 && probability <= 1, "probability out of [0, 1]")
        if probability >= 1 { return nil }
        // 2^64 as a Double is exact; the product is below 2^64, so the conversion cannot trap.
        return UInt64(probability * 18_446_744_073_709_551_616.0)
    }

    @inline(__always)
    private func rotateLeft(_ value: UInt64, by count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
