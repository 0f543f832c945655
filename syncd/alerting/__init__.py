"""Alerts for operators without Prometheus: what is wrong (rules), when to say so (tracker),
and how (one notification library behind notify)."""
