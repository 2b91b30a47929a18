"""The package version, kept here so reading it needs no importlib.metadata."""

__version__ = "0.1.0"
