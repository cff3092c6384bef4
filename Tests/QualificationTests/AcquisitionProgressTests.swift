import Dispatch
import Foundation
import SensorDrivers
import SensorIO
import SensorSim
import Synchronization
import Testing
@testable import Qualification

/// The watchdog's evidence (issue 8: "a wedged bus must trip the watchdog"): a run's acquiring threads beat while
/// they complete bus cycles, a transfer that hangs silences them, and they beat again once it returns.
@Suite struct AcquisitionProgressTests {
    @Test func silentHeartbeatsAreStalls() {
        let progress = AcquisitionProgress()
        let bus = progress.begin("bus i2c-1")
        let audio = progress.begin("audio hw:1")
        let now = MonotonicClock().now()
        #expect(progress.stalls(at: now, limit: 1_000_000_000).isEmpty)
        audio.beat()
        let later = MonotonicClock().now() + 3_000_000_000
        // Both silent for about 3 s at `later`; with a 2 s limit both are stalls, with 5 s neither.
        #expect(progress.stalls(at: later, limit: 2_000_000_000).map(\.name) == ["audio hw:1", "bus i2c-1"])
        #expect(progress.stalls(at: later, limit: 5_000_000_000).isEmpty)
        progress.end(bus)
        #expect(progress.stalls(at: later, limit: 2_000_000_000).map(\.name) == ["audio hw:1"])
        progress.end(audio)
        #expect(progress.stalls(at: later + 1_000_000_000_000, limit: 0).isEmpty, "a thread that ended is never stalled")
    }

    /// A pressure run on the simulated rig whose bus hangs in its 2000th transfer (as a wedged adapter with no
    /// kernel timeout would): while it hangs the run thread's heartbeat goes silent; released, the run ends done and
    /// no heartbeat is left.
    @Test func aWedgedTransferSilencesTheRun() throws {
        let simulated = SimulatedRig(seed: 5)
        let wedge = WedgedTransport(wrapping: simulated.bus, wedgeAt: 2000)
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: simulated.rigFile(), name: "sim", catalog: catalog)
        let request = RunRequest(id: "w1", plan: try Plan.parse(text: """
            plan: wedge
            class: pressure
            acquisition: {odr_hz: 25, oversampling: 16, iir: 0}
            steps:
              - noise: {duration_s: 300, setpoint_pa: 101325}
            """, name: "wedge.yaml"), spec: try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml"),
            slots: ["S1", "S2"], lot: nil, serials: [:], operatorName: nil)
        let cancellation = RunCancellation()
        let connector = WedgingConnector(base: SimulatedRigConnector(rig: simulated), bus: wedge)
        let outcome = Mutex<RunOutcome?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = RunEngine(request: request, rig: rig, catalog: catalog, connector: connector,
                                   cancellation: cancellation, events: { _ in }).run()
            outcome.withLock { $0 = result }
            finished.signal()
        }
        thread.start()

        wedge.entered.wait()      // the run thread is inside the hanging transfer now
        let stalls = cancellation.progress.stalls(at: MonotonicClock().now() + 10_000_000_000, limit: 5_000_000_000)
        #expect(stalls.map(\.name) == ["run thread serving bus \(SimulatedRig.busName)"], "\(stalls)")
        wedge.release.signal()
        finished.wait()

        let result = try #require(outcome.withLock { $0 })
        #expect(result.state == .done)
        #expect(result.duts.allSatisfy { $0.integrity.samples > 0 && $0.lost == nil })
        #expect(cancellation.progress.stalls(at: MonotonicClock().now() + 1_000_000_000_000, limit: 0).isEmpty)
    }
}

/// The simulated bus, hanging in one transfer until the test releases it.
final class WedgedTransport: I2CTransport, Sendable {
    let base: SimulatedI2CBus
    let wedgeAt: Int
    var name: String { base.name }
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    private let count = Atomic(0)

    init(wrapping base: SimulatedI2CBus, wedgeAt: Int) {
        self.base = base
        self.wedgeAt = wedgeAt
    }

    private func maybeHang() {
        if count.add(1, ordering: .relaxed).newValue == wedgeAt {
            entered.signal()
            release.wait()
        }
    }

    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        maybeHang()
        return try base.writeRead(address: address, write: bytes, readCount: readCount)
    }

    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        maybeHang()
        try base.write(address: address, bytes)
    }

    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
        maybeHang()
        return try base.read(address: address, count: count)
    }
}

/// The simulated rig with its bus replaced.
struct WedgingConnector: RigConnector {
    let base: SimulatedRigConnector
    let bus: WedgedTransport
    var clock: any RigClock { base.clock }
    var isSimulated: Bool { true }
    func openBus(_ bus: Rig.Bus) throws -> any I2CTransport { self.bus }
    func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference { try base.openPressureReference(reference) }
    func openDataReadyLine(_ line: Rig.GPIOLineReference) throws -> any DataReadyLine { try base.openDataReadyLine(line) }
    func openPowerLine(_ line: Rig.GPIOLineReference) throws -> any PowerSwitch { try base.openPowerLine(line) }
    func openCapture(_ interface: Rig.AudioInterface) throws -> any AudioCapture { try base.openCapture(interface) }
    func openSoundSource(_ reference: Rig.Reference) throws -> any SoundSource { try base.openSoundSource(reference) }
    func openFieldSource(_ reference: Rig.Reference) throws -> any FieldSource { try base.openFieldSource(reference) }
    func openGasReference(_ reference: Rig.Reference, clock: any RigClock) throws -> any GasReference {
        try base.openGasReference(reference, clock: clock)
    }
}
