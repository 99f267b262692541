"""The hub's staff web pages: console, administration (and the editor and reports pages).

``install(app)`` mounts them; see ``bot/web/README.md`` for how to add a page.
"""

from bot.web.app import install

__all__ = ["install"]
