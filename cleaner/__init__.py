"""cleaner: deterministic, reviewable boilerplate removal for web-text corpora."""

__version__ = "0.1.0"
