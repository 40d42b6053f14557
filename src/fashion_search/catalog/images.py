"""Checking and safely opening product images.

Both entry points read the pixel count from the image header and refuse an image above the limit
before a single pixel is decoded, so a decompression bomb is never expanded in memory; an image
under the limit is then decoded in full, so a truncated file is caught here and not later.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fashion_search.domain import ImageStatus
from fashion_search.errors import ImageError, ValidationError

ImageSource = Path | str | bytes
"""A file path, or the encoded bytes of an upload."""

WHITE = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class ImageCheck:
    status: ImageStatus
    reason: str | None = None
    """Why the image is missing or unreadable; None when present."""


def _describe(source: ImageSource) -> str:
    return "image data" if isinstance(source, bytes) else f"image {source}"


@contextmanager
def _decoded(source: ImageSource, max_pixels: int) -> Iterator[Image.Image]:
    """Open ``source``, check its header size, decode its first frame; :class:`ImageError` if any fails."""
    if max_pixels <= 0:
        raise ValidationError(f"max_pixels must be positive, got {max_pixels}")
    what = _describe(source)
    if isinstance(source, bytes):
        if not source:
            raise ImageError(f"{what} is empty (0 bytes)")
        stream: BinaryIO = io.BytesIO(source)
    else:
        try:
            stream = open(source, "rb")
        except FileNotFoundError:
            raise ImageError(f"{what} does not exist") from None
        except OSError as exc:
            raise ImageError(f"{what} cannot be read: {exc.strerror or exc}") from None
    try:
        if not stream.read(1):
            raise ImageError(f"{what} is empty (0 bytes)")
        stream.seek(0)
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns before it raises; as an error it stops the open early.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(stream)
            except UnidentifiedImageError:
                raise ImageError(f"{what} is not an image (unrecognised format)") from None
            except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
                raise ImageError(f"{what} declares too many pixels ({exc})") from None
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise ImageError(f"{what} has a corrupt header: {exc}") from None
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(
                    f"{what} is {width}x{height} = {width * height:,} pixels, "
                    f"above the limit of {max_pixels:,}"
                )
            try:
                image.load()
            except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
                raise ImageError(f"{what} is truncated or corrupt: {exc}") from None
            yield image
    finally:
        stream.close()


def check_image(path: Path, max_pixels: int) -> ImageCheck:
    """Classify one catalog image as present, missing or unreadable (with the reason)."""
    path = Path(path)
    if not path.is_file():
        return ImageCheck(ImageStatus.MISSING, f"no file {path.name}")
    try:
        with _decoded(path, max_pixels):
            pass
    except ImageError as exc:
        return ImageCheck(ImageStatus.UNREADABLE, str(exc))
    return ImageCheck(ImageStatus.PRESENT)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # Deep greyscale: scale to 8 bits instead of clipping at 255. A 16-bit image has a known
        # range; 32-bit and float images do not, so their own maximum (or 1.0) sets the scale.
        pixels = np.asarray(image, dtype=np.float64)
        if image.mode.startswith("I;16"):
            scale = 1 / 257
        else:
            top = float(pixels.max()) if pixels.size else 0.0
            scale = 255.0 / top if top > 255.0 else (255.0 if image.mode == "F" and top <= 1.0 else 1.0)
        image = Image.fromarray(np.clip(np.rint(pixels * scale), 0, 255).astype(np.uint8), mode="L")
    has_alpha = image.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*WHITE, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def open_image_rgb(source: ImageSource, max_pixels: int) -> Image.Image:
    """Open any image safely as an 8-bit RGB image detached from its file.

    Animated images give their first frame, transparent pixels are laid on white, CMYK, palette
    and greyscale images are converted, and the EXIF orientation is applied. Raises
    :class:`ImageError` naming the reason when the data is empty, not an image, truncated, or
    larger than ``max_pixels``.
    """
    with _decoded(source, max_pixels) as image:
        try:
            upright = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, TypeError):
            # A broken EXIF block should not cost a good picture.
            upright = image
        # Every path through _to_rgb makes a new image, so closing the file does not touch it.
        return _to_rgb(upright)
