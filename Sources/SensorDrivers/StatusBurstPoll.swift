import SensorIO

/// The poll of a chip whose STATUS register sits just before its data (BMP390 0x03 before 0x04–0x09, LIS3MDL 0x27
/// before 0x28–0x2F, LPS22HH 0x27 before 0x28–0x2C): STATUS and the data in one burst, one transaction per reading
/// instead of a STATUS read and then the data.
///
/// A burst whose STATUS shows no conversion has read the data registers all the same, and on these chips reading them
/// clears the data-ready bits: a conversion completing inside that burst would be lost. So after a not-ready poll,
/// STATUS is read alone until the conversion is there, then the data (`awaitingConversion`).
struct StatusBurstPoll {
    /// STATUS's address as a burst starts from it (with the chip's auto-increment bit, if it has one).
    let burstStart: UInt8
    /// STATUS's address read alone.
    let status: UInt8
    /// Bytes of the burst: STATUS and the data.
    let burstCount: Int
    /// The last poll found no conversion.
    private(set) var awaitingConversion = false

    init(status: UInt8, burstStart: UInt8? = nil, dataCount: Int) {
        self.status = status
        self.burstStart = burstStart ?? status
        burstCount = 1 + dataCount
    }

    /// The reading of a new conversion, or nil when there is none yet. `isReady` judges STATUS; `decode` makes the
    /// reading from the data bytes of the burst; `readData` reads the data alone once STATUS alone said ready.
    mutating func poll<Reading>(_ device: I2CDevice, isReady: (UInt8) -> Bool,
                                readData: () throws(DriverError) -> Reading,
                                decode: (UnsafeRawBufferPointer) throws(DriverError) -> Reading) throws(DriverError) -> Reading? {
        if awaitingConversion {
            guard isReady(try device.value(of: status)) else { return nil }
            awaitingConversion = false
            return try readData()
        }
        let reading = try withUnsafeTemporaryAllocation(byteCount: burstCount, alignment: 1) { (bytes) throws(DriverError) -> Reading? in
            try device.registers(burstStart, into: bytes)
            guard isReady(bytes[0]) else { return nil }
            return try decode(UnsafeRawBufferPointer(rebasing: bytes[1...]))
        }
        awaitingConversion = reading == nil
        return reading
    }
}
