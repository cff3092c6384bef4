/// The P² running quantile (Jain & Chlamtac, CACM 28(10), 1985; statistics.md §5): five markers, O(1) memory,
/// no merge. For a cheap per-window running median of one stream; use `CodeHistogram` where exact percentiles
/// are wanted.
public struct P2Quantile: Sendable, Equatable {
    public let probability: Double
    private var heights: [Double] = []
    /// Marker positions n[i] (1-based, as in the paper) and desired positions n'[i].
    private var positions: [Double] = [1, 2, 3, 4, 5]
    private var desired: [Double]
    private let increments: [Double]
    public private(set) var count = 0

    public init(probability p: Double) {
        precondition(p > 0 && p < 1, "the quantile's probability must be inside (0, 1)")
        probability = p
        desired = [1, 1 + 2 * p, 1 + 4 * p, 3 + 2 * p, 5]
        increments = [0, p / 2, p, (1 + p) / 2, 1]
    }

    public mutating func add(_ x: Double) {
        count += 1
        if heights.count < 5 {
            heights.append(x)
            if heights.count == 5 { heights.sort() }
            return
        }
        // Find the cell k with q[k] ≤ x < q[k+1], extending the extremes.
        let k: Int
        if x < heights[0] {
            heights[0] = x
            k = 0
        } else if x >= heights[4] {
            heights[4] = x
            k = 3
        } else {
            k = (0..<4).last { heights[$0] <= x } ?? 0
        }
        for i in (k + 1)..<5 { positions[i] += 1 }
        for i in 0..<5 { desired[i] += increments[i] }
        for i in 1...3 {
            let d = desired[i] - positions[i]
            if (d >= 1 && positions[i + 1] - positions[i] > 1) || (d <= -1 && positions[i - 1] - positions[i] < -1) {
                let s: Double = d >= 0 ? 1 : -1
                let parabolic = heights[i] + s / (positions[i + 1] - positions[i - 1])
                    * ((positions[i] - positions[i - 1] + s) * (heights[i + 1] - heights[i]) / (positions[i + 1] - positions[i])
                       + (positions[i + 1] - positions[i] - s) * (heights[i] - heights[i - 1]) / (positions[i] - positions[i - 1]))
                if heights[i - 1] < parabolic && parabolic < heights[i + 1] {
                    heights[i] = parabolic
                } else {
                    let j = i + Int(s)
                    heights[i] += s * (heights[j] - heights[i]) / (positions[j] - positions[i])
                }
                positions[i] += s
            }
        }
    }

    /// The estimate; below five values, the exact order statistic of what was seen (nil when empty).
    public var estimate: Double? {
        guard !heights.isEmpty else { return nil }
        if heights.count < 5 {
            let sorted = heights.sorted()
            return sorted[Int((probability * Double(sorted.count - 1)).rounded())]
        }
        return heights[2]
    }

    /// Marker positions (1-based), for tests against the paper.
    public var markerPositions: [Int] { positions.map { Int($0) } }
}
