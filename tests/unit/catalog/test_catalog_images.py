from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_search.catalog.images import check_image, open_image_rgb
from fashion_search.domain import ImageStatus
from fashion_search.errors import ImageError, ValidationError

LIMIT = 40_000_000


def noisy_jpeg(size: tuple[int, int] = (224, 224), seed: int = 0) -> bytes:
    # Noise keeps the entropy-coded data long, so cutting the file leaves most pixels undecoded.
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width x height`` but whose pixel data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def test_good_jpeg_is_present(tmp_path: Path) -> None:
    path = tmp_path / "1.jpg"
    path.write_bytes(noisy_jpeg())
    check = check_image(path, LIMIT)
    assert check.status is ImageStatus.PRESENT and check.reason is None


def test_missing_file(tmp_path: Path) -> None:
    check = check_image(tmp_path / "404.jpg", LIMIT)
    assert check.status is ImageStatus.MISSING
    assert check.reason is not None and "404.jpg" in check.reason


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty (0 bytes)"),
        (b"id,name\n1,shirt\n", "not an image"),
        (noisy_jpeg()[:4000], "truncated"),
    ],
    ids=["zero-bytes", "text-file", "truncated-jpeg"],
)
def test_unreadable_images(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "2.jpg"
    path.write_bytes(content)
    check = check_image(path, LIMIT)
    assert check.status is ImageStatus.UNREADABLE
    assert check.reason is not None and expected in check.reason


def test_pixel_limit_is_checked_from_the_header_before_decoding(tmp_path: Path) -> None:
    # 7000 x 7000 is under Pillow's own bomb guard but over our limit. The file holds only a few
    # bytes of pixel data, so a decode would fail: the pixel reason shows the header came first.
    path = tmp_path / "3.png"
    path.write_bytes(png_header_only(7000, 7000))
    check = check_image(path, LIMIT)
    assert check.status is ImageStatus.UNREADABLE
    assert check.reason is not None and "7000x7000 = 49,000,000 pixels" in check.reason
    # The same file under a higher limit is decoded, and fails for lack of data.
    higher = check_image(path, 50_000_000)
    assert higher.status is ImageStatus.UNREADABLE
    assert higher.reason is not None and "truncated or corrupt" in higher.reason


def test_absurd_header_beyond_pillows_own_guard(tmp_path: Path) -> None:
    path = tmp_path / "4.png"
    path.write_bytes(png_header_only(100_000, 100_000))
    check = check_image(path, 10**12)
    assert check.status is ImageStatus.UNREADABLE
    assert check.reason is not None and "too many pixels" in check.reason


def test_small_limit_rejects_a_normal_photo(tmp_path: Path) -> None:
    path = tmp_path / "5.jpg"
    path.write_bytes(noisy_jpeg((30, 20)))
    assert check_image(path, 600).status is ImageStatus.PRESENT
    assert check_image(path, 599).status is ImageStatus.UNREADABLE
    with pytest.raises(ValidationError, match="max_pixels"):
        check_image(path, 0)


def test_open_rgb_lays_transparency_on_white() -> None:
    rgba = Image.new("RGBA", (4, 2), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 255, 0))
    rgba.putpixel((1, 0), (0, 0, 0, 128))
    out = open_image_rgb(encode(rgba, "PNG"), LIMIT)
    assert out.mode == "RGB" and out.size == (4, 2)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert out.getpixel((1, 0)) in {(127, 127, 127), (128, 128, 128)}
    assert out.getpixel((3, 1)) == (255, 0, 0)


def test_open_rgb_palette_with_transparency_and_greyscale_alpha() -> None:
    palette = Image.new("P", (2, 1))
    palette.putpalette([0, 255, 0, 10, 20, 30] + [0] * 762)
    palette.putpixel((0, 0), 0)
    palette.putpixel((1, 0), 1)
    out = open_image_rgb(encode(palette, "PNG", transparency=1), LIMIT)
    assert [out.getpixel((x, 0)) for x in range(2)] == [(0, 255, 0), (255, 255, 255)]
    la = Image.new("LA", (1, 1), (50, 0))
    assert open_image_rgb(encode(la, "PNG"), LIMIT).getpixel((0, 0)) == (255, 255, 255)


def test_open_rgb_cmyk_and_16_bit(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # full magenta + yellow: red
    r, g, b = open_image_rgb(encode(cmyk, "JPEG", quality=95), LIMIT).getpixel((4, 4))  # type: ignore[misc]
    assert r > 230 and g < 30 and b < 30
    deep = Image.fromarray(np.full((2, 2), 65535, dtype=np.uint16))
    path = tmp_path / "deep.png"
    deep.save(path)
    assert open_image_rgb(path, LIMIT).getpixel((0, 0)) == (255, 255, 255)
    half = Image.fromarray(np.array([[0, 32896]], dtype=np.uint16))  # 128 * 257
    half.save(path)
    out = open_image_rgb(str(path), LIMIT)
    assert out.getpixel((0, 0)) == (0, 0, 0) and out.getpixel((1, 0)) == (128, 128, 128)
    wide = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    assert [open_image_rgb(encode(wide, "TIFF"), LIMIT).getpixel((x, 0)) for x in range(3)] == [
        (0, 0, 0),
        (128, 128, 128),
        (255, 255, 255),
    ]


def test_open_rgb_animated_gives_first_frame() -> None:
    frames = [Image.new("RGB", (3, 3), c) for c in ((0, 0, 255), (255, 0, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    out = open_image_rgb(data, LIMIT)
    assert out.getpixel((1, 1)) == (0, 0, 255)


def test_open_rgb_applies_exif_orientation() -> None:
    wide = Image.new("RGB", (20, 10), (0, 128, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    out = open_image_rgb(encode(wide, "JPEG", exif=exif.tobytes()), LIMIT)
    assert out.size == (10, 20)


def test_open_rgb_result_outlives_the_file(tmp_path: Path) -> None:
    path = tmp_path / "6.jpg"
    path.write_bytes(noisy_jpeg((16, 16)))
    out = open_image_rgb(path, LIMIT)
    path.unlink()
    assert out.size == (16, 16) and np.asarray(out).shape == (16, 16, 3)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"", "empty (0 bytes)"),
        (b"GIF89a-not-really", "not an image"),
        (b"<html>hello</html>", "not an image"),
        (noisy_jpeg()[:3000], "truncated"),
        (png_header_only(9000, 9000), "above the limit of 40,000,000"),
    ],
    ids=["empty", "bad-gif", "html", "truncated", "too-large"],
)
def test_open_rgb_errors_say_why(source: bytes, expected: str) -> None:
    with pytest.raises(ImageError, match=re.escape(expected)):
        open_image_rgb(source, LIMIT)


def test_open_rgb_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        open_image_rgb(tmp_path / "nothing.png", LIMIT)
