"""Errors a user can cause. The core turns them into a private reply in one place."""


class UserError(Exception):
    """A mistake the person can fix; ``message`` says what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
