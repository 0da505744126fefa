"""LoanPilot: the personal-loan marketing work plan of a Chinese retail bank in one open system."""

__version__ = "0.1.0"
