"""A deterministic embedder with known answers, for tests, CI and demos without a model.

The space has three parts, on fixed axes so that tests can predict similarities:

* one axis per colour of the catalog's ``baseColour`` vocabulary (:data:`FAKE_COLOURS`);
* one axis per article-type word (:data:`FAKE_TYPES`);
* the remaining axes hold a small hashed part that tells otherwise equal inputs apart.

A text switches on the axes of the colour and type words it contains ("red dress" -> Red + dress)
plus a hashed bag of its words. An image switches on the colour axis nearest to the mean colour of
its foreground (the pixels that are not near-white background) plus a fixed random projection of
a tiny thumbnail. So "red dress" is close to every red image and far from blue ones, and two
different photos of the same colour are close but not identical.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from PIL import Image

from fashion_search.embed.base import l2_normalise
from fashion_search.errors import ConfigurationError, ValidationError

FAKE_COLOURS: dict[str, tuple[int, int, int]] = {
    "Black": (20, 20, 20),
    "White": (250, 250, 250),
    "Blue": (40, 90, 210),
    "Navy Blue": (25, 35, 90),
    "Red": (210, 35, 35),
    "Green": (40, 150, 60),
    "Grey": (128, 128, 128),
    "Pink": (240, 150, 185),
    "Brown": (120, 72, 35),
    "Yellow": (240, 220, 50),
    "Purple": (120, 45, 150),
    "Orange": (245, 135, 30),
    "Beige": (220, 200, 160),
    "Maroon": (115, 20, 35),
    "Silver": (192, 192, 196),
    "Gold": (212, 175, 55),
}
"""Colours with a reserved axis (in axis order) and the reference RGB an image colour is matched to."""

FAKE_TYPES: tuple[str, ...] = (
    "shirt",
    "tshirt",
    "top",
    "jeans",
    "trousers",
    "shorts",
    "skirt",
    "dress",
    "jacket",
    "kurta",
    "shoes",
    "sneakers",
    "sandals",
    "heels",
    "watch",
    "bag",
)
"""Article-type words with a reserved axis, in axis order after the colours."""

_TYPE_ALIASES: dict[str, str] = {
    "tee": "tshirt",
    "tees": "tshirt",
    "pants": "trousers",
    "trouser": "trousers",
    "handbag": "bag",
    "handbags": "bag",
    "backpack": "bag",
    "backpacks": "bag",
    "watches": "watch",
    "dresses": "dress",
    "shoe": "shoes",
    "sneaker": "sneakers",
    "sandal": "sandals",
}

MIN_FAKE_DIM = len(FAKE_COLOURS) + len(FAKE_TYPES) + 8
"""Smallest dimension: every reserved axis plus at least 8 hashed ones."""

_ATTRIBUTE_WEIGHT = 1.0
# Small enough that the attribute axes dominate similarities, large enough to separate inputs.
_HASHED_NORM = 0.35
_NEAR_WHITE = 235
_THUMB = 8
_PROJECTION_SEED = 20_240_611
_WORD = re.compile(r"[a-z0-9]+")


def _stable_hash(text: str) -> int:
    # Python's hash() is salted per process; vectors must be identical across runs and machines.
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _words(text: str) -> list[str]:
    lowered = text.lower().replace("t-shirt", "tshirt").replace("t shirt", "tshirt")
    return _WORD.findall(lowered)


class FakeEmbedder:
    """Deterministic embedder with colour and article-type attributes on fixed axes (see module doc)."""

    def __init__(self, dim: int = 64) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < MIN_FAKE_DIM:
            raise ConfigurationError(
                f"the fake embedder needs an integer dimension >= {MIN_FAKE_DIM} "
                f"({len(FAKE_COLOURS)} colour + {len(FAKE_TYPES)} type axes + 8 hashed), got {dim!r}"
            )
        self._dim = dim
        self._colour_names = list(FAKE_COLOURS)
        self._colour_rgb = np.array(list(FAKE_COLOURS.values()), dtype=np.float32)
        self._type_offset = len(FAKE_COLOURS)
        self._hash_offset = self._type_offset + len(FAKE_TYPES)
        self._n_hashed = dim - self._hash_offset
        # Colour phrases longest first so "navy blue" is not also read as "blue".
        self._colour_phrases = sorted(
            ((tuple(_words(name)), i) for i, name in enumerate(self._colour_names)),
            key=lambda item: -len(item[0]),
        )
        self._type_index = {word: self._type_offset + i for i, word in enumerate(FAKE_TYPES)}
        for word in FAKE_TYPES:
            self._type_index.setdefault(word + "s", self._type_index[word])
        for alias, word in _TYPE_ALIASES.items():
            self._type_index[alias] = self._type_index[word]
        rng = np.random.default_rng(_PROJECTION_SEED)
        self._projection = rng.standard_normal((_THUMB * _THUMB * 3, self._n_hashed)).astype(np.float32)

    @property
    def name(self) -> str:
        return f"fake-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def colour_axis(self, colour: str) -> int:
        """The axis reserved for a colour of :data:`FAKE_COLOURS` (ValidationError otherwise)."""
        try:
            return self._colour_names.index(colour)
        except ValueError:
            raise ValidationError(f"the fake embedder has no axis for colour {colour!r}") from None

    def type_axis(self, word: str) -> int:
        """The axis reserved for an article-type word of :data:`FAKE_TYPES` (or a known alias)."""
        try:
            return self._type_index[word.lower()]
        except KeyError:
            raise ValidationError(f"the fake embedder has no axis for article type {word!r}") from None

    # -- texts ----------------------------------------------------------------------------------

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise ValidationError("embed_texts takes a list of strings, not a single string")
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if not isinstance(text, str):
                raise ValidationError(f"text {row} is {type(text).__name__}, not a string")
            out[row] = self._text_vector(text)
        return l2_normalise(out)

    def _text_vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float32)
        words = _words(text)
        i = 0
        while i < len(words):
            for phrase, axis in self._colour_phrases:
                if tuple(words[i : i + len(phrase)]) == phrase:
                    vec[axis] = _ATTRIBUTE_WEIGHT
                    i += len(phrase)
                    break
            else:
                type_axis = self._type_index.get(words[i])
                if type_axis is not None:
                    vec[type_axis] = _ATTRIBUTE_WEIGHT
                i += 1
        hashed = np.zeros(self._n_hashed, dtype=np.float32)
        # An empty text still gets a (fixed) direction so every row can be unit length.
        for word in words or ["<empty>"]:
            h = _stable_hash(word)
            hashed[h % self._n_hashed] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(hashed))
        if norm > 0:
            vec[self._hash_offset :] = hashed * (_HASHED_NORM / norm)
        elif not vec.any():
            vec[self._hash_offset] = 1.0
        return vec

    # -- images ---------------------------------------------------------------------------------

    def preprocess_image(self, image: Image.Image) -> np.ndarray:
        """Reduce one image to what the fake model reads: mean foreground colour + a tiny thumbnail.

        Runs in the pipeline's decoding threads so that it overlaps with :meth:`embed_preprocessed`.
        """
        rgb = image.convert("RGB")
        pixels = np.asarray(rgb, dtype=np.float32).reshape(-1, 3)
        foreground = pixels[(pixels < _NEAR_WHITE).any(axis=1)]
        # A white product on a white background has (almost) no foreground: read it as white.
        mean = foreground.mean(axis=0) if len(foreground) >= max(1, len(pixels) // 100) else pixels.mean(0)
        thumb = np.asarray(rgb.resize((_THUMB, _THUMB), Image.Resampling.BILINEAR), dtype=np.float32)
        return np.concatenate([mean, thumb.reshape(-1) / 255.0]).astype(np.float32)

    def embed_preprocessed(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        """Embed the outputs of :meth:`preprocess_image` (unit rows, float32)."""
        out = np.zeros((len(arrays), self._dim), dtype=np.float32)
        for row, features in enumerate(arrays):
            mean, thumb = features[:3], features[3:]
            nearest = int(np.argmin(((self._colour_rgb - mean) ** 2).sum(axis=1)))
            out[row, nearest] = _ATTRIBUTE_WEIGHT
            # Centred on mid-grey, not on the image's own mean, so flat images of two shades still differ.
            hashed = (thumb - 0.5) @ self._projection
            norm = float(np.linalg.norm(hashed))
            if norm > 0:
                out[row, self._hash_offset :] = hashed * (_HASHED_NORM / norm)
        return l2_normalise(out)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return self.embed_preprocessed([self.preprocess_image(image) for image in images])

    def nearest_colour(self, image: Image.Image) -> str:
        """The colour whose axis an image switches on (useful to state expectations in tests)."""
        mean = self.preprocess_image(image)[:3]
        return self._colour_names[int(np.argmin(((self._colour_rgb - mean) ** 2).sum(axis=1)))]

    def __repr__(self) -> str:
        return f"FakeEmbedder(dim={self._dim})"
