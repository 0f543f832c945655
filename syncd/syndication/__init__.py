"""Syndication: routes, deliveries through the outbox, copies that follow their origin."""
