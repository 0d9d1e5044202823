from os import PathLike
from typing import Any, Iterable, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Path = Union[str, PathLike[str]]

class Embedder:
    """A character model that embeds any word (a hybrid file also returns its stored rows).

    Raises OSError when the file cannot be read, ValueError when it is not a valid sublex
    embedder (the message names the file)."""

    def __init__(self, path: _Path, backend: str = "auto") -> None: ...
    def embed(self, words: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of ``words``: shape ``(len(words), dim)``; a word's vector does not depend
        on the other words of the call."""
    def similar(self, word: str, among: Sequence[str], k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words of ``among`` nearest to ``word`` by cosine, best first (``word``
        itself left out)."""
    @property
    def dim(self) -> int: ...
    @property
    def stored_rows(self) -> int: ...
    @property
    def backend(self) -> str: ...
    @property
    def info(self) -> dict[str, Any]: ...

class Tagger:
    """A part-of-speech tagger over tokenised sentences."""

    def __init__(self, path: _Path, backend: str = "auto") -> None: ...
    def tag(self, tokens: Sequence[str]) -> list[str]: ...
    def tag_text(self, text: str) -> list[tuple[str, str]]:
        """Tags one sentence of raw text, cut into words by ``tokenize``."""
    def scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """Every tag's score for every token: shape ``(len(tokens), len(tags))``."""
    @property
    def tags(self) -> list[str]: ...
    @property
    def backend(self) -> str: ...
    @property
    def info(self) -> dict[str, Any]: ...

def tokenize(text: str) -> list[str]:
    """The words of raw text as the taggers' treebank (UD English EWT) cuts them."""

def to_keyed_vectors(embedder: Embedder, words: Iterable[str]) -> Any:
    """A gensim ``KeyedVectors`` of ``words`` (needs gensim)."""
