/// A TCA9548A/PCA9548 I2C switch whose channels the daemon selects from user space: one control byte,
/// bit n enables channel n (TI TCA9548A datasheet §8.6). The kernel's own mux driver, which gives each
/// channel its own `/dev/i2c-N`, needs none of this: such a slot just names that adapter.
///
/// Confined to the thread that owns the parent bus, like the bus itself.
public final class I2CMux {
    public let parent: any I2CTransport
    public let address: I2CAddress
    private var selected: UInt8?

    public init(parent: any I2CTransport, address: I2CAddress) {
        self.parent = parent
        self.address = address
    }

    /// Enables exactly `channel` (0–7), writing the control register only when the selection changes.
    public func select(channel: Int) throws(I2CError) {
        precondition((0..<8).contains(channel), "TCA9548A has channels 0–7")
        let mask = UInt8(1) << UInt8(channel)
        guard selected != mask else { return }
        selected = nil   // unknown if the write fails half-way
        try withUnsafeBytes(of: mask) { (bytes) throws(I2CError) in try parent.write(address: address, bytes) }
        selected = mask
    }

    /// A transport that reaches the devices behind one channel.
    public func channel(_ channel: Int) -> I2CMuxChannel {
        I2CMuxChannel(mux: self, channel: channel)
    }
}

/// The devices behind one mux channel, as a transport of its own.
public final class I2CMuxChannel: I2CTransport {
    public let mux: I2CMux
    public let channel: Int
    /// `mux.parent`, held here: reached through `mux` on every transfer it was retained and released each time.
    private let parent: any I2CTransport

    init(mux: I2CMux, channel: Int) {
        self.mux = mux
        self.channel = channel
        parent = mux.parent
    }

    public var name: String { "\(mux.parent.name) mux \(mux.address) ch\(channel)" }

    public func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        try mux.select(channel: channel)
        return try parent.writeRead(address: address, write: bytes, readCount: readCount)
    }

    public func writeRead(address: I2CAddress, write bytes: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        try mux.select(channel: channel)
        try parent.writeRead(address: address, write: bytes, into: buffer)
    }

    public func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        try mux.select(channel: channel)
        try parent.write(address: address, bytes)
    }

    public func write(address: I2CAddress, _ bytes: UnsafeRawBufferPointer) throws(I2CError) {
        try mux.select(channel: channel)
        try parent.write(address: address, bytes)
    }

    public func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
        try mux.select(channel: channel)
        return try parent.read(address: address, count: count)
    }
}
