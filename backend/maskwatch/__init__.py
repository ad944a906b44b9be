"""MaskWatch: face-mask compliance monitor."""

__version__ = "0.1.0"
