import SensorStats

extension SpectralWindow.Kind {
    /// Half the width of the window's main lobe in bins: ±2 for Hann, ±4 for 4-term Blackman-Harris, ±5 for the
    /// 5-term flat-top (reference/acoustic.md §1.4, §1.8).
    ///
    /// Summing a tone's power over the whole main lobe makes the window's coherent gain and scalloping loss cancel
    /// (TV-5): a coherent and a half-bin tone read the same power. The peak bin alone under-reads by the window's
    /// ENBW (1.76 dB for Hann; §5.3).
    public var mainLobeHalfWidth: Int {
        switch self {
        case .hann: 2
        case .blackmanHarris: 4
        case .flatTop: 5
        }
    }
}
