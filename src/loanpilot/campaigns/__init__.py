"""LoanPilot campaigns."""
