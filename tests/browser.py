"""A real headless Chromium for the HTML report's tests, driven with the standard library only.

:func:`load` opens a page over the DevTools protocol through ``--remote-debugging-pipe`` (commands
on fd 3, replies and events on fd 4, each a JSON text ended by a NUL byte) and reports what
happened while it loaded: console errors, uncaught exceptions, browser log errors, every request;
then it evaluates expressions in the page, asks which fonts drew an element's text and takes
screenshots of elements. :func:`screenshot` and :func:`print_to_pdf` run Chromium's own
``--screenshot`` and ``--print-to-pdf``, as someone printing the report would.
:func:`decode_png` reads the screenshots.

The browser is Debian's /usr/bin/chromium (``tools/browser/install-chromium.sh``). Every run gets
a new empty profile and the flags that keep Chromium from calling Google's services, which this
machine refuses (and a refused call can stall a run until it times out).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "run `bash tools/browser/install-chromium.sh` (Debian's chromium and fonts-noto-cjk)"
TIMEOUT = 60.0

RGB = tuple[int, int, int]


class BrowserMissing(Exception):
    pass


class BrowserError(Exception):
    pass


def find_chromium() -> Path:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    found = shutil.which("chromium")
    if found is None:
        raise BrowserMissing(f"no chromium: {INSTALL_HINT}")
    return Path(found)


def flags(profile: Path) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",  # tests may run as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]


def version() -> str:
    done = subprocess.run(
        [str(find_chromium()), "--version"],
        check=True,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return done.stdout.strip()


@contextlib.contextmanager
def _profile() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="dfctl-chromium-") as directory:
        yield Path(directory)


def _run(page: Path, *options: str) -> None:
    with _profile() as profile:
        done = subprocess.run(
            [str(find_chromium()), *flags(profile), *options, page.resolve().as_uri()],
            check=False,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    if done.returncode != 0:
        raise BrowserError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")


def screenshot(page: Path, out: Path, width: int, height: int) -> bytes:
    """A PNG of the page's top ``width`` by ``height`` pixels, from ``chromium --screenshot``."""
    _run(page, f"--screenshot={out}", f"--window-size={width},{height}")
    return out.read_bytes()


def print_to_pdf(page: Path, out: Path) -> bytes:
    """The page printed by ``chromium --print-to-pdf``, paper size as the page's CSS asks."""
    _run(page, f"--print-to-pdf={out}", "--no-pdf-header-footer")
    return out.read_bytes()


@dataclass
class Loaded:
    """What loading a page showed."""

    errors: list[str] = field(default_factory=list)  # console errors, exceptions, log errors
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    values: dict[str, Any] = field(default_factory=dict)  # the expressions' results
    fonts: dict[str, list[str]] = field(default_factory=dict)  # selector -> font families
    images: dict[str, bytes] = field(default_factory=dict)  # selector -> PNG of that element


class _Pipe:
    """One Chromium with --remote-debugging-pipe; ``call`` sends a command and returns its
    result, keeping the events that arrive meanwhile."""

    def __init__(self, profile: Path) -> None:
        chromium_in, ours_to_chromium = os.pipe()
        ours_from_chromium, chromium_out = os.pipe()
        # Chromium wants the pipe on fds 3 and 4; move its ends out of the way first (at 10+)
        # so that the shell's redirections below cannot overwrite one with the other
        given_in = fcntl.fcntl(chromium_in, fcntl.F_DUPFD_CLOEXEC, 10)
        given_out = fcntl.fcntl(chromium_out, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(chromium_in)
        os.close(chromium_out)
        self.log = profile / "chromium.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    "bash",
                    "-c",
                    f'exec "$0" "$@" 3<&{given_in} 4>&{given_out} {given_in}<&- {given_out}>&-',
                    str(find_chromium()),
                    *flags(profile),
                    "--remote-debugging-pipe",
                    "about:blank",
                ],
                pass_fds=(given_in, given_out),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group, so close() can end all of it
            )
        os.close(given_in)
        os.close(given_out)
        self._send_fd = ours_to_chromium
        self._receive_fd = ours_from_chromium
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._receive_fd], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"chromium did not answer in time; its log: {self._tail()}")
            chunk = os.read(self._receive_fd, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed the pipe; its log: {self._tail()}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        data: dict[str, Any] = json.loads(message)
        return data

    def _tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-2000:]

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._send_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._receive(deadline)
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise BrowserError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply["result"]
            return result

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._receive(deadline))

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        os.close(self._send_fd)
        os.close(self._receive_fd)


