/// What a chip's register file says, decoded with no hardware: its identity, configuration, the unit's calibration
/// coefficients, the raw words in its data registers and the physical values the driver's own compensation makes
/// of them (`sensorqual decode`). Every value is named in snake_case with its unit in the name where it has one
/// (`odr_hz`, `pressure_pa`), as the JSON prints it.
public struct RegisterDecoding: Sendable, Equatable {
    /// The model the id register names (`BMP390`, `BMP388`).
    public var model: String
    /// The id register and the value it holds; nil for a chip without one.
    public var idRegister: UInt8?
    public var idValue: UInt8?
    /// Mode, rates, oversampling, filters and status bits, in register order.
    public var configuration: [DecodedField] = []
    /// The unit's calibration coefficients as the datasheet names them (integers as stored), in register order;
    /// empty for a chip that compensates on chip.
    public var calibration: [DecodedField] = []
    /// The data registers' raw words (sign-extended where the format is signed).
    public var raw: [DecodedField] = []
    /// °C, from the data registers.
    public var temperatureC: Double?
    /// Pa, compensated.
    public var pressurePa: Double?
    /// µT in the chip's own axes.
    public var field: FieldVector?
    /// Other physical values (a gas sensor's concentrations and pixel resistances), named with their units.
    public var values: [DecodedField] = []
    /// What a reader must know to trust the values: a data-ready bit that is clear, a mode that is not measuring,
    /// a figure the registers cannot give (the MMC5983MA bridge offset needs a SET and a RESET reading).
    public var notes: [String] = []

    public init(model: String, idRegister: UInt8?, idValue: UInt8?) {
        self.model = model
        self.idRegister = idRegister
        self.idValue = idValue
    }
}

extension RegisterDecoding {
    /// A pressure chip's conversion as decoded: the raw words where they were read, °C, Pa and the pressure change of
    /// one raw LSB there.
    mutating func setConversion(_ reading: PressureReading, pressureRegister: UInt8, temperatureRegister: UInt8) {
        raw = [DecodedField("pressure", .integer(reading.rawPressure), register: pressureRegister),
               DecodedField("temperature", .integer(reading.rawTemperature), register: temperatureRegister)]
        temperatureC = reading.temperature
        pressurePa = reading.pressure
        values = [DecodedField("pressure_lsb_pa", .number(reading.pressureStep))]
    }
}

/// One named value of a decoded register file.
public struct DecodedField: Sendable, Equatable {
    /// snake_case, unit last where there is one (`odr_hz`, `par_t1`, `osr_p`).
    public var name: String
    public var value: DecodedValue
    /// The register it was read from (the first one of a multi-byte value).
    public var register: UInt8?

    public init(_ name: String, _ value: DecodedValue, register: UInt8? = nil) {
        self.name = name
        self.value = value
        self.register = register
    }
}

/// A decoded value: a count or code, a measured or derived number, a named state, or a flag.
public enum DecodedValue: Sendable, Equatable, CustomStringConvertible {
    case integer(Int64)
    case number(Double)
    case text(String)
    case flag(Bool)

    public var description: String {
        switch self {
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        case .text(let value): value
        case .flag(let value): value ? "yes" : "no"
        }
    }
}

/// Why a register file could not be decoded: the chip id does not match, or a register the decoding needs is
/// `XX` or was not read. The message names the register and what it holds.
public struct RegisterDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var register: UInt8?
    public var reason: String

    public init(register: UInt8?, reason: String) {
        self.register = register
        self.reason = reason
    }

    public var description: String { reason }
}
