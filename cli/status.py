"""``cadence status``: the last cycle, each source's health, the outbox, what is open."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from cadence.cli.context import App, pass_app, print_json
from cadence.cli.outbox import unconfirmed_json, unconfirmed_line
from cadence.daemon.core.dates import day_time, span_text
from cadence.daemon.unanswered import UnansweredGap, stored_json


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return day_time(moment, zone) if moment else "never"


def _source_json(s: Any) -> dict[str, Any]:
    """``s``: a source's health record, as ``Engine.status`` gives it."""
    return {
        "name": s.name,
        "location": s.location,
        "healthy": s.healthy,
        "last_success": s.last_success_at.isoformat() if s.last_success_at else None,
        "last_error": s.last_error,
        "failures": s.failures,
        "suspect": s.suspect,
        "suspect_since": s.suspect_since.isoformat() if s.suspect_since else None,
    }


def _cycle_json(last: dict[str, Any] | None) -> dict[str, Any] | None:
    if last is None:
        return None
    return {
        "started": last["started_at"].isoformat(),
        "finished": last["finished_at"].isoformat(),
        "duration_seconds": (last["finished_at"] - last["started_at"]).total_seconds(),
        "result": last["result"],
        "errors": last["summary"].get("errors", []),
    }


def status_json(info: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Return ``status --json``: the shape README documents."""
    next_run = info["next_run"]
    return {
        "last_cycle": _cycle_json(info["last_cycle"]),
        "next_run": next_run.isoformat() if next_run else None,
        "sources": [_source_json(s) for s in info["sources"]],
        "outbox": {
            "pending": info["outbox_pending"],
            "failed": info["outbox_failed"],
            "unconfirmed": info["outbox_unconfirmed"],
        },
        "open_proposals": info["open_proposals"],
        "people": info["people"],
        "unconfirmed_emails": [unconfirmed_json(e, zone) for e in info["unconfirmed_emails"]],
        "unanswered_gaps": stored_json(info["unanswered_gaps"], zone),
    }


def _gap_line(gap: UnansweredGap, zone: ZoneInfo) -> str:
    what = f"{gap.reason} {day_time(gap.cancelled_start, zone)}" if gap.cancelled_start else ""
    what = what or f"{gap.reason} in {span_text(gap.period, zone)}"
    return f"  {gap.person}: {what}: {gap.why}"


def _cycle_line(last: dict[str, Any] | None, next_run: datetime | None, zone: ZoneInfo) -> str:
    if not last:
        return "Last cycle:  never (run `cadence sync`)"
    line = f"Last cycle:  {_when(last['started_at'], zone)} ({last['result']})"
    return line + f"; next due {_when(next_run, zone)}"


@click.command(short_help="Show the last cycle, source health, outbox, proposals.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show the last cycle, each source's health, the outbox, open proposals and
    the gaps left unanswered (with why)."""
    engine = app.engine()
    zone = engine.config.owner.zone
    info = engine.status()
    if as_json:
        print_json(status_json(info, zone))
        return
    click.echo(_cycle_line(info["last_cycle"], info["next_run"], zone))
    for error in (info["last_cycle"] or {}).get("summary", {}).get("errors", []):
        click.echo(f"  error: {error['source']}: {error['message']}")
    click.echo(f"People:      {info['people']}")
    click.echo(f"Proposals:   {info['open_proposals']} open")
    gaps = info["unanswered_gaps"]
    click.echo(f"Unanswered:  {len(gaps)} gap{'' if len(gaps) == 1 else 's'}")
    for gap in gaps:
        click.echo(_gap_line(gap, zone))
    click.echo(
        f"Outbox:      {info['outbox_pending']} waiting, {info['outbox_failed']} failed, "
        f"{info['outbox_unconfirmed']} unconfirmed"
    )
    for email in info["unconfirmed_emails"]:
        click.echo(f"  {unconfirmed_line(email)}")
    for s in info["sources"]:
        click.echo(f"Source {s.name}: {s.location}: {_health(s, zone)}")


def _health(s: Any, zone: ZoneInfo) -> str:
    """``s``: a source's health record. Say what is wrong with it, if anything."""
    if s.suspect:
        return (
            f"SUSPECT since {_when(s.suspect_since, zone)}: {s.suspect}; the last good read "
            "is kept (`cadence sync --accept-changes` takes the new one)"
        )
    if s.failures:
        return f"FAILING ({s.failures}x): {s.last_error}"
    return "ok"
