"""LoanPilot customers."""
