"""LoanPilot lending."""