def _errors(events: Sequence[dict[str, Any]]) -> list[str]:
    found = []
    for event in events:
        params = event.get("params", {})
        if event.get("method") == "Runtime.consoleAPICalled" and params["type"] in (
            "error",
            "assert",
            "warning",
        ):
            words = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            found.append(f"console.{params['type']}: {words}")
        elif event.get("method") == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails'].get('text', '')}")
        elif event.get("method") == "Log.entryAdded" and params["entry"]["level"] in (
            "error",
            "warning",
        ):
            entry = params["entry"]
            found.append(
                f"{entry['source']} {entry['level']}: {entry['text']} {entry.get('url', '')}"
            )
    return found


def load(
    page: Path,
    expressions: dict[str, str] | None = None,
    fonts_of: Sequence[str] = (),
    images_of: Sequence[str] = (),
    width: int = 800,
) -> Loaded:
    """Open ``page`` in a window ``width`` pixels wide and wait for its load event, then
    evaluate ``expressions`` (name -> JavaScript expression with a JSON result), read the
    fonts that drew the first element of each selector in ``fonts_of``, and take a PNG of the
    first element of each selector in ``images_of``."""
    loaded = Loaded()
    with _profile() as profile:
        pipe = _Pipe(profile)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log", "Network", "DOM", "CSS"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
                session,
            )
            pipe.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
            pipe.wait_for("Page.loadEventFired")
            for name, expression in (expressions or {}).items():
                result = pipe.call(
                    "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
                )
                if "exceptionDetails" in result:
                    raise BrowserError(f"{name}: {result['exceptionDetails']}")
                loaded.values[name] = result["result"].get("value")
            root = pipe.call("DOM.getDocument", session=session)["root"]["nodeId"]
            for selector in fonts_of:
                node = pipe.call(
                    "DOM.querySelector", {"nodeId": root, "selector": selector}, session
                )
                used = pipe.call("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]}, session)
                loaded.fonts[selector] = [f["familyName"] for f in used["fonts"] if f["glyphCount"]]
            for selector in images_of:
                box = pipe.call(
                    "Runtime.evaluate",
                    {
                        "expression": "(() => { const r = document.querySelector("
                        f"{json.dumps(selector)}).getBoundingClientRect(); return "
                        "{x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })()",
                        "returnByValue": True,
                    },
                    session,
                )["result"]["value"]
                shot = pipe.call(
                    "Page.captureScreenshot",
                    {"format": "png", "captureBeyondViewport": True, "clip": {**box, "scale": 1}},
                    session,
                )
                loaded.images[selector] = base64.b64decode(shot["data"])
            loaded.errors = _errors(pipe.events)
            loaded.requests = [
                e["params"]["request"]["url"]
                for e in pipe.events
                if e.get("method") == "Network.requestWillBeSent"
            ]
        finally:
            pipe.close()
    return loaded


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    pixels: Counter[RGB]  # how many pixels have each colour


def decode_png(data: bytes) -> Image:
    """An 8-bit RGB or RGBA PNG, as Chromium writes them, decoded with zlib (alpha dropped)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position = 8
    chunks: list[bytes] = []
    header = b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    size = 3 if colour_type == 2 else 4
    stride = width * size
    raw = zlib.decompress(b"".join(chunks))
    pixels: Counter[RGB] = Counter()
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, size)
        pixels.update(zip(line[0::size], line[1::size], line[2::size], strict=True))
        previous = line
    return Image(width, height, pixels)


def _unfilter(kind: int, line: bytearray, previous: bytearray, size: int) -> None:
    """Undo one row's PNG filter in place (PNG specification, section 9)."""
    if kind == 1:
        for i in range(size, len(line)):
            line[i] = (line[i] + line[i - size]) & 0xFF
    elif kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - size] if i >= size else 0
            line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - size] if i >= size else 0
            b = previous[i]
            c = previous[i - size] if i >= size else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    elif kind != 0:
        raise ValueError(f"unknown PNG filter {kind}")
