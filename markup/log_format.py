"""One log record, one line: what log collectors and ``grep`` expect."""

import ipaddress
import logging


class OneLineFormatter(logging.Formatter):
    """``time level logger message``, with any traceback folded into the same line.

    Newlines inside a record become a literal ``\\n``, so a traceback stays one entry
    in journald or a log shipper and can be unfolded with ``sed 's/\\\\n/\\n/g'``.
    """

    def __init__(self, fmt: str = "%(asctime)s %(levelname)s %(name)s %(message)s", **kwargs):
        super().__init__(fmt, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")


def client_address(peer: str, forwarded_for: str, trusted_proxies: list[str]) -> str:
    """The address of the client that sent a request, as the access log names it.

    When the peer is a trusted proxy (an address or network in ``trusted_proxies``,
    gunicorn's forwarded_allow_ips, or ``*``; a unix socket, which gunicorn trusts too),
    the client is the last address in X-Forwarded-For that no trusted proxy added: each
    proxy appends the address it saw, and only what the client wrote lies before that.
    """
    networks = [
        ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies if proxy != "*"
    ]

    def is_trusted(address) -> bool:
        return "*" in trusted_proxies or any(address in network for network in networks)

    if _ip(peer) is not None and not is_trusted(_ip(peer)):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return peer or "-"
        if not is_trusted(address):
            return hop
    return hops[0] if hops else peer or "-"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
