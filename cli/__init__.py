"""cadence command line."""
