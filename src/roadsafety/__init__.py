"""roadsafety: road-crash risk forecasting for traffic police."""

__version__ = "0.1.0"
