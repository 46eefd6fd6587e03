"""The package's version, in a module of its own so that stages can name it without
importing the package's public API (which names every stage)."""

__version__ = "0.1.0"
