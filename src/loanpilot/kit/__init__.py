"""LoanPilot kit."""
