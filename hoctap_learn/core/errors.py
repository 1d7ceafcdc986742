"""Domain errors raised by services and turned into messages by views, the API and the CLI."""


class DomainError(Exception):
    """Base class; `str(error)` is a Vietnamese message fit to show a user."""

    #: HTTP status the API answers with.
    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        #: The form field the error concerns, if any.
        self.field = field


class ValidationError(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404


class Unauthenticated(DomainError):
    status = 401


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
