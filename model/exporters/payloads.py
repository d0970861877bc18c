"""Payload bytes for a capture: HTTP on web ports, TLS records on 443, a probe's GET.

The engine records only a payload's size; these build bytes of exactly that size, so that
Wireshark dissects a web flow as HTTP and a 443 flow as TLS. Everything is deterministic (a
TLS record's "ciphertext" is a hash chain of its seed), so captures are reproducible.
"""

from __future__ import annotations

import hashlib

from ..net.addressing import IPv6, family_of

PROBE_USER_AGENT = "Load Balancer Agent"

_HTTP_REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
                 503: "Service Unavailable"}


def http_request(host: str, size: int) -> bytes:
    """A GET of exactly `size` bytes (padded with a header), or zeros if it cannot fit."""
    head = f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lb6\r\n"
    pad = size - len(head) - len("X-Pad: \r\n\r\n")
    if pad < 0:
        return b"\x00" * size
    return (head + "X-Pad: " + "x" * pad + "\r\n\r\n").encode()


def http_response(size: int | None, status: int = 200) -> bytes:
    """An HTTP response of exactly `size` bytes (any size when None: an empty body)."""
    line = f"HTTP/1.1 {status} {_HTTP_REASONS.get(status, 'Status')}\r\n"
    if size is None:
        return (line + "Content-Length: 0\r\n\r\n").encode()
    for digits in range(1, 8):
        head = f"{line}Content-Type: text/plain\r\nContent-Length: {'0' * digits}\r\n\r\n"
        body = size - len(head)
        if body >= 0 and len(str(body)) == digits:
            return (head.replace("0" * digits, str(body)) + "x" * body).encode()
    return b"\x00" * size


def probe_request(path: str, host: str) -> bytes:
    host = f"[{host}]" if family_of(host) == IPv6 else host
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {PROBE_USER_AGENT}\r\n"
            "Connection: close\r\n\r\n").encode()


def tls_record(size: int, seed: str) -> bytes:
    """A TLS 1.2 application-data record of `size` bytes with deterministic 'ciphertext'."""
    body = bytearray()
    counter = 0
    while len(body) < size - 5:
        body += hashlib.sha256(f"{seed}|{counter}".encode()).digest()
        counter += 1
    return b"\x17\x03\x03" + (size - 5).to_bytes(2, "big") + bytes(body[:size - 5])

