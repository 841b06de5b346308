"""Maica Xero Desktop: the link between Maica invoice records and a Xero organisation."""

__version__ = "0.1.0"
