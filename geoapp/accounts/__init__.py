"""Accounts: login with a second factor (TOTP), login throttling, API tokens, demo users."""
