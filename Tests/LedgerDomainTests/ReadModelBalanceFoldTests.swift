@testable import LedgerDomain
import Testing

@Suite struct ReadModelBalanceFoldTests {
    @Test func bytesAndNamesReachTheSameBalance() {
        var fold = BalanceFold()
        fold.apply(.bonus(amountCents: 500), tenant: "acme", worker: "w-1")
        Array("acme".utf8).withUnsafeBytes { tenant in
            Array("w-1".utf8).withUnsafeBytes { worker in
                fold.apply(.fine(amountCents: 200), tenant: tenant, worker: worker)
            }
        }
        #expect(fold.balance(tenant: "acme", worker: "w-1") == WorkerBalance(worker: "w-1", availableCents: 300, totalEarnedCents: 500))
        #expect(fold.count == 1)
    }

    @Test func tenantAndWorkerBytesAreNotConcatenated() {
        var fold = BalanceFold()
        fold.apply(.bonus(amountCents: 1), tenant: "ab", worker: "c")
        fold.apply(.bonus(amountCents: 2), tenant: "a", worker: "bc")
        #expect(fold.balance(tenant: "ab", worker: "c")?.availableCents == 1)
        #expect(fold.balance(tenant: "a", worker: "bc")?.availableCents == 2)
        #expect(fold.balance(tenant: "a", worker: "c") == nil)
        #expect(fold.tenants == ["a", "ab"])
    }

    /// Keys of every length around the hash's 8-byte words, ids that differ only in their last
    /// byte or only by a trailing zero byte, thousands of them (the table grows many times):
    /// each keeps its own balance.
    @Test func keysOfEveryLengthStayApartThroughGrowth() {
        var fold = BalanceFold()
        var expected: [(Name, Name, Int64)] = []
        var amount: Int64 = 1
        for tenantLength in [0, 1, 7, 8, 9, 16, 17] {
            let tenant = Name(String(repeating: "t", count: tenantLength))
            for workerLength in 0...25 {
                for last in ["a", "b", "\u{0}"] {
                    let worker = Name(String(repeating: "w", count: workerLength) + last)
                    fold.apply(.bonus(amountCents: amount), tenant: tenant, worker: worker)
                    expected.append((tenant, worker, amount))
                    amount += 1
                }
            }
        }
        #expect(fold.count == expected.count)
        for (tenant, worker, cents) in expected {
            #expect(fold.balance(tenant: tenant, worker: worker)?.availableCents == cents, "\(tenant)/\(worker)")
        }
        #expect(fold.balance(tenant: "t", worker: "zzz") == nil)
    }

    /// A worker id's first 16 bytes, as the table packs them from overlapping loads, are those
    /// bytes zero-padded (little-endian), for every length, and nothing around the id is read.
    @Test func keyWordsAreTheZeroPaddedFirstSixteenBytes() {
        for count in 0...24 {
            for padding: UInt8 in [0x00, 0xA5, 0xFF] {
                let id = (0..<count).map { UInt8(truncatingIfNeeded: 0x31 &+ $0 &* 7) }
                let framed = [UInt8](repeating: padding, count: 8) + id + [UInt8](repeating: padding, count: 8)
                let words = framed.withUnsafeBytes { all in BalanceTable.Key.words(UnsafeRawBufferPointer(rebasing: all[8..<(8 + count)])) }
                var expected: (UInt64, UInt64) = (0, 0)
                for (index, byte) in id.prefix(16).enumerated() {
                    if index < 8 { expected.0 |= UInt64(byte) << UInt64(8 * index) }
                    else { expected.1 |= UInt64(byte) << UInt64(8 * (index - 8)) }
                }
                #expect(words == expected, "\(count) bytes, padding \(padding)")
            }
        }
    }

    @Test func zeroAmountsCreateNoBalance() {
        var fold = BalanceFold()
        fold.apply(.approval(feeCents: 0), tenant: "acme", worker: "w-4")
        fold.apply(.fixedPay(amountCents: 0), tenant: "acme", worker: "w-4")
        #expect(fold.count == 0 && fold.balance(tenant: "acme", worker: "w-4") == nil)
    }

    @Test func manyWorkersSurviveTheTableGrowing() {
        var fold = BalanceFold()
        let workerCount = 5000
        for round in 1...3 {
            for index in 0..<workerCount {
                // Long ids too (over 15 UTF-8 bytes, the small-string limit), and a non-ASCII one.
                let worker = Name(index % 7 == 0 ? "worker-with-a-long-id-\(index)-é" : "w-\(index)")
                fold.apply(.bonus(amountCents: Int64(index + round)), tenant: index % 2 == 0 ? "acme" : "globex", worker: worker)
            }
        }
        #expect(fold.count == workerCount)
        for index in stride(from: 0, to: workerCount, by: 97) {
            let worker = Name(index % 7 == 0 ? "worker-with-a-long-id-\(index)-é" : "w-\(index)")
            let tenant: Name = index % 2 == 0 ? "acme" : "globex"
            #expect(fold.balance(tenant: tenant, worker: worker)?.availableCents == Int64(3 * index + 6))
        }
        #expect(fold.balances(tenant: "acme").count == workerCount / 2)
        // Unicode-equivalent but different bytes: a different worker.
        #expect(fold.balance(tenant: "acme", worker: "worker-with-a-long-id-0-e\u{301}") == nil)
    }

    @Test func asOfFilterSkipsExcludedEvents() {
        var fold = BalanceFold(asOf: .position(1))
        let bonus = RuleEvents.event(.bonusAdded(worker: "w-1", amountCents: 100, reason: "x"))
        fold.fold(RecordedEvent(position: 1, event: bonus, effect: .none))
        fold.fold(RecordedEvent(position: 2, event: bonus, effect: .none))
        #expect(fold.balance(tenant: "acme", worker: "w-1")?.availableCents == 100)
        #expect(fold.lastPosition == 2)
    }
}
