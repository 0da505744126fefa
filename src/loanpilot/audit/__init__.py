"""LoanPilot audit: an append-only log of who did what (imports, logins, unmasked reads of PII)."""
