"""What every Calendar adapter must do, whatever its source.

An adapter's tests set up a real source holding a few events in ``window``
and call :func:`check_calendar_contract` (or the single checks) with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from cadence.daemon.calendars import Calendar, CalendarRead
from cadence.daemon.core.model import Interval, Occurrence


def check_calendar_contract(
    calendar: Calendar, window: Interval, other_window: Interval, *, secrets: Iterable[str] = ()
) -> CalendarRead:
    """Run every check; ``other_window`` must hold other occurrences than ``window``."""
    check_name_has_no_secrets(calendar, secrets)
    first = check_read_overlaps_window(calendar, window)
    check_second_read_unchanged_or_equal(calendar, window, first)
    check_other_window_is_not_served_stale(calendar, first, other_window)
    return first


def check_name_has_no_secrets(calendar: Calendar, secrets: Iterable[str]) -> None:
    name = calendar.name
    assert name.strip(), "a calendar must have a name for logs and errors"
    for secret in secrets:
        assert secret not in name, f"the name {name!r} shows a secret"


def check_read_overlaps_window(calendar: Calendar, window: Interval) -> CalendarRead:
    """A first read (no state) is a change holding only occurrences overlapping the window."""
    read = calendar.read(window, {})
    assert read.changed, "a read without state must report what the source holds"
    assert read.occurrences, "the source set up for the contract holds events in the window"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in read.state.items())
    for occurrence in read.occurrences:
        _check_occurrence(occurrence, window)
    keys = [_identity(o) for o in read.occurrences]
    assert len(keys) == len(set(keys)), "each (UID, RECURRENCE-ID) must be reported once"
    return read


def check_second_read_unchanged_or_equal(
    calendar: Calendar, window: Interval, first: CalendarRead
) -> CalendarRead:
    """Reading again with the returned state says "unchanged" or returns the same."""
    second = calendar.read(window, first.state)
    if second.changed:
        assert _identities(second.occurrences) == _identities(first.occurrences)
    else:
        assert second.occurrences == ()
    return second


def check_other_window_is_not_served_stale(
    calendar: Calendar, first: CalendarRead, other_window: Interval
) -> None:
    """ "Unchanged" for another window is only allowed when the stored occurrences
    (those of the first read) would still be the right answer."""
    again = calendar.read(other_window, first.state)
    fresh = calendar.read(other_window, {})
    for occurrence in fresh.occurrences:
        _check_occurrence(occurrence, other_window)
    if again.changed:
        assert _identities(again.occurrences) == _identities(fresh.occurrences)
    else:
        assert _identities(fresh.occurrences) == _identities(first.occurrences)


def _check_occurrence(occurrence: Occurrence, window: Interval) -> None:
    start, end = occurrence.start, occurrence.end
    assert start.tzinfo is not None and end.tzinfo is not None, f"naive times in {occurrence}"
    assert start <= end, f"ends before it starts: {occurrence}"
    if occurrence.recurrence_id is not None:
        assert occurrence.recurrence_id.tzinfo is not None
    inside = window.contains(start) if start == end else occurrence.interval.overlaps(window)
    assert inside, f"{occurrence} does not overlap {window}"
    assert occurrence.uid


def _identity(occurrence: Occurrence) -> tuple[str, str]:
    rid = occurrence.recurrence_id
    return (occurrence.uid, rid.astimezone(UTC).isoformat() if rid else "")


def _identities(occurrences: Iterable[Occurrence]) -> set[tuple[str, str, str, str]]:
    return {
        (*_identity(o), o.start.astimezone(UTC).isoformat(), o.status.value) for o in occurrences
    }
