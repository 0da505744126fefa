"""LoanPilot analytics."""
