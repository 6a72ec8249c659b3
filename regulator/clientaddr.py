"""The client's address, the one that login throttling, the report limit and the audit trail all use.

Behind a reverse proxy every request arrives from the proxy, so REMOTE_ADDR alone would put every user in one
bucket; X-Forwarded-For, on the other hand, is written by whoever sends the request. Two settings say which hops
are ours (settings/base.py, from the environment):

- neither set (the default): REMOTE_ADDR, forwarded headers ignored — right for `make demo` and for gunicorn
  reached directly;
- ``TRUSTED_PROXY_COUNT = N``: the application is reached only through N proxies, each appending the address
  it received from to X-Forwarded-For (nginx's ``$proxy_add_x_forwarded_for``), so the client is the N-th entry
  from the right; entries further left were sent by the client and are ignored;
- ``TRUSTED_PROXY_CIDRS``: X-Forwarded-For is believed only when REMOTE_ADDR lies in one of these networks (a
  client that reaches the application directly cannot choose its address); with no count, one proxy.

django-ipware parses the header (ports, brackets, junk tokens skipped) and picks the position; it is told to read
that one header only, never the dozen others it knows, which any client can forge.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def _trusted_hops() -> int:
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0 and getattr(settings, "TRUSTED_PROXY_CIDRS", None):
        return 1
    return max(count, 0)


def _from_trusted_proxy(remote: str) -> bool:
    networks = getattr(settings, "TRUSTED_PROXY_CIDRS", None)
    if not networks:
        return True  # a count alone: the deployment promises that only its proxies reach the application
    try:
        peer = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(network, strict=False) for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as a string, or None when the request carries none."""
    remote = request.META.get("REMOTE_ADDR") or None
    hops = _trusted_hops()
    if not hops or not remote or not _from_trusted_proxy(remote):
        return remote
    # ipware counts the proxies *after* the client inside the header; our last proxy is REMOTE_ADDR, not in it.
    # Not strict: a client-supplied prefix (or a junk token in it) must not make the whole header ignored.
    address, _routable = get_client_ip(
        request, proxy_count=hops - 1, request_header_order=(FORWARDED_HEADER,), strict=False
    )
    # No header, or fewer entries than proxies (a request that skipped the outer proxy): the peer we know.
    return address or remote
