import Foundation
import Qualification

/// A DUT's outages in words, for the report's DUT section and integrity table: when each began and ended on the run
/// clock, and why.
enum OutageText {
    /// "100.08–163.02 s (62.94 s, 1574 conversions missed, 5 failed re-probes): ENXIO (6): no ACK at 0x76 …"; an open
    /// outage reads "from 100.08 s to the end of the run".
    static func describe(_ outage: DUTOutage) -> String {
        let span: String
        if let back = outage.returnedAtS {
            span = String(format: "%.2f–%.2f s (%.2f s, %d conversions missed, %d failed re-probes)", outage.lostAtS, back,
                          back - outage.lostAtS, outage.missedSamples, outage.failedReprobes)
        } else {
            span = String(format: "from %.2f s to the end of the run (%d failed re-probes)", outage.lostAtS, outage.failedReprobes)
        }
        return span + ": " + outage.cause
    }

    /// "2: 100.08–163.02 s, 300.00 s–end" for the integrity table; "none" without outages.
    static func brief(_ outages: [DUTOutage]?) -> String {
        guard let outages, !outages.isEmpty else { return "none" }
        let spans = outages.map { outage in
            String(format: "%.2f", outage.lostAtS) + "–" + (outage.returnedAtS.map { String(format: "%.2f s", $0) } ?? "end")
                + (outage.errnoName.map { " (\($0))" } ?? "")
        }
        return "\(outages.count): " + spans.joined(separator: ", ")
    }
}
