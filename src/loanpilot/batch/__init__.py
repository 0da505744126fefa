"""LoanPilot batch."""
