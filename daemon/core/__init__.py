"""The pure core: values in, values out, time passed in.

Nothing here does I/O or reads the clock, and nothing here imports another part
of cadence: the model and the errors, periods, gaps (reconcile), slots and
series, the agenda text and its prompts, the adherence figures (report) and
everything rendered from values (messages, report and digest rendering).
import-linter contracts in pyproject.toml keep it that way.
"""
