"""Rasa custom actions of the demo tenant (served by ``python -m rasa_sdk --actions actions``)."""
