"""Routers of the handoff API, one module per resource."""
