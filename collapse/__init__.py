"""The `collapse` command line: predict (theory), simulate (Monte Carlo), figures."""

__version__ = "0.1.0"
