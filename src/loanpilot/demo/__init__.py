"""LoanPilot demo."""
