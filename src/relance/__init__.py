"""Relance: a self-hosted engine for outbound-call sequences."""
