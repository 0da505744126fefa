"""LoanPilot market."""
