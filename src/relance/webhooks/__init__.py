"""Webhooks: endpoints that receive a workspace's events, and the dispatcher that sends them."""
