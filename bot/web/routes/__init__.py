"""Routers of the staff pages."""
