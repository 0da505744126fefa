"""LoanPilot imports."""
