"""Store errors: every one is a single line that names the file and says what to do."""


class StoreError(Exception):
    """The store cannot do what was asked; the message is fit to show as is."""


class StoreCorrupt(StoreError):
    pass


class StoreLocked(StoreError):
    pass
