"""Engine errors. Each message is one line, fit to show a learner (or an agent) as is."""


class EngineError(Exception):
    """Base: the request was refused and nothing was recorded."""


class QueryError(EngineError):
    """A query's arguments make no sense (unknown service, invalid regex, empty window...)."""


class NotFound(EngineError):
    """An id that does not exist, or does not exist *yet* on the replay clock."""


class ClockError(EngineError):
    """A clock action this mode does not allow (pause in a challenge, advance past the end...)."""


class AttemptOver(EngineError):
    """The attempt is solved, given up or timed out: it takes no more actions."""
