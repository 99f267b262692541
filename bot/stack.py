"""Starts and stops the whole stack: Redis (when none answers), Rasa, actions and the hub.

``python -m bot.stack`` (what ``make run`` calls) starts every process, waits until each is
healthy, prints the URLs and stops all of them on Ctrl-C or SIGTERM (``make stop`` sends it).
The test fixtures use the same :class:`Stack` so tests run the real processes;
``Stack.restart(name)`` kills one of them (SIGKILL by default, like a crash) and starts it again,
also on a stack it reuses (PID files under var/), for fault tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _suffix(hub_port: int) -> str:
    """A stack on other ports (HUB_PORT) keeps its own PID files and logs (side by side)."""
    return "" if hub_port == 8000 else f"-{hub_port}"


# The PID files and logs of the stack this environment describes (`make run` / `make stop`).
_THIS = _suffix(int(os.environ.get("HUB_PORT", "8000")))
RUN = VAR / f"run{_THIS}"
LOGS = VAR / f"log{_THIS}"
MODEL = ROOT / "models" / "casa-navigli.tar.gz"


def port_open(host: str, port: int) -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    """True when ``url`` answers 200."""
    try:
        with urlopen(url, timeout=2) as response:  # noqa: S310 - local URLs only
            return bool(response.status == 200)
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """True while a process with this PID exists (zombies included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tracker_ttl_s() -> str:
    """Rasa trackers expire after the retention period (``BOT_RETENTION_DAYS``, default 90)."""
    return str(int(os.environ.get("BOT_RETENTION_DAYS", "90")) * 24 * 3600)


def redis_answers(url: str) -> bool:
    """True when a Redis server answers PING at ``url``."""
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def rasa_lock_store() -> str:
    """Rasa's lock store: in memory for one Rasa process, Redis when several share the work."""
    if "RASA_LOCK_STORE" in os.environ:
        return os.environ["RASA_LOCK_STORE"]
    try:
        workers = int(os.environ.get("SANIC_WORKERS", "1"))
    except ValueError:
        workers = 1
    return "redis" if workers > 1 else "in_memory"


@dataclass
class Ports:
    """Where each process listens."""

    redis_url: str = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    rasa: int = int(os.environ.get("RASA_PORT", "5005"))
    actions: int = int(os.environ.get("ACTIONS_PORT", "5055"))
    hub: int = int(os.environ.get("HUB_PORT", "8000"))


@dataclass
class Stack:
    """The processes of one running stack, started in dependency order."""

    ports: Ports = field(default_factory=Ports)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. BOT_LEASE_MS for fault tests
    redis_data: Path | None = None  # AOF directory of the Redis it starts (default: per port)

    @property
    def run_dir(self) -> Path:
        """PID files of this stack (per hub port, so stacks run side by side)."""
        return VAR / f"run{_suffix(self.ports.hub)}"

    @property
    def log_dir(self) -> Path:
        """Logs of this stack (per hub port)."""
        return VAR / f"log{_suffix(self.ports.hub)}"

    @property
    def redis_dir(self) -> Path:
        """AOF directory of the Redis this stack starts (per Redis port unless set)."""
        if self.redis_data is not None:
            return self.redis_data
        port = urlparse(self.ports.redis_url).port or 6379
        return VAR / ("redis" if port == 6379 else f"redis-{port}")

    def env(self) -> dict[str, str]:
        """Environment shared by every process."""
        parsed = urlparse(self.ports.redis_url)
        db = (parsed.path or "/0").lstrip("/") or "0"
        hub = f"http://127.0.0.1:{self.ports.hub}"
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REDIS_URL": self.ports.redis_url,
            "RASA_REDIS_HOST": parsed.hostname or "127.0.0.1",
            "RASA_REDIS_PORT": str(parsed.port or 6379),
            "RASA_REDIS_DB": db,
            "RASA_TRACKER_TTL_S": os.environ.get("RASA_TRACKER_TTL_S", tracker_ttl_s()),
            # A ticket of Rasa's lock store left behind by a turn that died with Redis blocks
            # the conversation this long (Rasa's default: 60 s); the hub sends one message per
            # conversation at a time, so a turn never needs more.
            "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME", "10"),
            "RASA_LOCK_STORE": rasa_lock_store(),
            "RASA_ACTION_ENDPOINT": f"http://127.0.0.1:{self.ports.actions}/webhook",
            "BOT_PUBLIC_URL": hub,
            "BOT_RASA_URL": f"http://127.0.0.1:{self.ports.rasa}",
            "BOT_ACTIONS_URL": f"http://127.0.0.1:{self.ports.actions}",
            "BOT_KB_WARM": "true",
            "ACTIONS_HUB_URL": hub,
            "HANDOFF_HUB_URL": hub,
            "HANDOFF_RASA_URL": f"http://127.0.0.1:{self.ports.rasa}",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            **self.extra_env,
        }

    def _spawn(self, name: str, argv: list[str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env(), stdout=log, stderr=log, start_new_session=True
        )
        self.processes[name] = process
        (self.run_dir / f"{name}.pid").write_text(str(process.pid))

    def start_redis(self) -> None:
        """Start a Redis with AOF persistence under var/ unless one already answers."""
        if redis_answers(self.ports.redis_url):
            return
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit(
                "redis-server not found: run `make setup` (installs Debian's "
                "redis-server) or point REDIS_URL at a running Redis"
            )
        data = self.redis_dir
        data.mkdir(parents=True, exist_ok=True)
        port = urlparse(self.ports.redis_url).port or 6379
        self._spawn(
            "redis",
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--dir",
                str(data),
                "--save",
                "",
            ],
        )
        self._wait("redis", lambda: redis_answers(self.ports.redis_url), 20)

    def start_actions(self) -> None:
        """Start the action server unless one answers."""
        if http_ok(f"http://127.0.0.1:{self.ports.actions}/health"):
            return
        self._spawn(
            "actions",
            [
                str(ROOT / ".venv/bin/python"),
                "-m",
                "actions.server",
                "--port",
                str(self.ports.actions),
            ],
        )
        self._wait("actions", lambda: http_ok(f"http://127.0.0.1:{self.ports.actions}/health"), 120)

    def start_rasa(self) -> None:
        """Start the Rasa server (REST channel, HTTP API, Redis tracker store)."""
        if http_ok(f"http://127.0.0.1:{self.ports.rasa}/status"):
            return
        if not MODEL.exists():
            raise SystemExit(f"{MODEL} is missing: run `make setup` (it trains the model)")
        self._spawn(
            "rasa",
            [
                str(ROOT / ".venv-rasa/bin/rasa"),
                "run",
                "--enable-api",
                "-i",
                "127.0.0.1",
                "--port",
                str(self.ports.rasa),
                "--model",
                str(MODEL),
                "--endpoints",
                "bot/endpoints.yml",
                "--credentials",
                "bot/credentials.yml",
            ],
        )
        self._wait("rasa", lambda: http_ok(f"http://127.0.0.1:{self.ports.rasa}/status"), 240)

    def start_hub(self) -> None:
        """Start the hub (webhook, workers, staff API, simulator)."""
        if http_ok(f"http://127.0.0.1:{self.ports.hub}/healthz"):
            return
        self._spawn(
            "hub",
            [
                str(ROOT / ".venv/bin/uvicorn"),
                "bot.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports.hub),
                "--no-access-log",
            ],
        )
        self._wait("hub", lambda: http_ok(f"http://127.0.0.1:{self.ports.hub}/healthz"), 120)

    def healthy(self, name: str) -> bool:
        """True when the process ``name`` (redis, actions, rasa, hub) answers its health check."""
        checks = {
            "redis": lambda: redis_answers(self.ports.redis_url),
            "actions": lambda: http_ok(f"http://127.0.0.1:{self.ports.actions}/health"),
            "rasa": lambda: http_ok(f"http://127.0.0.1:{self.ports.rasa}/status"),
            "hub": lambda: http_ok(f"http://127.0.0.1:{self.ports.hub}/healthz"),
        }
        return checks[name]()

    def pid(self, name: str) -> int | None:
        """PID of one process: started by this object, else from its PID file under var/."""
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            return process.pid
        pidfile = self.run_dir / f"{name}.pid"
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def restart(
        self, name: str, sig: signal.Signals = signal.SIGKILL, timeout_s: float = 30
    ) -> int:
        """Kill one process of this stack (SIGKILL by default: a crash) and start it again.

        Works on a stack this object started or one it reuses (PID file under var/); a
        process it did not start stays someone else's after the restart. Returns the new PID.
        """
        old = self.pid(name)
        if old is None:
            raise RuntimeError(
                f"{name} has no PID under {self.run_dir}: this stack did not start it"
            )
        owned = name in self.processes
        os.killpg(old, sig)
        if owned:
            self.processes.pop(name).wait(timeout=timeout_s)
        deadline = time.monotonic() + timeout_s
        while self.healthy(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        getattr(self, f"start_{name}")()
        new = self.processes[name].pid if owned else self.processes.pop(name).pid
        return new

    def running(self) -> bool:
        """True while every process started here runs (or runs again after a restart)."""
        return all(self.pid(name) is not None for name in self.processes)

    def start(self) -> None:
        """Start everything that is not already running, in dependency order."""
        self.start_redis()
        self.start_actions()
        self.start_rasa()
        self.start_hub()

    def _wait(self, name: str, ready: object, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        process = self.processes[name]
        while time.monotonic() < deadline:
            if callable(ready) and ready():
                return
            if process.poll() is not None:
                raise SystemExit(
                    f"{name} exited with code {process.returncode}; "
                    f"see {self.log_dir / (name + '.log')}"
                )
            time.sleep(0.3)
        log = self.log_dir / f"{name}.log"
        raise SystemExit(f"{name} not healthy after {timeout_s:.0f}s; see {log}")

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal one process this stack started (its process group) and reap it."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(timeout=30)

    def revive(self, name: str) -> None:
        """Start one process again (after :meth:`kill`) and wait until it is healthy."""
        getattr(self, f"start_{name}")()

    def stop(self) -> None:
        """Stop the processes this stack started (or their restarts), newest first."""
        for name, process in reversed(list(self.processes.items())):
            pid = self.pid(name)
            if pid is not None:
                os.killpg(pid, signal.SIGTERM)
            if pid is not None and pid != process.pid:  # restarted by another Stack object
                deadline = time.monotonic() + 20
                while pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.2)
        for name, process in reversed(list(self.processes.items())):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
        self.processes.clear()


def stop_from_pidfiles() -> None:
    """``make stop``: signal the processes recorded under var/run."""
    supervisor = RUN / "stack.pid"
    if supervisor.exists():
        try:
            os.kill(int(supervisor.read_text()), signal.SIGTERM)
            print("stopping the stack")
            time.sleep(3)
        except (ProcessLookupError, ValueError, PermissionError):
            pass
        supervisor.unlink(missing_ok=True)
    for pidfile in sorted(RUN.glob("*.pid")) if RUN.exists() else []:
        try:
            os.killpg(int(pidfile.read_text()), signal.SIGTERM)
            print(f"stopped {pidfile.stem}")
        except (ProcessLookupError, ValueError, PermissionError):
            pass
        pidfile.unlink(missing_ok=True)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Run the stack in the foreground until interrupted."""
    if sys.argv[1:] == ["stop"]:
        stop_from_pidfiles()
        return
    stack = Stack()
    RUN.mkdir(parents=True, exist_ok=True)
    (RUN / "stack.pid").write_text(str(os.getpid()))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start()
        hub = f"http://127.0.0.1:{stack.ports.hub}"
        print(
            f"""
  wabot is running
    hub + webhook     {hub}/webhook
    simulator         {hub}/simulator
    API docs          {hub}/docs
    Rasa              http://127.0.0.1:{stack.ports.rasa}
    action server     http://127.0.0.1:{stack.ports.actions}
    Redis             {stack.ports.redis_url}
    logs              {LOGS}
  Ctrl-C (or `make stop`) stops everything.
""",
            flush=True,
        )
        while stack.running():
            time.sleep(1)
        dead = [n for n in stack.processes if stack.pid(n) is None]
        print(f"stopped: {', '.join(dead)} exited; see {LOGS}", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        (RUN / "stack.pid").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
