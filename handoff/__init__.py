"""Handoff service: tickets, queue, SLA, assignment, summaries and the staff API."""
