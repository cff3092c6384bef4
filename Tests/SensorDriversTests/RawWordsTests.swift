import Testing
@testable import SensorDrivers

/// A reading's raw words keep every code a magnetometer delivers, in order, as the array they replaced did.
@Suite struct RawWordsTests {
    @Test func wordsKeepTheirValuesAndOrder() {
        // The widest codes: ADS122C04's and RM3100's signed 24 bits, MMC5983MA's unsigned 18 bits, LIS3MDL's int16.
        let codes: [Int64] = [-8_388_608, 8_388_607, 262_143, 0, -32_768, 32_767]
        let words = RawWords(codes)
        #expect(words.count == 6 && Array(words) == codes && words == [-8_388_608, 8_388_607, 262_143, 0, -32_768, 32_767])
        #expect(RawWords(x: 1, y: -2, z: 3) == [1, -2, 3] && RawWords(x: 1, y: -2, z: 3) != [1, -2, 3, 0])
        #expect(Array(words.prefix(3)) == [-8_388_608, 8_388_607, 262_143] && words.last == 32_767)
        var appended = RawWords()
        #expect(appended.isEmpty)
        for code in codes.reversed() { appended.append(code) }
        #expect(Array(appended) == codes.reversed() && appended.description == codes.reversed().description)
    }

    /// The MMC5983MA's offset-cancelled reading holds the SET codes, then the RESET codes.
    @Test func setResetReadingHoldsBothSequences() {
        let reading = MMC5983MA.reading(set: [131_072 + 100, 131_072, 262_143], reset: [131_072 - 100, 131_072, 0])
        #expect(Array(reading.raw) == [131_172, 131_072, 262_143, 130_972, 131_072, 0])
    }
}
