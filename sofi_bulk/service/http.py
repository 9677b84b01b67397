"""What the WSGI server leaves to the application: which reverse proxies to believe, and a
line per request in the log.

Forwarded headers (``X-Forwarded-For``, ``-Proto``, ``-Host``, ``-Port``) are honoured only
on requests that come from an address named by ``--proxy``, and removed from every other
request: a client cannot fake its address or scheme. The parsing is waitress's own
(``proxy_headers_middleware``), which trusts a single address; here it is applied per
request, so that several proxies (or a network of them) can be named.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FORWARDED = {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"}

access = logging.getLogger("sofi_bulk.acces")
# the links of invitations and « Mot de passe oublié ? » open an account: not written out
SECRET_PATH = re.compile(r"^/(invitation|mot-de-passe)/([^/]+)/(?!set-password/)[^/]+/")


def proxy_networks(proxies: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The addresses given to --proxy as networks (one address is a network of one);
    ``ValueError`` for a value that is neither."""
    return [ipaddress.ip_network(p.strip().strip("[]"), strict=False) for p in proxies]


def behind_proxies(app: WSGIApp, proxies: list[str]) -> WSGIApp:
    """``app``, believing forwarded headers from ``proxies`` only, dropping them otherwise."""
    from waitress.proxy_headers import proxy_headers_middleware

    networks = proxy_networks(proxies)
    # one proxy in front: the client is the last address it appends to X-Forwarded-For
    trusted = proxy_headers_middleware(
        app, trusted_proxy="*", trusted_proxy_count=1, trusted_proxy_headers=FORWARDED
    )
    untrusted = proxy_headers_middleware(app, trusted_proxy=None, clear_untrusted=True)

    def choose(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            peer = None
        if peer is not None and any(peer in network for network in networks):
            return trusted(environ, start_response)
        return untrusted(environ, start_response)

    return choose


def access_log(app: WSGIApp) -> WSGIApp:
    """``app``, logging each request: client address (the real one, once the proxy layer has
    run), request line, status, size and duration; the time comes from the log's format."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        seen: dict[str, str] = {}

        def record(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            seen["size"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, *args)

        try:
            return app(environ, record)
        finally:
            query = environ.get("QUERY_STRING")
            access.info(
                '%s "%s %s%s %s" %s %s %.3fs',
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                SECRET_PATH.sub(r"/\1/\2/…/", environ.get("PATH_INFO", "")),
                f"?{query}" if query else "",
                environ.get("SERVER_PROTOCOL", "-"),
                seen.get("status", "500"),
                seen.get("size", "-"),
                time.monotonic() - started,
            )

    return logged
