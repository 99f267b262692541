"""HTTP clients of the hub: Rasa, the handoff service and the WhatsApp Cloud API."""
