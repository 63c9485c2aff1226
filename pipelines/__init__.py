"""Batch job entry points (thin: they call the library)."""
