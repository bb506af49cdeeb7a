"""Split an iCalendar feed into its components without parsing them.

A feed is mostly events nobody will look at again: years of history. Splitting
is one pass over the text for its ``BEGIN:``/``END:`` lines; each VEVENT is
indexed by the few properties that decide whether it can matter (UID, its
times, whether it recurs) and otherwise stays text until someone needs it.

Nesting that real feeds get wrong is repaired the way a reader would guess it:
an ``END`` that closes nothing is ignored, a component left open is closed by
the next one that begins or by an ``END`` of an outer one, and whatever follows
the last ``END:VCALENDAR`` (a cache comment, stray blank lines) is not part of
the calendar. A ``VCALENDAR`` that never ends is a feed cut short.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field

from cadence.daemon.core.errors import SourceError

__all__ = ["RawCalendar", "RawEvent", "RawTimezone", "SplitFeed", "split_feed", "unfold"]

# The feed stays the bytes it came as: decoding or normalising it whole would
# copy it, and a feed may be tens of megabytes. Components are decoded one by one.
# BEGIN and END lines; a line starting with white space continues the previous one,
# so a match here is always a line of its own. (Anchoring on the newline rather
# than ^ with re.M is several times faster; the first line is matched apart.)
_STRUCTURE = re.compile(rb"\n(BEGIN|END)[ \t]*:([^\r\n]*)", re.I)
_FIRST = re.compile(rb"(?:\xef\xbb\xbf)?(BEGIN|END)[ \t]*:([^\r\n]*)", re.I)
# As icalendar unfolds: any newlines followed by one blank.
_FOLD = re.compile(rb"(?:\r?\n)+[ \t]")
# Components that stand directly in a VCALENDAR; one of them beginning inside
# another means the other was never closed.
_TOP_LEVEL = frozenset(("VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"))
# What decides whether an event can matter to a window, and what names it.
_INDEXED = re.compile(
    rb"\n(UID|DTSTART|DTEND|DURATION|RRULE|RDATE|EXRULE|RECURRENCE-ID)([;:][^\r\n]*)", re.I
)
# What an event without a UID is known by instead: what places it and its title.
_IDENTIFYING = re.compile(rb"\n(?:DTSTART|DTEND|DURATION|RRULE|SUMMARY)[;:][^\r\n]*", re.I)
# The continuation lines of a folded property, and how one starts.
_CONTINUED = re.compile(rb"(?:(?:\r?\n)+[ \t][^\r\n]*)+")
_FOLDS = (b"\n ", b"\n\t")
_CALENDAR_PROPERTY = re.compile(rb"\n(X-WR-TIMEZONE|CALSCALE)([;:][^\r\n]*)", re.I)


def unfold(data: bytes) -> bytes:
    """Given content lines, return them unfolded (RFC 5545 3.1), as icalendar does."""
    if b"\n " not in data and b"\n\t" not in data:
        return data
    if b"\n\n" in data or b"\n\r\n" in data:  # blank lines, which a fold may span
        return _FOLD.sub(b"", data)
    # Plain replacements are several times faster than the pattern.
    for fold in (b"\r\n ", b"\r\n\t", b"\n ", b"\n\t"):
        data = data.replace(fold, b"")
    return data


def decode(data: bytes) -> str:
    """Given part of a feed, return it as text: UTF-8, or else Windows-1252 (older
    Outlook exports), so accented names never become replacement characters."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def split_value(rest: str) -> tuple[str, str]:
    """Given what follows a property's name (``;PARAM=x:value``), return the parameter
    text and the value: the value starts at the first colon outside double quotes."""
    if not rest.startswith(";"):
        return "", rest[1:]
    if '"' not in rest:
        params, _, value = rest.partition(":")
        return params, value
    quoted = False
    for index, char in enumerate(rest):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return rest[:index], rest[index + 1 :]
    return rest, ""


