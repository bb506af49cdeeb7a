"""cadence's engine, in layers (import-linter contracts in pyproject.toml check them).

- ``core/``: the pure core: values in, values out, time passed in; no I/O.
- ``calendars/``, ``agendas/``, ``mail/``, ``store/``, ``google/``: the adapters
  to feeds and Google Calendar, agenda documents, mail servers, the SQLite state
  and Google's APIs. They implement small protocols and decide nothing.
- The modules at this level are the runtime that wires them: ``config``,
  ``wiring`` (the adapters a cycle works through), ``cycle`` (read, plan, act),
  ``proposing`` and ``writing`` (the acts), ``outbox``, ``inbox`` (reading
  replies) with ``invitation_replies``, ``digest``,
  ``adherence``, ``engine`` (what the CLI calls, with its facets in the
  ``engine_*`` modules), ``service`` (the daemon's loop,
  with ``interrupts``, ``notify`` and ``logs``) and ``doctor``. ``clock`` and
  ``credentials`` say where "now" and secrets come from; adapters use them too.
"""

__version__ = "0.1.0"
