"""Access: staff accounts, passwords, sessions, API tokens and the role-permission matrix."""
