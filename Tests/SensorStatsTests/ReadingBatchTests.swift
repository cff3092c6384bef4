import Testing
@testable import SensorStats

@Suite struct ReadingBatchTests {
    /// Each channel's readings come back as one buffer, oldest first, up to the capacity; an emptied batch fills
    /// again from its first slot.
    @Test func keepsEachChannelInOrder() {
        var batch = ReadingBatch(channels: 3)
        for i in 0..<ReadingBatch.capacity {
            #expect(!batch.isFull)
            batch.append(Double(i), Double(1_000 + i), Double(-i))
        }
        #expect(batch.isFull && batch.count == 256)
        #expect(batch.withReadings(of: 0) { Array($0) } == (0..<256).map(Double.init))
        #expect(batch.withReadings(of: 1) { Array($0) } == (0..<256).map { Double(1_000 + $0) })
        #expect(batch.withReadings(of: 2) { Array($0) } == (0..<256).map { Double(-$0) })
        batch.removeAll()
        batch.append(7, 8, 9)
        #expect(batch.count == 1 && !batch.isFull)
        #expect(batch.withReadings(of: 1) { Array($0) } == [8])

        var single = ReadingBatch(channels: 1)
        #expect(single.withReadings(of: 0) { $0.count } == 0)
        single.append(0.5)
        single.append(-0.25)
        #expect(single.withReadings(of: 0) { Array($0) } == [0.5, -0.25])
    }
}
