"""LoanPilot team."""
