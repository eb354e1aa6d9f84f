"""The demo app that ``vivace demo`` serves; see ``app.py``."""
