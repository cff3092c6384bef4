import SensorIO
import Testing
@testable import SensorDrivers

/// `sensorqual decode bmp390`: a register file made of sensors.md §6 vector V2 (a real BMP388's NVM and a
/// conversion) decodes to the vector's temperature and pressure through the driver's own compensation.
@Suite struct BMP390DecodingTests {
    static let nvm: [UInt8] = [0x23, 0x6B, 0x58, 0x49, 0xF6, 0x5C, 0xFF, 0xCE, 0xF4, 0x23, 0x00, 0xEA, 0x63, 0x6E, 0x79,
                               0xF3, 0xF6, 0xAA, 0x43, 0x12, 0xC4]

    /// The register file of a BMP390 in normal mode, OSR ×8/×1, 50 Hz, IIR 3, holding vector V2's conversion.
    static func dump(chipID: UInt8 = 0x60) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x80), from: 0x00)
        dump.store([chipID, 0x01, 0x00, 0x70], from: 0x00)
        dump.store([0x97, 0x9F, 0x6D, 0x73, 0xD8, 0x85], from: 0x04)
        dump.store([0x42], from: 0x19)
        dump.store([0x33, 0x03, 0x02, 0x00, 0x04], from: 0x1B)
        dump.store(nvm, from: 0x31)
        return dump
    }

    @Test func vectorV2() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "BMP390", Self.dump()))
        #expect(decoding.model == "BMP390")
        #expect(decoding.idValue == 0x60)
        #expect(abs(try #require(decoding.temperatureC) - 30.499314453874) < 1e-9)
        #expect(abs(try #require(decoding.pressurePa) - 100876.00634692) < 1e-3)    // sensors.md V2 tolerance
        #expect(decoding.raw == [DecodedField("pressure", .integer(7_184_279), register: 0x04),
                                 DecodedField("temperature", .integer(8_771_699), register: 0x07)])
        let calibration = Dictionary(uniqueKeysWithValues: decoding.calibration.map { ($0.name, $0.value) })
        // sensors.md V2: T1=27427, T2=18776, T3=−10, P1=−164, P2=−2866, P3=35, P4=0, P5=25578, P6=31086, P7=−13,
        // P8=−10, P9=17322, P10=18, P11=−60.
        let expected: [String: Int64] = ["par_t1": 27427, "par_t2": 18776, "par_t3": -10, "par_p1": -164, "par_p2": -2866,
                                         "par_p3": 35, "par_p4": 0, "par_p5": 25578, "par_p6": 31086, "par_p7": -13,
                                         "par_p8": -10, "par_p9": 17322, "par_p10": 18, "par_p11": -60]
        #expect(calibration == expected.mapValues { .integer($0) })
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["mode"] == .text("normal"))
        #expect(configuration["osr_p"] == .integer(8))
        #expect(configuration["osr_t"] == .integer(1))
        #expect(configuration["odr_hz"] == .number(50))
        #expect(configuration["iir_coefficient"] == .integer(3))
        #expect(configuration["drdy_press"] == .flag(true))
        #expect(decoding.notes.isEmpty)
    }

    @Test func aBMP388DumpIsNotABMP390() throws {
        #expect(throws: RegisterDecodeError(register: 0x00, reason: "register 0x00 (id) reads 0x50 (the BMP388's id), not the BMP390's 0x60: this dump is not the BMP390's")) {
            try RegisterDecoders.decode(chip: "bmp390", Self.dump(chipID: 0x50))
        }
        let decoding = try #require(try RegisterDecoders.decode(chip: "bmp388", Self.dump(chipID: 0x50)))
        #expect(decoding.model == "BMP388")
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x3A] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x3A, reason: "register 0x3A is unreadable (XX): the BMP390 calibration NVM needs registers 0x31–0x45")) {
            try RegisterDecoders.decode(chip: "bmp390", dump)
        }
        var partial = Self.dump()
        partial[0x09] = .notRead
        #expect(throws: RegisterDecodeError(register: 0x09, reason: "register 0x09 is not in the dump: the BMP390 conversion data needs registers 0x04–0x09")) {
            try RegisterDecoders.decode(chip: "bmp390", partial)
        }
    }

    @Test func aSleepingChipIsNoted() throws {
        var dump = Self.dump()
        dump.store([0x00], from: 0x1B)
        dump.store([0x10], from: 0x03)
        let decoding = try #require(try RegisterDecoders.decode(chip: "bmp390", dump))
        #expect(decoding.notes.count == 2)
        #expect(decoding.configuration.first { $0.name == "mode" }?.value == .text("sleep"))
    }
}
