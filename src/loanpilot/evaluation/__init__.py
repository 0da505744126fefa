"""LoanPilot evaluation."""
