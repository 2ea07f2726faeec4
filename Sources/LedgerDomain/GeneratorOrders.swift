/// The order lifecycle, the bulk of a history: `placed -> accepted -> assigned ->
/// submitted -> approved -> completed`, with reassignments, rejections and resubmissions,
/// and cancellations while the order is still open.
extension HistoryGenerator {
    /// A new order, or one step of a random open order. New orders come with probability
    /// 4 / (4 + open orders), which keeps about two dozen orders open per tenant.
    mutating func writeOrderEvent(_ tenant: Int) {
        let openCount = tenants[tenant].openOrders.count
        if openCount == 0 || random.below(4 + openCount) < 4 {
            writeOrderPlaced(tenant)
            return
        }
        let index = random.below(openCount)
        let roll = random.below(100)
        switch tenants[tenant].openOrders[index].state {
        case .placed:
            if roll < 70 {
                writeOrderAccepted(tenant, index)
            } else if roll < 95 {
                writeJobAssigned(tenant, index)
            } else {
                writeOrderCancelled(tenant, index)
            }
        case .accepted:
            if roll < 95 { writeJobAssigned(tenant, index) } else { writeOrderCancelled(tenant, index) }
        case .assigned:
            if roll < 86 {
                writeOrderSubmitted(tenant, index)
            } else if roll < 94 {
                writeJobAssigned(tenant, index)
            } else {
                writeOrderCancelled(tenant, index)
            }
        case .submitted:
            if roll < 78 {
                writeOrderApproved(tenant, index)
            } else if roll < 96 {
                writeOrderRejected(tenant, index)
            } else {
                writeOrderCancelled(tenant, index)
            }
        case .rejected:
            if roll < 80 {
                writeOrderSubmitted(tenant, index)
            } else if roll < 93 {
                writeJobAssigned(tenant, index)
            } else {
                writeOrderCancelled(tenant, index)
            }
        case .approved:
            writeOrderCompleted(tenant, index)
        }
    }

    mutating func writeOrderPlaced(_ tenant: Int) {
        tenants[tenant].lastOrderNumber += 1
        let client = random.inRange(1...tenants[tenant].clientCount)
        let price: Int64 = random.below(100) == 0 ? 0 : Int64(random.inRange(10...400)) * 500
        let order = GeneratorOrder(number: tenants[tenant].lastOrderNumber, state: .placed, client: client, priceCents: price)
        tenants[tenant].openOrders.append(order)
        writeOrderPlacedLine(tenant, order: order.number, client: client, price: price)
    }

    mutating func writeOrderPlacedLine(_ tenant: Int, order: Int, client: Int, price: Int64, usesID: Bool = true) {
        beginEvent(tenant, .orderPlaced, actor: "u-client-", client, usesID: usesID)
        line.dataPaddedIdentifier("order", prefix: "o-", number: order)
        line.dataIdentifier("client", prefix: "u-client-", number: client)
        if random.below(200) == 0 {
            line.dataString("title", escapedText: [])
        } else {
            let prefixes = GeneratorVocabulary.titlePrefixes
            let topics = GeneratorVocabulary.titleTopics
            line.dataString("title", escapedText: prefixes[random.below(prefixes.count)], topics[random.below(topics.count)])
        }
        line.dataInteger("price_cents", price, isAmount: true)
        // Half the clients set a deadline: a field EVENTS.md does not define, which the
        // ledger keeps and exports but never validates nor folds.
        if random.below(2) == 0 {
            line.dataDate("deadline", lineAt + Int64(random.inRange(3...21)) * DomainCalendar.microsecondsPerDay)
        }
        line.endEvent()
    }

    private mutating func writeOrderAccepted(_ tenant: Int, _ index: Int) {
        let manager = pickManager(tenant)
        tenants[tenant].openOrders[index].state = .accepted
        tenants[tenant].openOrders[index].manager = manager
        let order = tenants[tenant].openOrders[index].number
        beginEvent(tenant, .orderAccepted, actor: "u-mgr-", manager)
        line.dataPaddedIdentifier("order", prefix: "o-", number: order)
        line.dataIdentifier("manager", prefix: "u-mgr-", number: manager)
        line.endEvent()
    }