@dataclass(frozen=True, slots=True)
class RawEvent:
    """A VEVENT as written: where it is in its calendar's text, and its index.

    ``start``, ``end``, ``duration`` and ``recurrence_id`` hold the text after the
    property name (``;TZID=Europe/Berlin:20261103T090000``), or None when absent.
    An event without a UID gets one made from what places it, so that it keeps
    the same identity from one read to the next.
    """

    span: tuple[int, int]
    children: tuple[tuple[int, int], ...]
    closed: bool
    uid: str
    has_uid: bool
    start: str | None
    end: str | None
    duration: str | None
    recurrence_id: str | None
    recurs: bool


@dataclass(frozen=True, slots=True)
class RawTimezone:
    """A VTIMEZONE as written."""

    span: tuple[int, int]
    closed: bool


@dataclass
class RawCalendar:
    """One VCALENDAR of a feed: the feed's bytes, the calendar's own properties, its
    time zones and events, in the order written."""

    data: bytes
    x_wr_timezone: str = ""
    calscale: str = ""
    timezones: list[RawTimezone] = field(default_factory=list)
    events: list[RawEvent] = field(default_factory=list)

    def component_text(self, span: tuple[int, int], closed: bool, name: str) -> str:
        """Return a component's text as written, unfolded, closed if it was not."""
        text = decode(unfold(self.data[span[0] : span[1]]))
        return text if closed else f"{text.rstrip()}\nEND:{name}\n"

    def event_lines(self, event: RawEvent) -> list[str]:
        """Return the event's own content lines, unfolded, without its BEGIN and END
        lines and without its subcomponents (alarms)."""
        lines = decode(_own_data(self.data, event.span, event.children)).split("\n")
        body = lines[1:-2] if event.closed else lines[1:]  # the data ends "END:...\n"
        return [line.removesuffix("\r") for line in body if line and line != "\r"]

    def children_text(self, event: RawEvent) -> str:
        """Return the event's subcomponents (alarms) as written, unfolded."""
        return decode(unfold(b"".join(self.data[a:b] for a, b in event.children)))


@dataclass
class SplitFeed:
    """The calendars of a feed."""

    calendars: list[RawCalendar]


def split_feed(body: bytes, source: str) -> SplitFeed:
    """Given a feed's bytes, return its calendars split into components; raise
    SourceError naming ``source`` when it holds no calendar or one is cut short."""
    splitter = _Splitter(body)
    splitter.run()
    if splitter.open_calendar:
        raise SourceError(
            source, "the feed is cut short (it does not end with END:VCALENDAR); will retry"
        )
    if not splitter.calendars:
        raise SourceError(source, "the feed holds no VCALENDAR")
    return SplitFeed(splitter.calendars)


