"""Secrets kept out of everything shown or logged: a URL's credentials (``http://user:pw@host`` ->
``http://***@host``) and the values of secret settings (``api_token`` -> ``***``).

Every place that shows or logs a setting or an error detail passes it through here: the backends' errors and
notes, the query log, ``roadmap-rag config`` and ``status``, the app's sidebar.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
SECRET_SETTINGS = frozenset({"api_token"})  # settings whose whole value is a secret

# The user information of a URL in running text: everything between '//' and the authority's last '@'.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#@]*(?:@[^/\s?#@]*)*@")
# A setting's value written without a scheme, as Ollama accepts it: "user:pw@host:11434".
_BARE_CREDENTIALS = re.compile(r"^[^/\s?#]*@(?=[^/\s?#@]+)")


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it masked."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASK}@", text)


def redact_url(url: str) -> str:
    """A setting's address, with or without a scheme, with its credentials masked."""
    return redact(url) if "://" in url else _BARE_CREDENTIALS.sub(f"{MASK}@", url)


def setting(name: str, value: Any) -> Any:
    """A setting's value as it may be shown: a secret setting masked when set, credentials in an address masked."""
    if name in SECRET_SETTINGS and value:
        return MASK
    return redact_url(value) if isinstance(value, str) else value
