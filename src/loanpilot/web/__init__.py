"""LoanPilot web."""
