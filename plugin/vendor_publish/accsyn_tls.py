"""TLS for the accsyn client: a context that always verifies, and telling a TLS failure apart.

Verification cannot be turned off (the API key travels in every request); a company CA bundle is
given with ``verify=`` or ``SSL_CERT_FILE``/``SSL_CERT_DIR``, otherwise certifi's bundle is used.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Mapping

try:  # Some host applications ship a Python without ssl (the client then says so).
    import ssl
except ImportError:  # pragma: no cover - depends on the interpreter
    ssl = None  # type: ignore[assignment]

from .errors import ConfigError


def tls_failure(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is a failed certificate verification."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if ssl is not None and isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def ssl_context(verify: Any, env: Mapping[str, str]) -> Any:
    """An SSL context that verifies: certifi, ``SSL_CERT_FILE``/``SSL_CERT_DIR``, or a CA path."""
    if verify is False:
        raise ConfigError(
            "TLS certificate verification cannot be turned off: the API key travels in every request.",
            hint="Give verify= (or SSL_CERT_FILE) the path of your company's CA bundle instead.",
        )
    if ssl is not None and isinstance(verify, ssl.SSLContext):
        return verify
    cafile: str | None = None
    capath: str | None = None
    setting = "verify="
    if verify is None or verify is True:
        cafile = env.get("SSL_CERT_FILE") or None
        capath = None if cafile else (env.get("SSL_CERT_DIR") or None)
        setting = "SSL_CERT_FILE" if cafile else "SSL_CERT_DIR"
    else:
        target = os.fspath(verify)
        if os.path.isdir(target):
            capath = target
        else:
            cafile = target
    chosen = cafile or capath
    if chosen is not None:
        if not os.path.exists(chosen):
            raise ConfigError(
                f"The CA bundle {chosen} (from {setting}) does not exist.",
                hint="Point it at a PEM file or certificate directory, or unset it to use the default.",
            )
        try:
            return verifying_context(cafile, capath)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"The CA bundle {chosen} (from {setting}) cannot be loaded: {exc.__class__.__name__}.",
                hint="It must hold PEM certificates.",
            ) from None
    import certifi

    return verifying_context(certifi.where(), None)


@functools.lru_cache(maxsize=8)
def verifying_context(cafile: str | None, capath: str | None) -> Any:
    """A verifying SSL context, built once per process and CA bundle: reading the bundle costs
    ~30 ms, which every click in a host would otherwise pay again (contexts are safe to share)."""
    return ssl.create_default_context(cafile=cafile, capath=capath)
