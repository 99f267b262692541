"""The hub: WhatsApp webhook, bot-or-human router, outbound sender, simulator and CLI.

Kept import-free on purpose: ``bot.nlu_components`` is loaded by the Rasa server inside
``.venv-rasa``, where the hub's dependencies are not installed.
"""
