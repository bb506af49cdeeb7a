"""cadence's engine: the pure core, the adapters and the cycle that joins them."""

__version__ = "0.1.0"
