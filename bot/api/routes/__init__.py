"""Routers of the hub, one module per resource."""
