"""LoanPilot products."""
