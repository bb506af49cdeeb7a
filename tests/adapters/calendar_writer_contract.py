"""The contract every CalendarWriter keeps, checked by reading the calendar back.

A writable backend's test passes a fresh writer, a reader of the same calendar
(the backend's Calendar) and a window; the checks only use the two protocols,
so they hold for any writable calendar.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cadence.daemon.calendars import Calendar, CalendarWriter, EventSpec
from cadence.daemon.core.model import Interval, Occurrence, Status


def live(reader: Calendar, window: Interval, uid: str) -> list[Occurrence]:
    read = reader.read(window, {})
    return sorted(
        (o for o in read.occurrences if o.uid == uid and o.status is not Status.CANCELLED),
        key=lambda o: o.start,
    )


def check_create_is_idempotent(
    writer: CalendarWriter, reader: Calendar, window: Interval, spec: EventSpec
) -> None:
    """Creating the same spec twice makes one event, marked with the person."""
    assert writer.create([spec]) == [spec.event_id]
    assert writer.create([spec]) == [spec.event_id]
    meetings = live(reader, window, spec.event_id)
    assert meetings and meetings[0].start == spec.start
    assert all(o.person == spec.person for o in meetings)
    assert all(o.end - o.start == spec.end - spec.start for o in meetings)


def check_end_series_keeps_the_past(
    writer: CalendarWriter, reader: Calendar, window: Interval, spec: EventSpec
) -> None:
    """Ending a series before its third meeting keeps two; doing it again changes nothing;
    ending it before it began leaves none."""
    writer.create([spec])
    third = live(reader, window, spec.event_id)[2].start
    writer.end_series(spec.event_id, third)
    writer.end_series(spec.event_id, third + timedelta(weeks=3))
    assert [o.start for o in live(reader, window, spec.event_id)] == [
        spec.start,
        live(reader, window, spec.event_id)[1].start,
    ]
    writer.end_series(spec.event_id, spec.start)
    assert live(reader, window, spec.event_id) == []
    writer.end_series(spec.event_id, spec.start)  # gone already: no error


def check_move_puts_the_meeting_at_the_new_time(
    writer: CalendarWriter, reader: Calendar, window: Interval, spec: EventSpec, to: datetime
) -> None:
    """Moving the second meeting puts it at ``to``; moving a meeting the series never
    had reports False."""
    writer.create([spec])
    second = live(reader, window, spec.event_id)[1]
    assert second.recurrence_id is not None
    moved = EventSpec(**{**spec.__dict__, "start": to, "end": to + (spec.end - spec.start)})
    assert writer.move(spec.event_id, second.recurrence_id, moved)
    starts = [o.start for o in live(reader, window, spec.event_id)]
    assert to in starts and second.start not in starts
    assert not writer.move(spec.event_id, second.recurrence_id + timedelta(hours=1), moved)
