"""The Google tests' emulator: served over real HTTP to the real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.google_emulator import GoogleEmulator
from tests.support.google_world import OWNER


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    """The emulator with the owner's account, in Berlin (a module may want another)."""
    with GoogleEmulator() as emulator:
        emulator.add_user(OWNER, timezone="Europe/Berlin")
        yield emulator
