"""What the Whoosh index stores and how one version of it is read and ranked.

Whoosh keeps the postings (folded words of name, description and meta) and
per-document columns; `Snapshot` decodes the columns once per segment and answers
filters, facets and sorts on them; `ranked` orders matches by the rules of base.py.
"""
from __future__ import annotations

import heapq
from itertools import compress

from whoosh import columns, fields
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from .base import Query
from .documents import ProductDoc
from .spelling import PhraseIndex
from .text import fold_vietnamese, folded_words, padded, words


class FoldFilter(Filter):
    """Strips Vietnamese marks (đ -> d) from lower-cased tokens; offsets stay those of the original."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold_vietnamese(token.text)
            yield token


FOLDED = RegexTokenizer(r"\w+") | LowercaseFilter() | FoldFilter()
ACCENTED = RegexTokenizer(r"\w+") | LowercaseFilter()


def _number():
    return fields.COLUMN(columns.NumericColumn("q"))


def _text_column():
    return fields.COLUMN(columns.VarBytesColumn())


SCHEMA = fields.Schema(
    pk=fields.ID(unique=True, stored=True),
    slug=fields.STORED,
    title=fields.STORED,
    # Searched words (postings only: phrases and accents are checked on the columns below).
    name=fields.TEXT(analyzer=FOLDED, phrase=False),
    description=fields.TEXT(analyzer=FOLDED, phrase=False),
    meta=fields.TEXT(analyzer=FOLDED, phrase=False),
    # Per-document values, not indexed: filters, facets, sorts, ranking.
    id=_number(), producer_id=_number(), price=_number(), stock=_number(), sold=_number(),
    created=_number(), stars=_number(), cert_until=_number(),
    category=fields.COLUMN(columns.RefBytesColumn()), category_group=fields.COLUMN(columns.RefBytesColumn()),
    locality=fields.COLUMN(columns.RefBytesColumn()), region=fields.COLUMN(columns.RefBytesColumn()),
    name_f=_text_column(), name_a=_text_column(), desc_f=_text_column(), meta_f=_text_column(),
)
NUMBER_COLUMNS = ("id", "producer_id", "price", "stock", "sold", "created", "stars", "cert_until")
STRING_COLUMNS = ("category", "category_group", "locality", "region", "name_f", "name_a", "desc_f", "meta_f")

def _fields(doc: ProductDoc) -> dict:
    def b(text: str) -> bytes:
        return text.encode("utf-8")

    return {
        "pk": str(doc.id), "slug": doc.slug, "title": doc.name,
        "name": doc.name, "description": doc.description, "meta": doc.meta,
        "id": doc.id, "producer_id": doc.producer_id, "price": doc.price, "stock": doc.stock, "sold": doc.sold,
        "created": doc.created, "stars": doc.stars, "cert_until": doc.cert_until,
        "category": b(doc.category), "category_group": b(doc.category_group), "locality": b(doc.locality),
        "region": b(doc.region), "name_f": b(padded(folded_words(doc.name))), "name_a": b(padded(words(doc.name))),
        "desc_f": b(padded(folded_words(doc.description))), "meta_f": b(padded(folded_words(doc.meta))),
    }


# Relative weights of the matching rules (see base.py).
W_NAME, W_DESCRIPTION, W_META = 3.0, 1.0, 0.6
W_PHRASE_NAME, W_PHRASE_DESCRIPTION = 12.0, 3.0
W_ACCENT_PHRASE, W_ACCENT_WORD = 16.0, 4.0



class Snapshot:
    """The per-document columns of one index version, as lists indexed by global docnum.

    Columns are decoded once per segment (segments are immutable; a process keeps the
    decoded ones it still uses), deletions and today's live stars per version.
    """

    def __init__(self, version, reader, today: int, segment_cache: dict):
        self.version = version
        self.today = today
        self.parts: list[tuple[str, int]] = []
        self.col: dict[str, list] = {name: [] for name in NUMBER_COLUMNS + STRING_COLUMNS}
        self.deleted: set[int] = set()
        self.decoded: list[dict] = []
        for segment_reader, offset in reader.leaf_readers():
            if segment_reader.segment() is None:  # an empty index
                continue
            seg_id = segment_reader.segment().segment_id()
            decoded = segment_cache.get(seg_id)
            if decoded is None:
                decoded = segment_cache[seg_id] = decode(segment_reader)
            self.parts.append((seg_id, offset))
            self.decoded.append(decoded)
            for name, values in self.col.items():
                values.extend(decoded[name])
            if segment_reader.has_deletions():
                self.deleted.update(offset + d for d in segment_reader.deleted_docs_set)
        self.live_stars = [s if s and u >= today else 0 for s, u in zip(self.col["stars"], self.col["cert_until"])]
        self.name_length = [name.count(" ") for name in self.col["name_f"]]
        self._ranks: dict[str, list[int]] = {}
        self._bits: dict[str, dict] = {}
        self.live = ((1 << len(self.col["id"])) - 1) & ~to_bits(self.deleted)

    def phrase_indexes(self) -> list[PhraseIndex]:
        """Known phrases per segment (each document's folded name and producer/place/category),
        built on first use and kept with the segment's decoded columns."""
        indexes = []
        for decoded in self.decoded:
            if "phrases" not in decoded:
                decoded["phrases"] = PhraseIndex(decoded["name_f"] + decoded["meta_f"])
            indexes.append(decoded["phrases"])
        return indexes

    def bits_of(self, column: str) -> dict:
        """{value: bitmap of the documents with that value} for a column (once per version)."""
        found = self._bits.get(column)
        if found is None:
            docs_by_value: dict = {}
            values = self.live_stars if column == "stars" else self.col[column]
            for d, value in enumerate(values):
                docs_by_value.setdefault(value, []).append(d)
            found = self._bits[column] = {value: to_bits(docs) for value, docs in docs_by_value.items()}
        return found

    def filter(self, matched: int, params) -> int:
        """The matches (a bitmap) that pass the filters of `params`."""
        def any_of(column, values):
            bits = self.bits_of(column)
            return sum_bits(bits.get(v, 0) for v in values)

        if params.stars:
            matched &= any_of("stars", set(params.stars))
        if params.category:
            matched &= any_of("category", [params.category]) | any_of("category_group", [params.category])
        if params.locality:
            matched &= any_of("locality", [params.locality]) | any_of("region", [params.locality])
        if params.producer is not None:
            matched &= any_of("producer_id", [params.producer])
        if params.price_min is not None or params.price_max is not None or params.in_stock is not None:
            low = params.price_min if params.price_min is not None else -1
            high = params.price_max if params.price_max is not None else float("inf")
            price, stock, wanted = self.col["price"], self.col["stock"], params.in_stock
            matched = to_bits(d for d in from_bits(matched) if low <= price[d] <= high
                              and (wanted is None or (stock[d] > 0) is wanted))
        return matched

    def facets(self, matched: int) -> dict:
        """Counts per value over the matches: one AND and a bit count per value."""
        def count(column):
            counts = {v: (bits & matched).bit_count() for v, bits in self.bits_of(column).items() if v}
            return {v: n for v, n in counts.items() if n}

        stars = {"3": 0, "4": 0, "5": 0}
        stars.update({str(v): n for v, n in count("stars").items()})
        category = count("category")
        for slug, n in count("category_group").items():
            category[slug] = category.get(slug, 0) + n
        return {"stars": stars, "category": category, "locality": count("locality")}

    def sort_rank(self, sort: str) -> list[int]:
        """Position of each document in the whole index under `sort` (computed once per version)."""
        rank = self._ranks.get(sort)
        if rank is None:
            col, ids = self.col, self.col["id"]
            keys = {
                "price_asc": lambda d: (col["price"][d], ids[d]),
                "price_desc": lambda d: (-col["price"][d], -ids[d]),
                "stars": lambda d: (-self.live_stars[d], -col["sold"][d], -ids[d]),
                "bestselling": lambda d: (-col["sold"][d], -ids[d]),
            }
            key = keys.get(sort, lambda d: (-col["created"][d], -ids[d]))  # newest
            rank = [0] * len(ids)
            for position, d in enumerate(sorted(range(len(ids)), key=key)):
                rank[d] = position
            self._ranks[sort] = rank
        return rank


def decode(segment_reader) -> dict[str, list]:
    decoded = {}
    for name in NUMBER_COLUMNS:
        decoded[name] = [int(v) for v in segment_reader.column_reader(name, translate=False)]
    for name in STRING_COLUMNS:
        decoded[name] = [v.decode("utf-8") for v in segment_reader.column_reader(name, translate=False)]
    return decoded




def ranked(query: Query, matched: int, word_sets, word_bits, snapshot: Snapshot, k: int) -> list[int]:
    """The best k documents by the matching rules (base.py); ties: shorter name, then id.

    Documents with every word in the name come first (base.py), so when they alone fill
    the k places nothing else is scored.
    """
    in_name = matched
    for name_bits, _, _ in word_bits:
        in_name &= name_bits
    top = _best(query, set(from_bits(in_name)), word_sets, snapshot, k, True)
    if len(top) < k:
        rest = set(from_bits(matched & ~in_name))
        top += _best(query, rest, word_sets, snapshot, k - len(top), False)
    return top


def to_bits(docs) -> int:
    """A bitmap (bit d set for document d) of some document numbers."""
    docs = list(docs)
    if not docs:
        return 0
    buffer = bytearray(max(docs) // 8 + 1)
    for d in docs:
        buffer[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buffer, "little")


_FLAGS = str.maketrans("01", "\x00\x01")


def from_bits(bits: int) -> list[int]:
    """The document numbers of a bitmap, ascending (C loops only: bin, translate, compress)."""
    flags = bin(bits)[:1:-1].translate(_FLAGS).encode("latin-1")
    return list(compress(range(len(flags)), flags))


def sum_bits(bitmaps) -> int:
    result = 0
    for bits in bitmaps:
        result |= bits
    return result


def _best(query: Query, docs: set, word_sets, snapshot: Snapshot, k: int, all_in_name: bool) -> list[int]:
    if not docs or k <= 0:
        return []
    score = dict.fromkeys(docs, 0.0)
    for name_docs, description_docs, meta_docs in word_sets:
        fields_ = ((description_docs, W_DESCRIPTION), (meta_docs, W_META))
        for found, weight in fields_ if all_in_name else ((name_docs, W_NAME),) + fields_:
            for d in docs.intersection(found):
                score[d] += weight
    name_f, name_a, desc_f = snapshot.col["name_f"], snapshot.col["name_a"], snapshot.col["desc_f"]
    if len(query.tokens) > 1:
        phrase = padded(query.tokens)
        if all_in_name:  # a phrase in the name needs every word there
            for d in docs:
                if phrase in name_f[d]:
                    score[d] += W_PHRASE_NAME
        in_description = set(docs)
        for _, description_docs, _ in word_sets:
            in_description &= description_docs
        for d in in_description:
            if phrase in desc_f[d]:
                score[d] += W_PHRASE_DESCRIPTION
    if query.accented:
        accented_phrase = padded(query.accented) if len(query.accented) > 1 and all_in_name else None
        accented_words = [f" {w} " for w in query.accented]
        for d in docs if all_in_name else docs & set().union(*(name_docs for name_docs, _, _ in word_sets)):
            name = name_a[d]
            if accented_phrase and accented_phrase in name:
                score[d] += W_ACCENT_PHRASE
            for word in accented_words:
                if word in name:
                    score[d] += W_ACCENT_WORD
    length, ids = snapshot.name_length, snapshot.col["id"]
    return heapq.nsmallest(k, docs, key=lambda d: (-score[d], length[d], ids[d]))


def empty_facets() -> dict:
    return {"stars": {"3": 0, "4": 0, "5": 0}, "category": {}, "locality": {}}


