"""LoanPilot channels."""
