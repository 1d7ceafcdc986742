"""The harvest's only way out to the network: it never connects to an internal address.

A source URL is typed by an organizer, so every request the harvest makes goes through
`harvest_client()`, whose transport resolves the host itself, checks *every* address the
name resolves to, and then connects to the checked address — a second DNS answer
(rebinding) cannot slip in between the check and the connect. Redirects are followed by the
same client, so every hop passes the same check, and their number is capped.

Refused unless the allow list (`HOCTAP_HARVEST_ALLOW_HOSTS`) says otherwise: loopback,
private, shared (CGNAT), link-local, multicast, unspecified, reserved and documentation
ranges, cloud metadata addresses, and the IPv4 addresses hidden in IPv4-mapped, 6to4,
Teredo and NAT64 IPv6 forms.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore2
import httpx2

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Instance metadata services (AWS, GCP, Azure, OpenStack, Alibaba, Oracle): refused even
#: if a range on the allow list contains them — only an exact entry allows one.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Redirect hops one request may follow.
MAX_REDIRECTS = 5


class AddressRefused(Exception):
    """The host is, or resolves to, an address the harvest must not reach.

    Deliberately not an `httpx2.TransportError`: it is never retried.
    """


def _embedded_ipv4(address: IPAddress) -> list[IPAddress]:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    if address.version != 6:
        return []
    found: list[IPAddress] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _forms(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses inside it. An IPv4-mapped or NAT64 address is
    only a way to reach its IPv4 address, so that one alone is judged."""
    if address.version == 6 and (address.ipv4_mapped is not None or address in _NAT64):
        return _embedded_ipv4(address)
    return [address, *_embedded_ipv4(address)]


def is_internal(address: IPAddress) -> bool:
    """True for every address that is not plainly a public unicast one."""
    for form in _forms(address):
        if (
            not form.is_global
            or form.is_multicast
            or form.is_reserved
            or form.is_unspecified
            or form.is_loopback
            or form.is_link_local
            or form.is_private
            or form in METADATA_ADDRESSES
        ):
            return True
    return False


def parse_allow_list(value: str | Iterable[str] | None) -> tuple[frozenset[str], tuple]:
    """``"kho.noibo, 10.1.2.3, 172.16.0.0/12"`` → (host names, networks); ValueError if bad."""
    if value is None:
        items: Iterable[str] = ()
    elif isinstance(value, str):
        items = value.split(",")
    else:
        items = value
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in items:
        item = raw.strip().lower().rstrip(".")
        if not item:
            continue
        if item.startswith("[") and item.endswith("]"):
            item = item[1:-1]
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
            continue
        except ValueError:
            pass
        if "/" in item or ":" in item or not all(part for part in item.split(".")):
            raise ValueError(f"HOCTAP_HARVEST_ALLOW_HOSTS: “{raw.strip()}” is not a host name, "
                             "an address or a CIDR range")  # fmt: skip
        hosts.add(item.encode("idna").decode("ascii"))
    return frozenset(hosts), tuple(networks)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses the harvest may connect to."""

    #: Host names allowed exactly as typed in a URL (whatever they resolve to).
    hosts: frozenset[str] = frozenset()
    #: Addresses and ranges allowed although internal.
    networks: tuple = field(default_factory=tuple)

    @classmethod
    def from_config(cls, config) -> AddressPolicy:
        hosts, networks = parse_allow_list(config.get("HOCTAP_HARVEST_ALLOW_HOSTS"))
        return cls(hosts=hosts, networks=networks)

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address_allowed(self, address: IPAddress) -> bool:
        if not is_internal(address):
            return True
        forms = _forms(address)
        if any(form in METADATA_ADDRESSES for form in forms):
            exact = [n for n in self.networks if n.num_addresses == 1]
            return any(form in n for form in forms for n in exact)
        return any(form in n for form in forms for n in self.networks if form.version == n.version)

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, all checked; raises AddressRefused if one is
        refused (a name with one internal answer among public ones is refused too).

        Raises `httpcore2.ConnectError` when the name does not resolve.
        """
        host = host.strip("[]")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as error:
            raise httpcore2.ConnectError(f"cannot resolve {host}: {error}") from error
        addresses: list[str] = []
        for *_, sockaddr in infos:
            text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
            if text not in addresses:
                addresses.append(text)
        if self.host_allowed(host):
            return addresses
        for text in addresses:
            if not self.address_allowed(ipaddress.ip_address(text)):
                raise AddressRefused(f"{host} resolves to {text}, which is not allowed")
        if not addresses:
            raise httpcore2.ConnectError(f"no address for {host}")
        return addresses

    def check_url(self, url: str) -> None:
        """The check made when a URL is saved: its host must resolve to allowed addresses.

        Only DNS is asked; the host itself receives nothing. Raises AddressRefused, or
        `httpcore2.ConnectError` when the name does not resolve.
        """
        parts = urlsplit(url)
        if not parts.hostname:
            raise httpcore2.ConnectError("no host in the URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise httpcore2.ConnectError(f"bad port: {error}") from error
        self.resolve(parts.hostname, port)


class GuardedBackend(httpcore2.SyncBackend):
    """httpcore's socket backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy):
        super().__init__()
        self.policy = policy

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        last: Exception | None = None
        for address in self.policy.resolve(host, port):
            try:
                # The checked address itself, never the name again (DNS rebinding).
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as error:
                last = error
        raise last or httpcore2.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise AddressRefused("unix sockets are not allowed")


# httpcore's exceptions → httpx's, most specific first (what httpx's own transport does).
_ERRORS = (
    (httpcore2.ConnectTimeout, httpx2.ConnectTimeout),
    (httpcore2.ReadTimeout, httpx2.ReadTimeout),
    (httpcore2.WriteTimeout, httpx2.WriteTimeout),
    (httpcore2.PoolTimeout, httpx2.PoolTimeout),
    (httpcore2.TimeoutException, httpx2.TimeoutException),
    (httpcore2.ConnectError, httpx2.ConnectError),
    (httpcore2.ReadError, httpx2.ReadError),
    (httpcore2.WriteError, httpx2.WriteError),
    (httpcore2.NetworkError, httpx2.NetworkError),
    (httpcore2.UnsupportedProtocol, httpx2.UnsupportedProtocol),
    (httpcore2.RemoteProtocolError, httpx2.RemoteProtocolError),
    (httpcore2.LocalProtocolError, httpx2.LocalProtocolError),
    (httpcore2.ProtocolError, httpx2.ProtocolError),
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        for core, mapped in _ERRORS:
            if isinstance(error, core):
                raise mapped(str(error)) from error
        raise


class _Body(httpx2.SyncByteStream):
    def __init__(self, stream):
        self.stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self.stream

    def close(self) -> None:
        if hasattr(self.stream, "close"):
            self.stream.close()


class GuardedTransport(httpx2.BaseTransport):
    """An httpx transport over a connection pool whose backend is `GuardedBackend`.

    httpx's own `HTTPTransport` takes no network backend, hence this small one.
    """

    def __init__(self, policy: AddressPolicy):
        self.pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(trust_env=False),
            max_connections=4,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        core_request = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self.pool.handle_request(core_request)
        return httpx2.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.pool.close()


def harvest_client(policy: AddressPolicy, timeout: float, headers: dict | None = None):
    """The `httpx2.Client` every harvest request goes through.

    No proxy, netrc or certificate settings from the environment (trust_env=False): an
    environment proxy would be connected to without the address check.
    """
    return httpx2.Client(
        transport=GuardedTransport(policy),
        timeout=timeout,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        headers={"User-Agent": "hoctap-harvester/1.0", **(headers or {})},
    )
