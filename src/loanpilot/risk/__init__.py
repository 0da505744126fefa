"""LoanPilot risk."""
