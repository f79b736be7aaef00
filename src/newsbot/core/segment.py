"""Chinese word segmentation: one jieba tokenizer with newsbot's user dictionary, shared by the
summarizer, the figure extractor and search (index and query must segment alike).

Loading the dictionary is the one file read here; it happens once, on first use.
"""

from __future__ import annotations

import logging
import threading
from importlib import resources

import jieba

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

# Bump when the dictionary or the segmentation rules change: the search index records it and
# `newsbot search --reindex` rebuilds an index built by another version.
SEGMENTER_VERSION = "jieba-0.42+userdict-3"


def tokenizer() -> jieba.Tokenizer:
    """The shared jieba tokenizer, initialised once with newsbot's user dictionary."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                userdict = resources.files("newsbot.data").joinpath("userdict.txt")
                if userdict.is_file():
                    with resources.as_file(userdict) as path:
                        tok.load_userdict(str(path))
                _tokenizer = tok
    return _tokenizer


def cut(text: str) -> list[str]:
    """Words of `text` (precise mode, no HMM guessing of unknown words across figures)."""
    return [w for w in tokenizer().cut(text, HMM=True) if w.strip()]


def cut_for_search(text: str) -> list[str]:
    """Words plus their shorter in-dictionary parts, for indexing and querying."""
    return [w for w in tokenizer().cut_for_search(text, HMM=True) if w.strip()]


def spans(text: str) -> list[tuple[str, int]]:
    """Words of `text` with their offsets (precise mode, no HMM): the words figure labels are
    cut from, so a label is always a run of whole words of its sentence."""
    words: list[tuple[str, int]] = []
    at = 0
    for word in tokenizer().cut(text, HMM=False):
        if word.strip():
            words.append((word, at))
        at += len(word)
    return words
