"""Text to vectors with WordLlama's ``l2_supercat`` 256-dimension model, whose weights
(16 MB) and tokenizer ship inside the ``wordllama`` wheel: nothing is downloaded, ever.

The files are read straight from the installed package: WordLlama's own loader looks for
the tokenizer in a folder the wheel doesn't have and then downloads it from Hugging Face,
and importing the package configures the root logger. The computation is WordLlama's
(the mean of the tokens' embeddings, normalized): one lookup per token, no neural network,
so a 1000-token chunk embeds in well under a millisecond on a CPU.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

MODEL = "wordllama l2_supercat_256"
DIMENSIONS = 256
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
MAX_TOKENS = 4096  # a query or chunk longer than this is embedded by its beginning


class ModelMissing(RuntimeError):
    """The ``wordllama`` package (or its bundled files) is not installed."""


def bundled_files() -> tuple[Path, Path]:
    spec = importlib.util.find_spec("wordllama")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing("the wordllama package is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    weights, tokenizer = root / _WEIGHTS, root / _TOKENIZER
    if not weights.is_file() or not tokenizer.is_file():
        raise ModelMissing(f"wordllama's bundled model files are missing under {root}")
    return weights, tokenizer


class Embedder:
    """Loaded on first use (32 MB of memory from then on); safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table: np.ndarray | None = None
        self._tokenizer = None

    def load(self) -> None:
        """Read the model's files (once; later calls return at once)."""
        if self._table is not None:
            return
        with self._lock:
            if self._table is not None:
                return
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            weights, tokenizer_file = bundled_files()
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.no_padding()
            tokenizer.enable_truncation(MAX_TOKENS)
            table = load_file(str(weights))["embedding.weight"]
            self._tokenizer = tokenizer
            self._table = np.ascontiguousarray(table, dtype=np.float16)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32); an empty text is a zero row."""
        self.load()
        table = self._table
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        for row, encoding in enumerate(encodings):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            if ids.size:
                ids = np.clip(ids, 0, table.shape[0] - 1)
                out[row] = table[ids].astype(np.float32).mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


def chunk_vectors(embedder: Embedder, chunks: list[str]) -> list[bytes]:
    """Each chunk's vectors, one per window (``chunking.windows``), as stored: float32
    little-endian rows."""
    from .chunking import windows

    pieces = [windows(chunk) for chunk in chunks]
    matrix = embedder.embed([window for piece in pieces for window in piece])
    blobs, at = [], 0
    for piece in pieces:
        blobs.append(np.asarray(matrix[at : at + len(piece)], dtype="<f4").tobytes())
        at += len(piece)
    return blobs


def from_blobs(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The vectors of several chunks as one matrix, and where each chunk's rows start."""
    counts = np.asarray([len(blob) // (4 * DIMENSIONS) for blob in blobs], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else counts
    matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(-1, DIMENSIONS)
    return matrix, starts
