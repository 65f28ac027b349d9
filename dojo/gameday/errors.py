"""Game day errors: one line each, fit to print as is."""

from dojo.engine.errors import EngineError


class GameError(EngineError):
    """A game command that cannot be done now (start twice, hint to a team that has solved...)."""
