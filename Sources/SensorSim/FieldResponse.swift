import SensorDrivers

/// How a simulated magnetometer unit responds to the bench coil's field: a 3×3 sensitivity matrix M in
/// B_sensed = M·B_coil, whose diagonal holds each axis's scale factor and whose off-diagonal terms are the cross-axis
/// sensitivity of a part whose sensing axes are not quite orthogonal or not aligned with the coils (sensors.md §8.5
/// item 4). What the field-step plan measures; not datasheet figures.
struct FieldResponse: Sendable, Equatable {
    /// Rows are the sensed axes x, y, z.
    var matrix: [[Double]]

    static let ideal = FieldResponse(matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])

    /// Scale errors per axis (0.01 = +1 %) and small rotations of the sensing axes: the y axis leans `xy` rad toward
    /// x, z leans `xz` toward x and `yz` toward y (first order).
    static func unit(scaleErrors: [Double], xy: Double, xz: Double, yz: Double) -> FieldResponse {
        let s = scaleErrors.map { 1 + $0 }
        return FieldResponse(matrix: [[s[0], 0, 0], [s[1] * xy, s[1], 0], [s[2] * xz, s[2] * yz, s[2]]])
    }

    func apply(_ b: FieldVector) -> FieldVector {
        // Summed left to right, as a reduce would: the same bits, without an array per axis per conversion.
        func row(_ r: [Double]) -> Double { r[0] * b.x + r[1] * b.y + r[2] * b.z }
        return FieldVector(x: row(matrix[0]), y: row(matrix[1]), z: row(matrix[2]))
    }
}
