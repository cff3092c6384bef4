"""The daemon on the representative simulated rig, for the benchmarks that drive it (rig_throughput.py,
daemon_load.py): a temporary folder, `sensorquald --simulate --simulated-lot representative` with the plans of
Benchmarks/plans/, ready at READY=1 on NOTIFY_SOCKET; and a blocking JSON-RPC connection to its control socket."""
import contextlib
import json
import os
import socket
import subprocess
import tempfile
import threading

PLANS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plans")


class Connection:
    """A blocking JSON-RPC connection: newline-delimited messages, the server's `hello` first (docs/protocol.md §7)."""

    def __init__(self, path: str):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.connect(path)
        self.lines = self.socket.makefile("rb")
        self.next_id = 0
        assert json.loads(self.lines.readline()).get("method") == "hello"

    def call(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.socket.sendall((json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                         "params": params}) + "\n").encode())
        while True:
            message = json.loads(self.lines.readline())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def wait_finished(self, run: str) -> dict:
        """The `run.finished` params of `run`, on a connection that `watch`es it."""
        while True:
            line = self.lines.readline()
            if not line:
                raise RuntimeError("the daemon closed the connection")
            message = json.loads(line)
            if message.get("method") == "run.finished" and message["params"].get("id") == run:
                return message["params"]


@contextlib.contextmanager
def representative_rig(daemon: str):
    """Yields (process, control socket path) of a daemon on the representative rig; stops it with SIGTERM after."""
    with tempfile.TemporaryDirectory(prefix="sq-bench-") as folder:
        notify_path, control_path = os.path.join(folder, "notify"), os.path.join(folder, "sensorqual.sock")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(60)
        process = subprocess.Popen([daemon, "--simulate", "--simulated-lot", "representative", "--plans-dir", PLANS,
                                    "--state-dir", os.path.join(folder, "state"), "--socket", control_path,
                                    "--log-level", "error"],
                                   env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                pass
            # Read the notifications on, as systemd does.
            notify.settimeout(None)
            threading.Thread(target=lambda: [notify.recv(4096) for _ in iter(int, 1)], daemon=True).start()
            yield process, control_path
        finally:
            process.terminate()
            process.wait(timeout=60)