class _Splitter:
    """Walks the BEGIN/END lines of a text, one VCALENDAR after another."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calendars: list[RawCalendar] = []
        self.open_calendar = False
        # The open components of the current calendar: (name, start offset);
        # [0] is the VCALENDAR, [1] the top-level component, deeper ones its children.
        self._stack: list[tuple[str, int]] = []
        self._calendar = RawCalendar(data)
        self._children: list[tuple[int, int]] = []
        self._own: list[bytes] = []  # the calendar's own property lines
        self._own_from = 0

    def run(self) -> None:
        first = _FIRST.match(self.data)
        matches = _STRUCTURE.finditer(self.data)
        for match in itertools.chain([first] if first else [], matches):
            name = match.group(2).strip().decode("ascii", errors="replace").upper()
            start = match.start() + (match.group(0)[:1] == b"\n")  # the line
            stop = match.end() + 1  # and its newline (past \r\n as well as \n)
            if self.data[match.end() : match.end() + 1] == b"\r":
                stop += 1
            if match.group(1).upper() == b"BEGIN":
                self._begin(name, start, stop)
            else:
                self._end(name, start, stop)
        self.open_calendar = bool(self._stack)

    def _begin(self, name: str, start: int, stop: int) -> None:
        stack = self._stack
        if name == "VCALENDAR":
            if stack:  # the calendar before never ended
                self._close_calendar(start, start)
            stack.append((name, start))
            self._calendar = RawCalendar(self.data)
            self._own, self._own_from = [], stop
            return
        if not stack:
            return  # a component outside any calendar is not the calendar's
        if len(stack) >= 2 and name in _TOP_LEVEL:
            # The open component never ended: it ends here.
            self._close_top_level(start, closed=False)
        if len(stack) == 1:
            self._own.append(self.data[self._own_from : start])
            self._children = []
        stack.append((name, start))

    def _end(self, name: str, start: int, stop: int) -> None:
        stack = self._stack
        depth = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][0] == name), None)
        if depth is None:
            return  # it closes nothing that is open
        if depth == 0:
            self._close_calendar(start, stop)
        elif depth == 1:
            self._close_top_level(stop, closed=True, children_end=start)
        else:
            while len(stack) > depth:
                self._pop_child(stop if len(stack) - 1 == depth else start)

    def _pop_child(self, stop: int) -> None:
        _, start = self._stack.pop()
        if len(self._stack) == 2:  # a direct child of the top-level component
            self._children.append((start, stop))

    def _close_top_level(self, stop: int, *, closed: bool, children_end: int = -1) -> None:
        while len(self._stack) > 2:
            self._pop_child(stop if children_end < 0 else children_end)
        name, start = self._stack.pop()
        if name == "VEVENT":
            self._calendar.events.append(self._index((start, stop), closed))
        elif name == "VTIMEZONE":
            self._calendar.timezones.append(RawTimezone((start, stop), closed))
        self._own_from = stop

    def _close_calendar(self, start: int, stop: int) -> None:
        if len(self._stack) > 1:
            self._close_top_level(start, closed=False)
        self._own.append(self.data[self._own_from : start])
        calendar = self._calendar
        for match in _CALENDAR_PROPERTY.finditer(b"\n" + unfold(b"".join(self._own))):
            value = split_value(decode(match.group(2)))[1].strip()
            if match.group(1).upper() == b"CALSCALE":
                calendar.calscale = calendar.calscale or value
            else:
                calendar.x_wr_timezone = calendar.x_wr_timezone or value
        self.calendars.append(calendar)
        self._stack.clear()

    def _index(self, span: tuple[int, int], closed: bool) -> RawEvent:
        children = tuple(self._children)
        data = self.data
        found: dict[str, str] = {}
        # Searched in place, segment by segment around the subcomponents: slicing or
        # unfolding every event of a large feed would copy it all once more.
        for start, stop in _segments(span, children):
            for match in _INDEXED.finditer(data, start, stop):
                value = match.group(2)
                if data[match.end() : match.end() + 3].lstrip(b"\r")[:2] in _FOLDS:
                    continued = _CONTINUED.match(data, match.end(), stop)
                    value = unfold(value + (continued.group(0) if continued else b""))
                found.setdefault(match.group(1).upper().decode(), decode(value))
        uid = split_value(found["UID"])[1].strip() if "UID" in found else ""
        has_uid = bool(uid)
        if not has_uid:
            own = _own_data(data, span, children)
            identity = b"".join(_IDENTIFYING.findall(own))
            uid = "no-uid-" + hashlib.sha256(identity).hexdigest()[:20]
        return RawEvent(
            span,
            children,
            closed,
            uid,
            has_uid,
            found.get("DTSTART"),
            found.get("DTEND"),
            found.get("DURATION"),
            found.get("RECURRENCE-ID"),
            any(name in found for name in ("RRULE", "RDATE", "EXRULE")),
        )


def _segments(
    span: tuple[int, int], children: tuple[tuple[int, int], ...]
) -> list[tuple[int, int]]:
    """The parts of a component's span that are its own, around its subcomponents."""
    segments, start = [], span[0]
    for child_start, child_stop in children:
        segments.append((start, child_start))
        start = child_stop
    segments.append((start, span[1]))
    return segments


def _own_data(data: bytes, span: tuple[int, int], children: tuple[tuple[int, int], ...]) -> bytes:
    """A component's bytes without its subcomponents, unfolded."""
    return unfold(b"".join(data[a:b] for a, b in _segments(span, children)))
