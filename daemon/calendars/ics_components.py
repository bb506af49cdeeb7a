"""Parse the components of a feed one at a time, and leniently.

Each VEVENT goes to icalendar on its own, so a broken one costs only itself.
Before it does, the lines cadence never reads are left out (descriptions,
alarms, conference data: most of an event's bytes and the usual place of
errors such as a ``TRIGGER:PT-2H`` the parser refuses), and every ``TZID`` is
checked: a zone nobody defines is replaced by the owner's, so the event still
takes time, and an empty one is dropped, making the time floating. After
parsing, what is broken and not needed to place the event is removed rather
than allowed to sink it: an unreadable ``SEQUENCE``, a repeated ``UID``.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import Counter
from zoneinfo import ZoneInfo

import icalendar
from cadence.daemon.calendars.ics_split import RawCalendar, RawEvent, RawTimezone, split_value
from cadence.daemon.calendars.windows_zones import zone_named
from icalendar.timezone import tzp

__all__ = [
    "PLACEMENT_PROPERTIES",
    "PROPERTIES_READ",
    "TIME_PROPERTIES",
    "Zones",
    "parse_event",
    "parse_timezone",
    "short",
]

# Properties whose values are times; a broken one makes the event unplaceable.
TIME_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
PLACEMENT_PROPERTIES = frozenset((*TIME_PROPERTIES, "DURATION", "RRULE"))
# Everything the reader reads of an event (ics_parse): only these reach the parser.
PROPERTIES_READ = frozenset(
    (
        *PLACEMENT_PROPERTIES,
        "UID",
        "SEQUENCE",
        "SUMMARY",
        "STATUS",
        "TRANSP",
        "ORGANIZER",
        "ATTENDEE",
        "X-CADENCE-PERSON",
        "X-MICROSOFT-CDO-BUSYSTATUS",
        "X-MICROSOFT-CDO-ALLDAYEVENT",
    )
)
# The parameters the reader reads of a person's line; parsing the others (CN,
# ROLE, RSVP, X-NUM-GUESTS...) costs more than the rest of the event.
_PARAMETERS_READ = {
    "ATTENDEE": frozenset(("PARTSTAT", "CUTYPE", "EMAIL")),
    "ORGANIZER": frozenset(("EMAIL",)),
}
# Parameters written with their default value say nothing (RFC 5545 3.2.3, 3.2.12).
_DEFAULTS = frozenset((";CUTYPE=INDIVIDUAL", ";PARTSTAT=NEEDS-ACTION"))
_PARAMETER = re.compile(r';([A-Za-z0-9-]+)=((?:"[^"]*"|[^;:,"]*)(?:,(?:"[^"]*"|[^;:,"]*))*)')
# Properties an event has at most once; a repeated one is read as its first.
_SINGLE = (
    "UID",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RECURRENCE-ID",
    "SEQUENCE",
    "SUMMARY",
    "STATUS",
    "TRANSP",
    "ORGANIZER",
    "X-CADENCE-PERSON",
)
_NAME = re.compile(r"[^;:]*")
_TZID = re.compile(r';TZID=("[^"]*"|[^;:]*)', re.I)


class Zones:
    """The zones a calendar's times may name: IANA and Windows names, the calendar's
    own VTIMEZONEs, and what icalendar resolves itself. Times in any other zone are
    read in ``fallback`` (the owner's zone), and the names are counted."""

    def __init__(self, fallback: ZoneInfo, renamed: dict[str, str] | None = None) -> None:
        self.fallback = fallback
        self.defined: set[str] = set()
        # A zone only the feed defines, under the name its definition is kept by
        # (shared by the VCALENDARs of one feed).
        self.renamed: dict[str, str] = {} if renamed is None else renamed
        self.unknown: Counter[str] = Counter()
        self._known: dict[str, bool] = {}

    def known(self, tzid: str) -> bool:
        known = self._known.get(tzid)
        if known is None:
            known = self._known[tzid] = (
                tzid in self.defined or zone_named(tzid) is not None or _icalendar_knows(tzid)
            )
        return known

    def fix(self, line: str, name: str) -> str:
        """Given a time property's line, return it naming a zone that can be read."""
        params, value = split_value(line[len(name) :])
        match = _TZID.search(params)
        if match is None:
            return line
        tzid = match.group(1).strip('"').strip()
        if tzid in self.renamed:
            replacement = f';TZID="{self.renamed[tzid]}"'
            return f"{name}{params[: match.start()]}{replacement}{params[match.end() :]}:{value}"
        if tzid and self.known(tzid):
            return line
        if tzid:
            self.unknown[tzid] += 1
            replacement = f";TZID={self.fallback.key}"
        else:
            replacement = ""  # an empty TZID: the time is floating
        return f"{name}{params[: match.start()]}{replacement}{params[match.end() :]}:{value}"


def _icalendar_knows(tzid: str) -> bool:
    try:
        with warnings.catch_warnings():
            # It names the vendor prefix it strips from a "globally unique" TZID.
            warnings.simplefilter("ignore")
            return tzp.timezone(tzid) is not None
    except Exception:  # "Pacific" is a directory of tzdata, for one
        return False


_UNFOLD = re.compile(r"\r?\n[ \t]")
_TZID_LINE = re.compile(r"^(TZID(?:;[^:\r\n]*)?:)(.*)$", re.I | re.M)


def _own_name(text: str) -> str:
    """Give a zone only this feed defines a name of its own definition: icalendar keeps
    the first definition of a TZID for the whole process, and two Outlook feeds (or
    one feed after its zone changed) both call theirs "Customized Time Zone"."""
    text = _UNFOLD.sub("", text)
    found = _TZID_LINE.search(text)
    if found is None:
        return text
    tzid = found.group(2).strip()
    if not tzid or zone_named(tzid) is not None:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]
    plain = tzid.replace('"', "'")
    own = f"{plain} ({digest})"
    return text[: found.start(2)] + own + text[found.end(2) :]


