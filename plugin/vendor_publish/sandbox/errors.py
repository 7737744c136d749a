"""The error the sandbox's request handlers raise; the server turns it into an accsyn answer."""

from __future__ import annotations


class ApiError(Exception):
    """An accsyn-shaped failure: HTTP status, `message` and a human-readable `message_hr`."""

    def __init__(self, status: int, message: str, message_hr: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.message_hr = message_hr or message

    def body(self) -> dict:
        """The JSON answer body."""
        return {"message": self.message, "message_hr": self.message_hr}


def bad_request(message: str) -> ApiError:
    """HTTP 400."""
    return ApiError(400, message)


def forbidden(message: str) -> ApiError:
    """HTTP 403."""
    return ApiError(403, message)


def not_found(message: str) -> ApiError:
    """HTTP 404."""
    return ApiError(404, message)
