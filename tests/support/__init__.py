"""Servers and helpers the tests start: SMTP, HTTP feeds."""
