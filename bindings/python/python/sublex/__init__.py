"""sublex: embed any word and tag sentences with a tiny character model.

The runtime of the sublex toolkit (Rust, behind PyO3): ``Embedder`` turns words into float32
numpy vectors with the character model that ``sublex-train`` exported (a hybrid file also
returns the teacher rows it stores), ``Tagger`` tags sentences (``tag_text`` raw text, cut
into words by ``tokenize`` as the treebank does; ``tag`` words already split).
"""

from ._sublex import Embedder, Tagger, __version__, tokenize

__all__ = ["Embedder", "Tagger", "to_keyed_vectors", "tokenize", "__version__"]


def to_keyed_vectors(embedder, words):
    """The vectors of ``words`` as a gensim ``KeyedVectors`` (needs gensim: ``pip install
    sublex[gensim]``), so that ``most_similar`` and gensim's evaluations run on the student."""
    try:
        from gensim.models import KeyedVectors
    except ImportError as e:  # gensim is optional
        raise ImportError("to_keyed_vectors needs gensim: pip install 'sublex[gensim]'") from e
    words = list(words)
    kv = KeyedVectors(vector_size=embedder.dim)
    kv.add_vectors(words, embedder.embed(words))
    return kv