def parse_timezone(calendar: RawCalendar, raw: RawTimezone, zones: Zones) -> str | None:
    """Parse a VTIMEZONE (icalendar keeps it for the times that name it) and add its
    TZID to ``zones``; return why it cannot be read, or None."""
    written = calendar.component_text(raw.span, raw.closed, "VTIMEZONE")
    text = _own_name(written)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            timezone = icalendar.Timezone.from_ical(text)
    except Exception as error:  # a broken zone costs only itself
        return f"time zone unreadable: {short(error)}"
    tzid = str(timezone.get("TZID", "")).strip()
    if not tzid:
        return "a time zone without TZID ignored"
    zones.defined.add(tzid)
    if text != written:
        found = _TZID_LINE.search(_UNFOLD.sub("", written))
        if found is not None:
            zones.renamed[found.group(2).strip()] = tzid
    return None


def parse_event(
    calendar: RawCalendar, raw: RawEvent, zones: Zones, *, only_read: bool
) -> tuple[icalendar.Component, list[str]]:
    """Parse one VEVENT, with only the properties the reader reads when ``only_read``
    (else with all of them and its alarms); return it and what was wrong with it
    but ignored. Raise ValueError saying why it cannot be read at all."""
    lines = ["BEGIN:VEVENT"]
    for line in calendar.event_lines(raw):
        name = _NAME.match(line).group().upper()  # type: ignore[union-attr]  # always matches
        if only_read:
            if name not in PROPERTIES_READ:
                continue
            if name in _PARAMETERS_READ:
                line = _keep_parameters(line, len(name), _PARAMETERS_READ[name])
        if name in TIME_PROPERTIES:
            line = zones.fix(line, line[: len(name)])
        lines.append(line)
    notes = [] if raw.closed else ["no END:VEVENT: read up to the next component"]
    children = "" if only_read else calendar.children_text(raw)
    text = "\n".join(lines) + "\n"
    try:
        event = _parse(text + children)
    except Exception as error:  # whatever the parser chokes on
        if not children:
            raise ValueError(f"unreadable: {short(error)}") from error
        try:
            event = _parse(text)
        except Exception as second:
            raise ValueError(f"unreadable: {short(second)}") from second
        notes.append(f"alarms ignored: {short(error)}")
    notes += _sanitize(event)
    if not raw.has_uid and not str(event.get("UID", "")).strip():
        event["UID"] = raw.uid
        notes.append("has no UID: its time is read as busy all the same")
    return event, notes


def _keep_parameters(line: str, start: int, wanted: frozenset[str]) -> str:
    """Given a content line and where its name ends, return it with only the
    ``wanted`` parameters (as written); unchanged when it cannot be taken apart."""
    kept, position = [], start
    while line.startswith(";", position):
        match = _PARAMETER.match(line, position)
        if match is None:
            return line
        if match.group(1).upper() in wanted and match.group(0).upper() not in _DEFAULTS:
            kept.append(match.group(0))
        position = match.end()
    if not line.startswith(":", position):
        return line
    return line[:start] + "".join(kept) + line[position:]


def _parse(text: str) -> icalendar.Component:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        components = icalendar.Component.from_ical(text + "END:VEVENT\n", multiple=True)
    events = [c for c in components if c.name == "VEVENT"]
    if len(events) != 1:
        raise ValueError("not one VEVENT")
    return events[0]


def _sanitize(event: icalendar.Component) -> list[str]:
    """Remove from an event what is broken and not needed to place it; return what
    was removed. (Broken times are left for the reader to refuse.)"""
    notes: list[str] = []
    for name, message in event.errors:
        if name is None:
            notes.append(f"a line ignored: {short(message, 80)}")
        elif name not in PLACEMENT_PROPERTIES and name in event:
            del event[name]
            notes.append(f"unreadable {name} ignored")
    for name in _SINGLE:
        value = event.get(name)
        if isinstance(value, list):
            event[name] = value[0]
            notes.append(f"{name} repeated: the first one read")
    rules = event.get("RRULE")
    if rules is not None:
        written = [r for r in (rules if isinstance(rules, list) else [rules]) if len(r)]
        if not written:  # "RRULE:" with nothing after it (calendarlabs.com)
            del event["RRULE"]
            notes.append("empty RRULE ignored")
        elif isinstance(rules, list) and len(written) < len(rules):
            event["RRULE"] = written
            notes.append("empty RRULE ignored")
    sequence = event.get("SEQUENCE")
    if sequence is not None and not isinstance(sequence, int):
        del event["SEQUENCE"]
        notes.append("unreadable SEQUENCE ignored")
    return notes


def short(error: object, limit: int = 200) -> str:
    """Given an error (or text), return it on one line of at most ``limit`` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
