"""HTTP plumbing shared by the stand-ins: a loopback server, replies, body decoding."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

JSONObject = dict[str, object]
#: (HTTP method, raw path with query, lower-cased headers, body) -> reply.
Dispatch = Callable[[str, str, dict[str, str], bytes], "Reply"]


@dataclass(frozen=True)
class Reply:
    """An HTTP response to send; `raw` wins over `payload` when set."""

    status: int = 200
    payload: object = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"

    def encode(self) -> bytes:
        """Serialise the body for the wire."""
        if self.raw is not None:
            return self.raw
        return json.dumps(self.payload).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive handler threads may idle on a read; stop() closes their sockets.
    block_on_close = False
    dispatch: Dispatch
    connections: set[socket.socket]
    connections_lock: threading.Lock

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-response is normal in tests, not a failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY, small keep-alive responses wait ~40 ms for Nagle + delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet; the call log is the record."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        body = self._read_body()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        reply = self.server.dispatch(self.command, self.path, headers, body)
        data = reply.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with a free port.

    Args:
        dispatch: Answers each request; called from handler threads.
        name: Thread name, for readable thread dumps.
    """

    def __init__(self, dispatch: Dispatch, name: str) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.dispatch = dispatch
        self._server.connections = set()
        self._server.connections_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        """Stop serving and drop open keep-alive connections."""
        self._server.shutdown()
        with self._server.connections_lock:
            connections = list(self._server.connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # the client may have closed it already
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join(timeout=5)


def decode_body(content_type: str, body: bytes, *, json_strings: bool = False) -> dict[str, object]:
    """Decode a JSON, form or multipart body into a flat dict.

    Args:
        content_type: The request's Content-Type header.
        body: Raw body bytes.
        json_strings: Also decode form values that hold a JSON object or array,
            as Slack and Telegram clients send nested fields that way.

    Returns:
        The fields; an empty dict for an empty or unparseable body.
    """
    mime = content_type.split(";")[0].strip().lower()
    fields: dict[str, object] = {}
    if not body:
        return fields
    if mime == "application/json" or (not mime and body.lstrip()[:1] == b"{"):
        try:
            decoded = json.loads(body)
        except ValueError:
            return fields
        return decoded if isinstance(decoded, dict) else {"_json": decoded}
    if mime == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                try:
                    fields[name] = payload.decode()
                except UnicodeDecodeError:
                    fields[name] = payload
    else:
        fields.update(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
    if json_strings:
        for key, value in fields.items():
            if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
                # A text that merely starts with a bracket stays a string.
                with contextlib.suppress(ValueError):
                    fields[key] = json.loads(value)
    return fields
