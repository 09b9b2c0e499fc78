#!/usr/bin/python3
"""Write a tiny RoBERTa-style byte-level BPE tokenizer.json and reference encodings, deterministically.

    /usr/bin/python3 tools/reference/make_meter_tokenizer.py [--out DIR]

The layout is RoBERTa's (DESIGN-METER.md section 1): <s>=0, <pad>=1, </s>=2, <unk>=3, then the 256 byte
symbols of GPT-2's byte-to-unicode map, then the merges learnt here, then <mask>; ByteLevel pre-tokenizer without
prefix space; RobertaProcessing (<s> ... </s>). The merges are learnt by a plain BPE trainer on a fixed corpus.
expected.json holds, for a few questions, the ids an independent byte-level BPE encoder (below) gives, padded
with <pad> to max_len and truncated to <s> t1 .. t(L-2) </s> as RobertaTokenizer(padding="max_length",
truncation=True, max_length=L) does.

Pre-tokenisation uses GPT-2's pattern with Python's `re` (no `regex` module here): letters as [^\\W\\d_], numbers
as \\d. That equals \\p{L}/\\p{N} on the test strings (ASCII, Latin accents, an emoji), not on every script.
"""

import argparse
import collections
import json
import os
import re

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
MASK = "<mask>"
N_MERGES = 120
MAX_LEN = 16
PATTERN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")

CORPUS = """What color is the cat on the sofa?
How many people are in the picture?
Is there a dog in the image? Is the man wearing a hat?
What is the woman holding in her hand? The left image contains two dogs.
There are at least three birds sitting on the branch in one of the images.
What sport is being played? Where is the bus going? Is it raining outside?
The photo shows a red car parked next to a white building.
How many zebras are standing in the field? What time of day is it?
""" * 3


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE = bytes_to_unicode()


def pieces(text):
    return ["".join(BYTE[b] for b in p.encode("utf-8")) for p in PATTERN.findall(text)]


def train(corpus, n_merges):
    words = collections.Counter(pieces(corpus))
    splits = {w: list(w) for w in words}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            s = splits[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        # most frequent pair; ties to the lexicographically smallest for determinism
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        for w in words:
            s = splits[w]
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return merges


def bpe(piece, ranks):
    """Repeatedly merge the adjacent pair with the lowest rank (leftmost first)."""
    s = list(piece)
    while len(s) > 1:
        best, at = None, -1
        for i in range(len(s) - 1):
            r = ranks.get((s[i], s[i + 1]))
            if r is not None and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        s = s[:at] + [s[at] + s[at + 1]] + s[at + 2:]
    return s


def encode(text, vocab, ranks, max_len):
    ids = [vocab[t] for p in pieces(text) for t in bpe(p, ranks)]
    ids = ids[:max_len - 2]
    ids = [0] + ids + [2]
    return ids + [1] * (max_len - len(ids))


def tokenizer_json(vocab, merges):
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": t == MASK, "rstrip": False,
              "normalized": False, "special": True} for t in SPECIALS + [MASK]]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": ["%s %s" % m for m in merges]},
    }


CASES = [
    "What color is the cat?",
    "How many people are in the picture?",
    "Is it raining outside, or isn't it?",
    "The left image contains two dogs and 12 birds.",
    "Café crème 🐱 — naïve?",
    "  double  spaces and a trailing one ",
    "There are at least three birds sitting on the branch in one of the images, and this is long.",
    "",
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.normpath(os.path.join(
        here, "..", "..", "engine", "src", "test", "resources", "fixtures", "meter_tokenizer")))
    args = ap.parse_args()
    merges = train(CORPUS, N_MERGES)
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for b in range(256):
        vocab[BYTE[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    vocab[MASK] = len(vocab)
    ranks = {m: i for i, m in enumerate(merges)}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, merges), f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    expected = {"max_len": MAX_LEN, "vocab_size": len(vocab),
                "cases": [{"text": t, "ids": encode(t, vocab, ranks, MAX_LEN)} for t in CASES]}
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("vocab %d, merges %d" % (len(vocab), len(merges)))


if __name__ == "__main__":
    main()
