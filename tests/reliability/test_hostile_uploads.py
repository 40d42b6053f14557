"""Hostile uploads against a real server: each gets a clear 4xx, or results when it is a valid
image; memory stays bounded and the server keeps serving."""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx
import psutil
import pytest
from PIL import Image

if TYPE_CHECKING:
    from fashion_search.api.live import LiveServer

API = "/api/v1"
MB = 1024 * 1024


def _encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG of ``width x height`` black 1-bit pixels: a few hundred KB that decode to ~60 MB+."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def _photo() -> Image.Image:
    image = Image.new("RGB", (256, 256), (240, 240, 240))
    for x in range(60, 200):
        for y in range(40, 220):
            image.putpixel((x, y), (20, 40, 160))
    return image


@contextmanager
def _peak_rss_growth() -> Iterator[Callable[[], int]]:
    """Samples this process's RSS (the server runs in it) every 2 ms; yields a getter of the peak growth."""
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak[0] - baseline
    finally:
        stop.set()
        thread.join()


def _search(http: httpx.Client, name: str, data: bytes, mime: str) -> httpx.Response:
    return http.post(f"{API}/search/image", files={"file": (name, data, mime)}, data={"k": "5"})


def _still_serving(http: httpx.Client) -> None:
    assert http.get(f"{API}/health/live").status_code == 200
    ok = _search(http, "ok.jpg", _encode(_photo(), "JPEG"), "image/jpeg")
    assert ok.status_code == 200 and len(ok.json()["data"]) == 5


def test_a_60_megapixel_decompression_bomb_is_refused_without_decoding_it(http: httpx.Client) -> None:
    bomb = _bomb_png(7746, 7746)  # 60.0 megapixels, above the 40 MP default limit
    assert len(bomb) < 2 * MB
    with _peak_rss_growth() as growth:
        response = _search(http, "bomb.png", bomb, "image/png")
    assert response.status_code == 415
    assert "60,000,516 pixels" in response.json()["detail"] and "limit" in response.json()["detail"]
    assert growth() < 40 * MB, f"RSS grew by {growth() / MB:.0f} MB"
    _still_serving(http)


def test_a_50_mb_upload_is_refused_before_it_is_read(http: httpx.Client) -> None:
    blob = b"\xff\xd8\xff" + b"\x00" * (50 * MB)
    with _peak_rss_growth() as growth:
        response = _search(http, "huge.jpg", blob, "image/jpeg")
    assert response.status_code == 413
    assert "upload too large" in response.json()["detail"]
    del blob
    # The client's own 50 MB body and its multipart copy are in this process too; the server keeps
    # none of it: what grows is bounded by those two copies, not by the server reading the body.
    assert growth() < 160 * MB, f"RSS grew by {growth() / MB:.0f} MB"
    _still_serving(http)


def test_a_50_mb_chunked_upload_without_content_length_is_cut_off(server: LiveServer) -> None:
    """No Content-Length: the server counts the bytes and answers 413 once past the limit."""
    head = (
        b"POST /api/v1/search/image HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"\x00" * MB
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(head)
        part = b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n\r\n'
        sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        try:
            for _ in range(50):
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: it stopped reading
        reply = sock.recv(65536).decode("latin-1")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert "upload too large" in reply
    with httpx.Client(base_url=server.url) as http:
        _still_serving(http)


def test_a_truncated_jpeg_is_refused_clearly(http: httpx.Client) -> None:
    whole = _encode(_photo(), "JPEG", quality=90)
    response = _search(http, "cut.jpg", whole[: len(whole) // 2], "image/jpeg")
    assert response.status_code == 415
    assert "truncated or corrupt" in response.json()["detail"]
    _still_serving(http)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("alpha.png", lambda: _encode(_photo().convert("RGBA"), "PNG")),
        ("cmyk.jpg", lambda: _encode(_photo().convert("CMYK"), "JPEG")),
        (
            "animated.gif",
            lambda: _encode(
                _photo().convert("P"),
                "GIF",
                save_all=True,
                append_images=[Image.new("P", (256, 256), 3), Image.new("P", (256, 256), 9)],
                duration=100,
                loop=0,
            ),
        ),
        ("grey16.png", lambda: _encode(_photo().convert("I;16"), "PNG")),
    ],
)
def test_valid_unusual_images_are_searched(http: httpx.Client, name: str, make: Callable[[], bytes]) -> None:
    """Alpha flattened on white, CMYK converted, an animation's first frame, 16-bit grey scaled."""
    response = _search(http, name, make(), "application/octet-stream")
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 5


def test_the_alpha_png_searches_like_the_same_photo_on_white(http: httpx.Client) -> None:
    photo = _photo()
    rgba = photo.convert("RGBA")
    opaque = _search(http, "a.png", _encode(photo, "PNG"), "image/png").json()["data"]
    alpha = _search(http, "b.png", _encode(rgba, "PNG"), "image/png").json()["data"]
    assert [r["product"]["id"] for r in alpha] == [r["product"]["id"] for r in opaque]


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        (
            "vector.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<rect width="10" height="10"/></svg>',
            "image/svg+xml",
        ),
        ("notes.jpg", b"this is a text file that pretends to be a photo\n" * 20, "image/jpeg"),
        ("script.png", b"<?php system($_GET['c']); ?>", "image/png"),
    ],
)
def test_files_that_are_not_images_are_refused(http: httpx.Client, name: str, data: bytes, mime: str) -> None:
    response = _search(http, name, data, mime)
    assert response.status_code == 415
    assert "not an image" in response.json()["detail"]
    _still_serving(http)


def test_an_empty_file_is_refused(http: httpx.Client) -> None:
    response = _search(http, "empty.jpg", b"", "image/jpeg")
    assert response.status_code in (415, 422)
    assert "empty" in response.json()["detail"]
    hybrid = http.post(f"{API}/search/hybrid", files={"file": ("empty.jpg", b"", "image/jpeg")})
    assert hybrid.status_code in (415, 422)
    _still_serving(http)


def test_a_declared_giant_with_a_tiny_body_is_refused_from_its_header(http: httpx.Client) -> None:
    """A PNG header claiming 100,000 x 100,000 pixels followed by nothing: refused, never allocated."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    liar = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b"")
    with _peak_rss_growth() as growth:
        response = _search(http, "liar.png", liar, "image/png")
    assert response.status_code == 415
    assert growth() < 20 * MB
    _still_serving(http)
