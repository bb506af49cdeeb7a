"""The unit files in systemd/: valid to systemd, hardened, and true to the daemon.

``cadence.service`` is what an administrator installs system-wide;
``cadence-user.service`` is what a lead installs for ``systemctl --user``. Both
are read by systemd's own tool, ``systemd-analyze``:

- ``verify`` must print nothing at all. systemd loads a unit with an unknown
  key, a bad value or a missing binary and only warns, so the service would run
  without the setting the warning is about (often a sandboxing one); here a
  warning is a failure.
- ``security`` must rate the system unit's exposure at 2.0 or lower: the daemon
  parses calendar feeds from the internet and must not be able to do much if
  one of them ever exploits it.

Then the settings the daemon relies on are checked by name: the notify
protocol, the watchdog, reload by SIGHUP, restart on failure, the state
directory and the systemd credentials it reads.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT

SYSTEM_UNIT = ROOT / "systemd" / "cadence.service"
USER_UNIT = ROOT / "systemd" / "cadence-user.service"
MAX_EXPOSURE = 2.0
# systemd-analyze security --offline appeared in systemd 250.
MIN_SYSTEMD = 250
# Where distributions keep systemd's own units (usr-merged first).
SYSTEM_UNIT_DIRS = (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))

Unit = dict[str, dict[str, list[str]]]


def parse_unit(path: Path) -> Unit:
    """Given a unit file, return {section: {key: [values in order]}}; raise ValueError
    on a line that is neither a comment, a section header nor a key=value."""
    unit: Unit = {}
    section: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = unit.setdefault(line[1:-1], {})
        elif "=" in line and section is not None:
            key, value = line.split("=", 1)
            section.setdefault(key.strip(), []).append(value.strip())
        else:
            raise ValueError(f"{path}:{number}: cannot parse {raw!r}")
    return unit


def seconds(span: str) -> float:
    """Given a systemd time span such as ``5min``, ``30s`` or ``1min 30s``, return
    seconds; a bare number is seconds, as systemd reads it."""
    factors = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != span.replace(" ", ""):
        raise ValueError(f"not a time span: {span!r}")
    return sum(float(number) * factors[unit or "s"] for number, unit in parts)


def stub_executable(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(0o755)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)


def report(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"$ {' '.join(result.args)}\nexit {result.returncode}\n"
        f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    )


@pytest.fixture(scope="module")
def analyze() -> str:
    """Return the path of systemd-analyze; skip when it is missing or too old."""
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip(
            "systemd-analyze not found: install Debian's systemd package "
            "(apt-get install systemd) to check the unit files"
        )
    version = re.match(r"systemd (\d+)", run(found, "--version").stdout)
    if version is None or int(version.group(1)) < MIN_SYSTEMD:
        pytest.skip(f"systemd-analyze {MIN_SYSTEMD} or newer is needed for --offline")
    return found


# -- systemd's own checks ------------------------------------------------------


def test_system_unit_exposure_is_low(analyze: str) -> None:
    result = run(analyze, "security", "--offline=true", "--no-pager", str(SYSTEM_UNIT))
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert result.returncode == 0 and found is not None, report(result)
    assert float(found.group(1)) <= MAX_EXPOSURE, report(result)
    assert result.stderr == "", report(result)


def test_system_unit_verifies_cleanly(analyze: str, tmp_path: Path) -> None:
    # verify checks that every Exec*= binary exists, and /opt/cadence/bin/cadence
    # only exists once installed. Rather than rewriting ExecStart= in a copy (which
    # would no longer be the shipped text), the unchanged file is verified inside
    # a stand-in root holding systemd's own units, a stub for cadence, and stubs
    # for the other commands, which must exist on this (Debian-like) host.
    units = next((d for d in SYSTEM_UNIT_DIRS if (d / "sysinit.target").is_file()), None)
    if units is None:
        pytest.skip(f"systemd's own units not found in {', '.join(map(str, SYSTEM_UNIT_DIRS))}")
    root = tmp_path / "root"
    shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True)
    # Absolute symlinks in the unit directory and /bin/... paths resolve inside the root.
    (root / "usr/bin").mkdir()
    (root / "bin").symlink_to("usr/bin")
    (root / "lib").symlink_to("usr/lib")
    service = parse_unit(SYSTEM_UNIT)["Service"]
    for key in ("ExecStart", "ExecReload"):
        for command in service[key]:
            binary = Path(command.split()[0].lstrip("-@:+!"))
            if not binary.is_relative_to("/opt/cadence"):
                assert shutil.which(str(binary)), f"{key}= runs {binary}, missing on this host"
            stub_executable(root / binary.relative_to("/"))
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copyfile(SYSTEM_UNIT, root / "etc/systemd/system/cadence.service")

    result = run(analyze, "verify", f"--root={root}", "cadence.service")

    assert result.returncode == 0, report(result)
    assert result.stderr == "", report(result)


def test_user_unit_verifies_cleanly(analyze: str, tmp_path: Path) -> None:
    # A user manager needs $XDG_RUNTIME_DIR even to verify; %h and %E come from
    # $HOME. A made-up home holds the unit where the README installs it, and a
    # stub where ExecStart= expects cadence, so the real home plays no part.
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    stub_executable(home / ".local/bin/cadence")
    installed = home / ".config/systemd/user/cadence.service"
    installed.parent.mkdir(parents=True)
    shutil.copyfile(USER_UNIT, installed)
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
    }

    result = run(analyze, "--user", "verify", "cadence.service", env=env)

    assert result.returncode == 0, report(result)
    assert result.stderr == "", report(result)


# -- what the daemon relies on -------------------------------------------------


@pytest.mark.parametrize("path", [SYSTEM_UNIT, USER_UNIT], ids=["system", "user"])
def test_unit_speaks_the_daemons_protocol(path: Path) -> None:
    service = parse_unit(path)["Service"]
    assert service["Type"] == ["notify"]
    assert service["NotifyAccess"] == ["main"]
    (start,) = service["ExecStart"]
    words = start.split()
    assert words[0].endswith("/bin/cadence") and words[-1] == "daemon", start
    assert words.index("--config") < words.index("daemon"), "--config is a global option"
    (reload,) = service["ExecReload"]
    assert reload.split() == ["/bin/kill", "-HUP", "$MAINPID"], "SIGHUP reloads the config"
    # Long enough for a cycle step bounded by several 20-30 s network timeouts.
    (watchdog,) = service["WatchdogSec"]
    assert seconds(watchdog) >= 120, watchdog
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["2"], "a config error does not heal"
    # The daemon stops within 10 s of SIGTERM; systemd must wait longer than that.
    (stop,) = service["TimeoutStopSec"]
    assert 10 < seconds(stop) <= 30, stop
    assert service["UMask"] == ["0077"]
    # A runaway is stopped by the kernel (and restarted), never left to swap the host.
    (memory,) = service["MemoryMax"]
    assert memory.endswith("M") and 256 <= int(memory[:-1]) <= 1024, memory


def test_system_unit_runs_cadence_as_installed() -> None:
    unit = parse_unit(SYSTEM_UNIT)
    service = unit["Service"]
    assert service["ExecStart"] == [
        "/opt/cadence/bin/cadence --config /etc/cadence/config.toml daemon"
    ]
    assert "network-online.target" in unit["Unit"]["Wants"]
    assert "network-online.target" in unit["Unit"]["After"]
    assert service["StateDirectory"] == ["cadence"]
    assert service["StateDirectoryMode"] == ["0700"]
    assert service["ConfigurationDirectory"] == ["cadence"]
    assert service["DynamicUser"] == ["yes"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_system_unit_passes_secrets_as_credentials() -> None:
    loads = parse_unit(SYSTEM_UNIT)["Service"]["LoadCredential"]
    sources = dict(load.split(":", 1) for load in loads)
    assert set(sources) == {"smtp-password", "imap-password", "google-token"}
    # systemd 252 fails the unit when an absolute source path is missing, but skips
    # a missing bare name (looked up in /etc/credstore/ and friends): a setup
    # without SMTP login or without Google must still start.
    for name, source in sources.items():
        assert not source.startswith("/"), f"credential {name} from {source} would be required"
        assert source == f"cadence.{name}", "the README documents /etc/credstore/cadence.<id>"


def test_user_unit_needs_no_privileges() -> None:
    unit = parse_unit(USER_UNIT)
    service = unit["Service"]
    assert service["ExecStart"][0].startswith("%h/.local/bin/cadence ")
    for key in ("DynamicUser", "User", "CapabilityBoundingSet", "AmbientCapabilities"):
        assert key not in service, f"{key}= cannot work in a user manager"
    # With StateDirectory= the daemon would keep agendas apart from the shell's
    # cadence command, which uses the XDG directories.
    assert "StateDirectory" not in service
    assert unit["Install"]["WantedBy"] == ["default.target"]


@pytest.mark.parametrize("path", [SYSTEM_UNIT, USER_UNIT], ids=["system", "user"])
def test_unit_lets_the_web_app_listen_on_loopback(path: Path) -> None:
    # [web] enabled: the daemon listens on 127.0.0.1 (a reverse proxy in front). The
    # sandbox must leave it IPv4/IPv6 sockets and loopback, and no network namespace.
    service = parse_unit(path)["Service"]
    families = " ".join(service.get("RestrictAddressFamilies", [])).split()
    assert {"AF_INET", "AF_INET6"} <= set(families)
    assert service.get("PrivateNetwork", ["no"]) == ["no"]
    denied = " ".join(service.get("IPAddressDeny", [])).split()
    allowed = " ".join(service.get("IPAddressAllow", [])).split()
    if denied:
        assert {"localhost"} & set(allowed) or {"127.0.0.1", "::1"} <= set(allowed)
