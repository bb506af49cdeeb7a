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
import re
from dataclasses import dataclass, field

from cadence.daemon.core.errors import SourceError

__all__ = ["RawCalendar", "RawEvent", "RawTimezone", "SplitFeed", "split_feed", "unfold"]

_BOM = "\ufeff"
# BEGIN and END lines; a line starting with white space continues the previous one,
# so a match here is always a line of its own.
# (Anchoring on the newline rather than ^ with re.M is several times faster.)
_STRUCTURE = re.compile(r"\n(BEGIN|END)[ \t]*:([^\n]*)", re.I)
_FOLD = re.compile(r"\n+[ \t]")
# Components that stand directly in a VCALENDAR; one of them beginning inside
# another means the other was never closed.
_TOP_LEVEL = frozenset(("VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"))
# What decides whether an event can matter to a window, and what names it.
_INDEXED = re.compile(
    r"\n(UID|DTSTART|DTEND|DURATION|RRULE|RDATE|EXRULE|RECURRENCE-ID)([;:][^\n]*)", re.I
)
# What an event without a UID is known by instead: what places it and its title.
_IDENTIFYING = re.compile(r"\n(?:DTSTART|DTEND|DURATION|RRULE|SUMMARY)[;:][^\n]*", re.I)
_CALENDAR_PROPERTY = re.compile(r"\n(X-WR-TIMEZONE|CALSCALE)([;:][^\n]*)", re.I)


def unfold(text: str) -> str:
    """Given content lines separated by newlines, return them unfolded (RFC 5545 3.1)."""
    if "\n " in text or "\n\t" in text:
        return _FOLD.sub("", text)
    return text


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
    """One VCALENDAR of a feed: its text (newlines normalised), its own properties,
    its time zones and events, in the order written."""

    text: str
    x_wr_timezone: str = ""
    calscale: str = ""
    timezones: list[RawTimezone] = field(default_factory=list)
    events: list[RawEvent] = field(default_factory=list)

    def component_text(self, span: tuple[int, int], closed: bool, name: str) -> str:
        """Return a component's text as written, unfolded, closed if it was not."""
        text = self.text[span[0] : span[1]]
        return text if closed else f"{text.rstrip()}\nEND:{name}\n"

    def event_lines(self, event: RawEvent) -> list[str]:
        """Return the event's own content lines, unfolded, without its BEGIN and END
        lines and without its subcomponents (alarms)."""
        lines = _own_text(self.text, event.span, event.children).split("\n")
        body = lines[1:-2] if event.closed else lines[1:]  # text ends with "END:...\n"
        return [line for line in body if line]

    def children_text(self, event: RawEvent) -> str:
        """Return the event's subcomponents (alarms) as written, unfolded."""
        return unfold("".join(self.text[a:b] for a, b in event.children))


@dataclass
class SplitFeed:
    """The calendars of a feed, and how many components needed their nesting repaired."""

    calendars: list[RawCalendar]
    repaired: int = 0


def split_feed(body: bytes, source: str) -> SplitFeed:
    """Given a feed's bytes, return its calendars split into components; raise
    SourceError naming ``source`` when it holds no calendar or one is cut short."""
    text = _decode(body)
    splitter = _Splitter(text)
    splitter.run()
    if splitter.open_calendar:
        raise SourceError(
            source, "the feed is cut short (it does not end with END:VCALENDAR); will retry"
        )
    if not splitter.calendars:
        raise SourceError(source, "the feed holds no VCALENDAR")
    return SplitFeed(splitter.calendars, splitter.repaired)


def _decode(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Older Outlook exports are Windows-1252; read them as such rather than
        # turning every accented name into replacement characters.
        text = body.decode("cp1252", errors="replace")
    text = text.removeprefix(_BOM)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Every line, the first included, follows a newline: the patterns above rely on it.
    return "\n" + text if text.endswith("\n") else f"\n{text}\n"


class _Splitter:
    """Walks the BEGIN/END lines of a text, one VCALENDAR after another."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calendars: list[RawCalendar] = []
        self.repaired = 0
        self.open_calendar = False
        # The open components of the current calendar: (name, start offset);
        # [0] is the VCALENDAR, [1] the top-level component, deeper ones its children.
        self._stack: list[tuple[str, int]] = []
        self._calendar = RawCalendar(text)
        self._children: list[tuple[int, int]] = []
        self._own: list[str] = []  # the calendar's own property lines
        self._own_from = 0

    def run(self) -> None:
        for match in _STRUCTURE.finditer(self.text):
            name = match.group(2).strip().upper()
            start, stop = match.start() + 1, match.end() + 1  # the line, and its newline
            if match.group(1).upper() == "BEGIN":
                self._begin(name, start, stop)
            else:
                self._end(name, start, stop)
        self.open_calendar = bool(self._stack)

    def _begin(self, name: str, start: int, stop: int) -> None:
        stack = self._stack
        if name == "VCALENDAR":
            if stack:  # the calendar before never ended
                self.repaired += 1
                self._close_calendar(start, start)
            stack.append((name, start))
            self._calendar = RawCalendar(self.text)
            self._own, self._own_from = [], stop
            return
        if not stack:
            return  # a component outside any calendar is not the calendar's
        if len(stack) >= 2 and name in _TOP_LEVEL:
            self.repaired += 1  # the open component never ended: it ends here
            self._close_top_level(start, closed=False)
        if len(stack) == 1:
            self._own.append(self.text[self._own_from : start])
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
            self.repaired += 1
            self._close_top_level(start, closed=False)
        self._own.append(self.text[self._own_from : start])
        calendar = self._calendar
        for match in _CALENDAR_PROPERTY.finditer("\n" + unfold("".join(self._own))):
            value = split_value(match.group(2))[1].strip()
            if match.group(1).upper() == "CALSCALE":
                calendar.calscale = calendar.calscale or value
            else:
                calendar.x_wr_timezone = calendar.x_wr_timezone or value
        self.calendars.append(calendar)
        self._stack.clear()

    def _index(self, span: tuple[int, int], closed: bool) -> RawEvent:
        children = tuple(self._children)
        own = "\n" + _own_text(self.text, span, children)
        found: dict[str, str] = {}
        for match in _INDEXED.finditer(own):
            found.setdefault(match.group(1).upper(), match.group(2))
        uid = split_value(found["UID"])[1].strip() if "UID" in found else ""
        has_uid = bool(uid)
        if not has_uid:
            identity = "".join(_IDENTIFYING.findall(own))
            uid = "no-uid-" + hashlib.sha256(identity.encode()).hexdigest()[:20]
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


def _own_text(text: str, span: tuple[int, int], children: tuple[tuple[int, int], ...]) -> str:
    """A component's text without its subcomponents, unfolded."""
    if not children:
        return unfold(text[span[0] : span[1]])
    start, parts = span[0], []
    for child_start, child_stop in children:
        parts.append(text[start:child_start])
        start = child_stop
    parts.append(text[start : span[1]])
    return unfold("".join(parts))
