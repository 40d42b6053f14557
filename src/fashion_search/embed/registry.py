"""Resolve a model string from Settings into an Embedder, in one place.

Accepted forms:

* ``fashion-lite`` -- the dual encoder shipped with the package;
* ``fashion-lite:/model/dir`` -- a fashion-lite model directory written by ``fashion-search train``;
* ``clip:/path/to/dir`` -- a Hugging Face CLIP model directory, loaded offline;
* ``open_clip:ARCH/TAG`` -- an OpenCLIP model (needs ``open_clip_torch`` and cached or downloadable weights);
* ``fake:DIM`` -- the deterministic test embedder (e.g. ``fake:64``).

Model packages are imported only when their spec is asked for, so ``fake:64`` never loads torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fashion_search.embed.base import Embedder
from fashion_search.errors import ConfigurationError

ACCEPTED_FORMS = (
    "fashion-lite",
    "fashion-lite:/model/dir",
    "clip:/path/to/dir",
    "open_clip:ARCH/TAG",
    "fake:DIM",
)


def _bad_spec(spec: object, why: str) -> ConfigurationError:
    return ConfigurationError(f"model {spec!r} {why}; accepted forms: {', '.join(ACCEPTED_FORMS)}")


def load_embedder(spec: str, *, cache_dir: Path, threads: int = 2) -> Embedder:
    """Build the embedder named by ``spec`` (see the module docstring for the forms).

    ``cache_dir`` is where models may cache derived files (exported ONNX graphs); ``threads`` bounds
    the intra-op threads of the model runtime. Raises :class:`ConfigurationError` for an unknown
    form and :class:`~fashion_search.errors.ModelError` when the model itself cannot be loaded.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise _bad_spec(spec, "is empty")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigurationError(f"threads must be a positive integer, got {threads!r}")
    spec = spec.strip()
    kind, sep, arg = spec.partition(":")
    if kind == "fake":
        if not sep or not arg.isdigit():
            raise _bad_spec(spec, "needs a dimension, e.g. fake:64")
        from fashion_search.embed.fake import FakeEmbedder

        return FakeEmbedder(int(arg))
    if kind == "fashion-lite":
        if sep and not arg:
            raise _bad_spec(spec, "names no model directory after 'fashion-lite:'")
        from fashion_search.embed.fashion_lite import FashionLiteEmbedder

        directory = Path(arg).expanduser() if sep else None
        embedder: Embedder = FashionLiteEmbedder.from_directory(
            directory, cache_dir=cache_dir, threads=threads
        )
        return embedder
    if kind == "clip":
        if not arg:
            raise _bad_spec(spec, "names no model directory after 'clip:'")
        from fashion_search.embed.clip import ClipEmbedder

        return ClipEmbedder.from_directory(Path(arg).expanduser(), threads=threads)
    if kind == "open_clip":
        arch, slash, tag = arg.partition("/")
        if not arch or not slash or not tag:
            raise _bad_spec(
                spec, "must name an architecture and a pretrained tag, e.g. open_clip:ViT-B-32/openai"
            )
        from fashion_search.embed.clip import OpenClipEmbedder

        return OpenClipEmbedder.from_pretrained(arch, tag, cache_dir=cache_dir, threads=threads)
    raise _bad_spec(spec, "is not a known model")


@dataclass(frozen=True, slots=True)
class EmbedderSpec:
    """A picklable recipe for an embedder: batch runners ship this to workers, which build the model.

    Calling it loads the model (once per call), so a worker builds its embedder where it runs
    instead of receiving a pickled model.
    """

    spec: str
    cache_dir: Path
    threads: int = 2

    def __call__(self) -> Embedder:
        return load_embedder(self.spec, cache_dir=self.cache_dir, threads=self.threads)
