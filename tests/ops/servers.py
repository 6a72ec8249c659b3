"""The servers `make test` needs beyond PostgreSQL and Redis, started when they are not running and stopped after:

- moto's standalone S3 server on 127.0.0.1 (a free port), for the storage tests against a real S3 API;
- a PostgreSQL primary and its streaming replica, clusters of their own (initdb, pg_basebackup -R) on free ports
  under a temporary directory, for the read-replica tests.

`python -m tests.ops.servers start ENVFILE` writes the variables the test runs read (TEST_S3_ENDPOINT_URL,
TEST_REPLICA_PRIMARY_URL, TEST_REPLICA_URL) and what it started; `python -m tests.ops.servers stop ENVFILE` stops
exactly that and nothing else. A variable already set in the environment means that server is someone else's: it
is used as it is, never started or stopped here. Run as root, the clusters belong to the postgres user.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, what: str, seconds: int = 60) -> None:
    for _ in range(seconds * 10):
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start within {seconds} s")


def _http_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
        return True
    except urllib.error.HTTPError:
        return True  # it answered, if only to refuse
    except OSError:
        return False


# ---- moto -----------------------------------------------------------------------------------------------


def start_moto(state: dict) -> str:
    port = free_port()
    log = open(Path(tempfile.gettempdir()) / f"regulator-moto-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    state["moto_pid"] = process.pid
    _wait(lambda: _http_answers(url), "moto_server")
    return url


# ---- PostgreSQL primary and streaming replica -----------------------------------------------------------


def _pg_bin() -> Path:
    found = shutil.which("pg_config")
    if found:
        bindir = Path(subprocess.check_output([found, "--bindir"], text=True).strip())
        if (bindir / "initdb").exists():
            return bindir
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit("PostgreSQL's server binaries (initdb) were not found")
    return versions[-1]


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    subprocess.run(_as_postgres(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _pg_ready(bindir: Path, port: int) -> bool:
    return subprocess.run([str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0


def start_replica_pair(state: dict) -> tuple[str, str]:
    bindir = _pg_bin()
    base = Path(tempfile.mkdtemp(prefix="regulator-replica-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary, replica = base / "primary", base / "replica"
    primary_port, replica_port = free_port(), free_port()
    state["pg_base"] = str(base)
    _run([str(bindir / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
          "--locale=C.UTF-8"])
    settings = {
        "listen_addresses": "'127.0.0.1'", "port": primary_port, "unix_socket_directories": f"'{base}'",
        "wal_level": "replica", "max_wal_senders": 5, "hot_standby": "on", "fsync": "off",
        "full_page_writes": "off", "shared_buffers": "32MB", "max_connections": 40,
        # The replica's queries are not cancelled by the primary's vacuum while a test reads.
        "hot_standby_feedback": "on",
    }
    with open(primary / "postgresql.conf", "a") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    state["pg_primary"] = str(primary)
    _run([str(bindir / "pg_ctl"), "-D", str(primary), "-l", str(base / "primary.log"), "-w", "start"])
    _wait(lambda: _pg_ready(bindir, primary_port), "the test primary")
    _run([str(bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
          "-D", str(replica), "-R", "-X", "stream", "-c", "fast"])
    with open(replica / "postgresql.auto.conf", "a") as conf:
        conf.write(f"port = {replica_port}\n")
    state["pg_replica"] = str(replica)
    _run([str(bindir / "pg_ctl"), "-D", str(replica), "-l", str(base / "replica.log"), "-w", "start"])
    _wait(lambda: _pg_ready(bindir, replica_port), "the test replica")
    return (f"postgres://postgres@127.0.0.1:{primary_port}/regulator",
            f"postgres://postgres@127.0.0.1:{replica_port}/regulator")


def stop(state: dict) -> None:
    if state.get("moto_pid"):
        try:
            os.killpg(state["moto_pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
    if state.get("pg_base"):
        bindir = _pg_bin()
        for key in ("pg_replica", "pg_primary"):
            if state.get(key) and Path(state[key], "postmaster.pid").exists():
                subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", state[key], "-m", "fast", "-w", "stop"]),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(state["pg_base"], ignore_errors=True)


def main(command: str, envfile: str) -> None:
    path = Path(envfile)
    state_path = path.with_suffix(".state.json")
    if command == "stop":
        if state_path.exists():
            stop(json.loads(state_path.read_text()))
            state_path.unlink()
        path.unlink(missing_ok=True)
        return
    state: dict = {}
    env = {}
    try:
        env["TEST_S3_ENDPOINT_URL"] = os.environ.get("TEST_S3_ENDPOINT_URL") or start_moto(state)
        if os.environ.get("TEST_REPLICA_PRIMARY_URL") and os.environ.get("TEST_REPLICA_URL"):
            env["TEST_REPLICA_PRIMARY_URL"] = os.environ["TEST_REPLICA_PRIMARY_URL"]
            env["TEST_REPLICA_URL"] = os.environ["TEST_REPLICA_URL"]
        else:
            env["TEST_REPLICA_PRIMARY_URL"], env["TEST_REPLICA_URL"] = start_replica_pair(state)
    except BaseException:
        stop(state)
        raise
    path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps(state))
    path.write_text("".join(f"export {key}={value}\n" for key, value in env.items()))


if __name__ == "__main__":
    main(*sys.argv[1:3])
