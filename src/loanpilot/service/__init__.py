"""LoanPilot service."""