    /// Assigns (or reassigns, to someone else when possible) a writer and a fee.
    private mutating func writeJobAssigned(_ tenant: Int, _ index: Int) {
        let current = tenants[tenant].openOrders[index]
        var writer = pickWorker(tenant)
        if tenants[tenant].workers.count < 3 || random.below(100) < 3 {
            writer = addWorker(tenant)
        } else if writer == current.writer {
            writer = writer % tenants[tenant].workers.count + 1
        }
        var fee: Int64
        if current.priceCents == 0 {
            fee = Int64(random.inRange(20...100)) * 100
        } else {
            fee = current.priceCents * Int64(random.inRange(30...60)) / 100 / 100 * 100
        }
        if random.below(50) == 0 { fee = 0 }
        tenants[tenant].openOrders[index].state = .assigned
        tenants[tenant].openOrders[index].writer = writer
        tenants[tenant].openOrders[index].feeCents = fee
        let manager = current.manager != 0 ? current.manager : pickManager(tenant)
        beginEvent(tenant, .jobAssigned, actor: "u-mgr-", manager)
        line.dataPaddedIdentifier("order", prefix: "o-", number: current.number)
        line.dataIdentifier("writer", prefix: "w-", number: writer)
        line.dataInteger("fee_cents", fee, isAmount: true)
        line.endEvent()
    }

    private mutating func writeOrderSubmitted(_ tenant: Int, _ index: Int) {
        let order = tenants[tenant].openOrders[index]
        tenants[tenant].openOrders[index].state = .submitted
        let submissions = Int64(1 + random.below(3) + random.below(3))
        beginEvent(tenant, .orderSubmitted, actor: "w-", order.writer)
        line.dataPaddedIdentifier("order", prefix: "o-", number: order.number)
        line.dataInteger("submissions", submissions, isAmount: true)
        line.endEvent()
    }

    /// The fee goes to the writer's pending balance and counts in this month's invoice.
    private mutating func writeOrderApproved(_ tenant: Int, _ index: Int) {
        let order = tenants[tenant].openOrders[index]
        tenants[tenant].openOrders[index].state = .approved
        tenants[tenant].workers[order.writer - 1].pendingCents += order.feeCents
        tenants[tenant].recordActivity(worker: order.writer, month: currentMonth, monthsEnded: monthsEnded)
        writeOrderApprovedLine(tenant, order: order.number, manager: order.manager, client: order.client)
    }

    mutating func writeOrderApprovedLine(_ tenant: Int, order: Int, manager: Int, client: Int, usesID: Bool = true) {
        if random.below(5) == 0 {
            beginEvent(tenant, .orderApproved, actor: "u-client-", client, usesID: usesID)
        } else {
            beginEvent(tenant, .orderApproved, actor: "u-mgr-", manager != 0 ? manager : pickManager(tenant), usesID: usesID)
        }
        line.dataPaddedIdentifier("order", prefix: "o-", number: order)
        line.endEvent()
    }

    private mutating func writeOrderRejected(_ tenant: Int, _ index: Int) {
        let order = tenants[tenant].openOrders[index]
        tenants[tenant].openOrders[index].state = .rejected
        if random.below(4) == 0 {
            beginEvent(tenant, .orderRejected, actor: "u-client-", order.client)
        } else {
            beginEvent(tenant, .orderRejected, actor: "u-mgr-", order.manager != 0 ? order.manager : pickManager(tenant))
        }
        let reasons = GeneratorVocabulary.rejectionReasons
        line.dataPaddedIdentifier("order", prefix: "o-", number: order.number)
        line.dataString("reason", escapedText: reasons[random.below(reasons.count)])
        line.endEvent()
    }

    /// The fee moves from the writer's pending balance to available.
    private mutating func writeOrderCompleted(_ tenant: Int, _ index: Int) {
        let order = closeOrder(tenant, index)
        tenants[tenant].workers[order.writer - 1].pendingCents -= order.feeCents
        tenants[tenant].workers[order.writer - 1].availableCents += order.feeCents
        beginEvent(tenant, .orderCompleted, actor: "system")
        line.dataPaddedIdentifier("order", prefix: "o-", number: order.number)
        line.endEvent()
    }

    private mutating func writeOrderCancelled(_ tenant: Int, _ index: Int) {
        let order = closeOrder(tenant, index)
        if order.state == .placed || order.state == .accepted {
            beginEvent(tenant, .orderCancelled, actor: "u-client-", order.client)
        } else {
            beginEvent(tenant, .orderCancelled, actor: "u-mgr-", order.manager != 0 ? order.manager : pickManager(tenant))
        }
        let reasons = GeneratorVocabulary.cancellationReasons
        line.dataPaddedIdentifier("order", prefix: "o-", number: order.number)
        line.dataString("reason", escapedText: reasons[random.below(reasons.count)])
        line.endEvent()
    }

    /// Removes an order from the open list (its state is final) and returns it.
    private mutating func closeOrder(_ tenant: Int, _ index: Int) -> GeneratorOrder {
        let lastIndex = tenants[tenant].openOrders.count - 1
        tenants[tenant].openOrders.swapAt(index, lastIndex)
        let order = tenants[tenant].openOrders.removeLast()
        tenants[tenant].lastClosedOrderNumber = order.number
        return order
    }
}
