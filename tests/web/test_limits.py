"""The web app's limits, over HTTP: failed link lookups are limited per client
(429 after 20 a minute), good links are not (at least 120 a minute); bodies are
capped; every answer carries the security headers; a failing request does not
take the daemon down, and SIGTERM still stops it within 10 s.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.daemon import stop_is_prompt
from tests.support.web_world import WebWorld

pytestmark = pytest.mark.slow


def from_client(address: str) -> dict[str, str]:
    # The daemon listens on loopback, where a reverse proxy would be: it takes the
    # client's address from X-Forwarded-For.
    return {"X-Forwarded-For": address}


def test_failed_lookups_are_limited_per_client_and_good_links_are_not(world: WebWorld) -> None:
    good = world.labelled(world.proposal_mail(), "book:")[0]
    forged = re.sub(r"/[0-9a-f]{24}$", "/" + "0" * 24, good)
    with httpx.Client(timeout=10) as client:
        guesser = from_client("203.0.113.7")
        codes = [client.get(forged, headers=guesser).status_code for _ in range(21)]
        assert codes == [404] * 20 + [429]
        # Limited now, even for a good link: the guesser learns nothing more.
        assert client.get(good, headers=guesser).status_code == 429

        reader = from_client("198.51.100.4")
        codes = [client.get(good, headers=reader).status_code for _ in range(120)]
        assert codes == [200] * 120
        assert client.get(good).status_code == 200  # the loopback client itself


def test_answers_carry_the_security_headers(world: WebWorld) -> None:
    good = world.labelled(world.proposal_mail(), "book:")[0]
    for url in (good, world.base_url + "/", world.base_url + "/no-such-page"):
        headers = httpx.get(url, timeout=10).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src" not in policy, "no script is allowed at all"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"


def test_a_large_body_is_refused_and_the_daemon_goes_on(world: WebWorld) -> None:
    good = world.labelled(world.proposal_mail(), "book:")[0]
    big = httpx.post(good, content=b"x" * 200_000, timeout=10)
    assert big.status_code == 413
    odd = httpx.post(good, content=b"\xff\xfe", timeout=10,
                     headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert odd.status_code == 400
    assert httpx.get(good, timeout=10).status_code == 200
    assert world.proposals()[0]["status"] == "sent"


def test_sigterm_stops_the_daemon_with_its_web_app_promptly(world: WebWorld) -> None:
    assert world.daemon is not None
    # A request under way (a page being read) does not hold the stop up.
    with httpx.Client(timeout=10) as client:
        assert client.get(world.base_url + "/healthz").text == "cadence web ok"
        code, seconds = stop_is_prompt(world.daemon, signal.SIGTERM)
    assert code == 0
    assert seconds < 10
    log = world.daemon.log()
    assert "web app listening on 127.0.0.1" in log
    assert "Traceback" not in log
    time.sleep(0.2)
    with pytest.raises(httpx.HTTPError):
        httpx.get(world.base_url + "/healthz", timeout=2)


def test_cadence_web_serves_in_the_foreground_and_stops_on_sigterm(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.support.configs import write_config
    from tests.support.daemon import wait_until
    from tests.support.smtp_server import free_port

    port = free_port()
    config = write_config(
        tmp_path,
        {
            "calendar": {"ics": {"url": "feed.ics"}},
            "web": {"listen": f"127.0.0.1:{port}", "base_url": f"http://127.0.0.1:{port}"},
        },
    )
    env = {**os.environ, "CADENCE_CONFIG": str(config)}
    web = subprocess.Popen(
        [sys.executable, "-m", "cadence.cli", "web"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout=30, what="cadence web to answer")
        assert "Sign in" in httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
        assert (tmp_path / "web.key").stat().st_mode & 0o777 == 0o600
        started = time.monotonic()
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=10) == 0
        assert time.monotonic() - started < 10
    finally:
        if web.poll() is None:
            web.kill()
        assert web.stderr is not None
        log = web.stderr.read().decode()
        web.stderr.close()
    assert f"web app listening on 127.0.0.1:{port}" in log and "Traceback" not in log

    # The address taken: one clear line, exit 1.
    with socket_taken(port):
        taken = subprocess.run(
            [sys.executable, "-m", "cadence.cli", "web"], env=env, capture_output=True, timeout=30
        )
    assert taken.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr.decode()
    assert "Traceback" not in taken.stderr.decode()


@contextmanager
def socket_taken(port: int) -> Iterator[None]:
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", port))
        held.listen(1)
        yield
