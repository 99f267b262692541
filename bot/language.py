"""Conversation language: detected per message, sticky when a message is too short to tell."""

from facts import detect_language

__all__ = ["detect_language"]
