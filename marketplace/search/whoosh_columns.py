"""What the Whoosh index stores and how one version of it is read and ranked.

Whoosh keeps the postings (folded words of name, description and meta) and
per-document columns; `Snapshot` decodes the columns once per segment and answers
filters, facets and sorts on them; `ranked` orders matches by the rules of base.py.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import compress

from whoosh import columns, fields
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from .base import (W_ACCENT_PHRASE, W_ACCENT_WORD, W_DESCRIPTION, W_META, W_NAME, W_PHRASE_DESCRIPTION, W_PHRASE_NAME,
                   Query)
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
MAX_KEPT = 1024  # bitmaps of postings, name words or pairs a segment keeps (of each kind)
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


class Snapshot:
    """The per-document columns of one index version, as lists indexed by global docnum.

    Columns are decoded once per segment (segments are immutable; a process keeps the
    decoded ones it still uses), deletions per version. Sets of documents are bitmaps
    (Python ints): filters, facets, scores and orders are a few ANDs and bit counts over
    them, and only the documents a page shows become a list. Postings, name words, column
    values (stars: those live today) and sort orders are derived once per segment and kept
    with it, so a new version (one product written) shifts and ORs them again instead of
    reading or sorting every document.
    """

    def __init__(self, version, reader, today: int, segment_cache: dict):
        self.version = version
        self.today = today
        self.parts: list[tuple[str, int]] = []
        self.col: dict[str, list] = {name: [] for name in NUMBER_COLUMNS + STRING_COLUMNS}
        self.deleted: set[int] = set()
        self.decoded: list[dict] = []
        self.by_id: dict[str, dict] = {}
        for segment_reader, offset in reader.leaf_readers():
            if segment_reader.segment() is None:  # an empty index
                continue
            seg_id = segment_reader.segment().segment_id()
            decoded = segment_cache.get(seg_id)
            if decoded is None:
                decoded = segment_cache[seg_id] = decode(segment_reader)
            self.parts.append((seg_id, offset))
            self.decoded.append(decoded)
            self.by_id[seg_id] = decoded
            for name, values in self.col.items():
                values.extend(decoded[name])
            if segment_reader.has_deletions():
                self.deleted.update(offset + d for d in segment_reader.deleted_docs_set)
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

    def _combined(self, local) -> int:
        """One bitmap of the whole version from each segment's: local(decoded) per segment."""
        bits = 0
        for decoded, (_, offset) in zip(self.decoded, self.parts):
            bits |= local(decoded) << offset
        return bits

    def postings(self, reader, field: str, term: str) -> int:
        """The documents containing `term` in `field` (postings of `reader`, this version's reader)."""
        bits = 0
        for segment_reader, offset in reader.leaf_readers():
            if segment_reader.segment() is None:
                continue
            decoded = self.by_id[segment_reader.segment().segment_id()]
            bits |= kept(decoded, "postings", (field, term), lambda: to_bits(
                segment_reader.postings(field, term).all_ids()) if (field, term) in segment_reader else 0) << offset
        return bits

    def name_bits(self, column: str, words: list[str]) -> int:
        """The documents whose name (`name_f` folded, `name_a` accented) holds every word and
        every pair of neighbours of `words`: exactly the phrase up to two words, else a superset."""
        terms = words[:1] if len(words) == 1 else list(zip(words, words[1:]))
        bits = -1
        for term in terms:
            def local(decoded, term=term):
                found = kept(decoded, "names", column, lambda: name_terms(decoded[column])).get(term)
                return kept(decoded, "name_bits", (column, term), lambda: to_bits(found) if found else 0)

            bits &= self._combined(local)
        return bits if bits != -1 else 0

    def bits_of(self, column: str) -> dict:
        """{value: bitmap of the documents with that value} for a column (once per version)."""
        found = self._bits.get(column)
        if found is None:
            found = {}
            for decoded, (_, offset) in zip(self.decoded, self.parts):
                for value, bits in value_bits(decoded, column, self.today).items():
                    found[value] = found.get(value, 0) | bits << offset
            self._bits[column] = found
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
        if params.price_min is not None or params.price_max is not None:
            matched &= self.price_between(params.price_min, params.price_max)
        if params.in_stock is not None:
            matched &= any_of("in_stock", [params.in_stock])
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

    def first(self, sort: str, bits: int, k: int) -> list[int]:
        """The first k documents of the bitmap `bits` in the order of `sort`, or of `tie`
        (shorter name, then id): the first k of each segment (its order is kept with it),
        then those merged."""
        if k <= 0 or not bits:
            return []
        found: list[tuple] = []
        for decoded, (_, offset) in zip(self.decoded, self.parts):
            local = (bits >> offset) & ((1 << len(decoded["id"])) - 1)
            if local:
                order = segment_order(decoded, sort, self.today)
                found += [(order.keys[d], d + offset) for d in order.first(local, k)]
        if len(self.parts) > 1:
            found.sort()
        return [d for _, d in found[:k]]

    def price_between(self, low, high) -> int:
        """The documents priced in [low, high] (either end None: open), as a bitmap."""
        return self._combined(lambda decoded: segment_order(decoded, "price_asc", self.today).between(low, high))


class Order:
    """Documents in one order, cut into runs of CHUNK with each run's bitmap: the first k
    documents of a set are found by ANDing the runs in turn, listing only the runs that
    hold them (the rest of the set is never listed nor compared)."""

    CHUNK = 1024

    def __init__(self, docs: list[int], keys: list, values: list | None = None):
        self.docs = docs
        self.keys = keys  # per document, what the order compares (documents of other segments too)
        self.rank = [0] * len(docs)
        for position, d in enumerate(docs):
            self.rank[d] = position
        self.chunks = [(to_bits(docs[i:i + self.CHUNK]), docs[i:i + self.CHUNK])
                       for i in range(0, len(docs), self.CHUNK)]
        self.values = [values[d] for d in docs] if values is not None else None  # ascending

    def first(self, bits: int, k: int) -> list[int]:
        """The first k documents of the bitmap `bits` in this order."""
        if k <= 0 or not bits:
            return []
        if bits.bit_count() <= 2 * k:
            return sorted(from_bits(bits), key=self.rank.__getitem__)[:k]
        found: list[int] = []
        for chunk_bits, chunk_docs in self.chunks:
            hit = chunk_bits & bits
            if hit:
                members = set(from_bits(hit))
                found += [d for d in chunk_docs if d in members]
                if len(found) >= k:
                    break
        return found[:k]

    def between(self, low, high) -> int:
        """The documents whose value (ascending in this order) lies in [low, high], as a bitmap."""
        start = 0 if low is None else bisect_left(self.values, low)
        end = len(self.docs) if high is None else bisect_right(self.values, high)
        if start >= end:
            return 0
        size = self.CHUNK
        first_full, last_full = -(-start // size), end // size  # the chunks wholly inside
        if first_full >= last_full:
            return to_bits(self.docs[start:end])
        bits = to_bits(self.docs[start:first_full * size]) | to_bits(self.docs[last_full * size:end])
        for chunk_bits, _ in self.chunks[first_full:last_full]:
            bits |= chunk_bits
        return bits


def segment_order(decoded: dict, sort: str, today: int) -> Order:
    """One segment's documents in the order of `sort` (or `tie`), kept with the segment."""
    def compute():
        col, ids = decoded, decoded["id"]
        if sort == "price_asc":
            keys = list(zip(col["price"], ids))
        elif sort == "price_desc":
            keys = [(-price, -i) for price, i in zip(col["price"], ids)]
        elif sort == "stars":
            keys = [(-(s if s and u >= today else 0), -sold, -i)
                    for s, u, sold, i in zip(col["stars"], col["cert_until"], col["sold"], ids)]
        elif sort == "bestselling":
            keys = [(-sold, -i) for sold, i in zip(col["sold"], ids)]
        elif sort == "tie":
            keys = [(name.count(" "), i) for name, i in zip(col["name_f"], ids)]
        else:  # newest
            keys = [(-created, -i) for created, i in zip(col["created"], ids)]
        return Order(sorted(range(len(ids)), key=keys.__getitem__), keys,
                     col["price"] if sort == "price_asc" else None)

    return kept(decoded, "orders", (sort, today if sort == "stars" else None), compute)


def kept(decoded: dict, cache: str, key, compute):
    """Something derived from one segment, kept with its decoded columns (a segment never
    changes): the cache `cache` of the segment, key `key`, computed on first use."""
    found = decoded.setdefault(cache, {})
    value = found.get(key)
    if value is None:
        if len(found) >= MAX_KEPT:
            found.clear()
        value = found[key] = compute()
    return value


def value_bits(decoded: dict, column: str, today: int) -> dict:
    """{value: bitmap} of one segment's column (stars: those live today; in_stock: stock > 0)."""
    def compute():
        if column == "stars":
            values = [s if s and u >= today else 0 for s, u in zip(decoded["stars"], decoded["cert_until"])]
        elif column == "in_stock":
            values = [stock > 0 for stock in decoded["stock"]]
        else:
            values = decoded[column]
        docs_by_value: dict = {}
        for d, value in enumerate(values):
            docs_by_value.setdefault(value, []).append(d)
        return {value: to_bits(docs) for value, docs in docs_by_value.items()}

    return kept(decoded, "values", (column, today if column == "stars" else None), compute)


def name_terms(names: list[str]) -> dict:
    """{word or pair of neighbouring words: [documents]} of one segment's padded names."""
    terms: dict = {}
    for d, name in enumerate(names):
        words_ = name.split()
        for term in set(words_).union(zip(words_, words_[1:])):
            terms.setdefault(term, []).append(d)
    return terms


def decode(segment_reader) -> dict[str, list]:
    decoded = {}
    for name in NUMBER_COLUMNS:
        decoded[name] = [int(v) for v in segment_reader.column_reader(name, translate=False)]
    for name in STRING_COLUMNS:
        decoded[name] = [v.decode("utf-8") for v in segment_reader.column_reader(name, translate=False)]
    return decoded


def ranked(query: Query, matched: int, word_bits, snapshot: Snapshot, k: int) -> list[int]:
    """The best k documents by the matching rules (base.py); ties: shorter name, then id.

    Documents with every word in the name come first (base.py), so when they alone fill
    the k places nothing else is scored.
    """
    in_name = matched
    for name_bits, _, _ in word_bits:
        in_name &= name_bits
    top = _best(query, in_name, word_bits, snapshot, k, True)
    if len(top) < k:
        top += _best(query, matched & ~in_name, word_bits, snapshot, k - len(top), False)
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


_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


def from_bits(bits: int) -> list[int]:
    """The document numbers of a bitmap, ascending (C loops: a search per set bit when
    they are few, else bin, translate and compress over every position)."""
    text = bin(bits)[:1:-1]
    if bits.bit_count() * 8 < len(text):
        found, find = [], text.find
        d = find("1")
        while d >= 0:
            found.append(d)
            d = find("1", d + 1)
        return found
    flags = text.encode("ascii").translate(_FLAGS)
    return list(compress(range(len(flags)), flags))


def sum_bits(bitmaps) -> int:
    result = 0
    for bits in bitmaps:
        result |= bits
    return result


def all_bits(bitmaps, within: int) -> int:
    for bits in bitmaps:
        within &= bits
    return within


def _score_groups(docs: int, features: list[tuple[int, int]]) -> dict[int, int]:
    """{score: bitmap}: the documents split by the sum of the weights of the features
    (bitmap, weight) they have, a few ANDs per feature and score instead of per document."""
    groups = {0: docs}
    for bits, weight in features:
        bits &= docs
        if not bits:
            continue
        split: dict[int, int] = {}
        for score, group in groups.items():
            hit = group & bits
            if hit:
                split[score + weight] = split.get(score + weight, 0) | hit
                group &= ~bits
            if group:
                split[score] = split.get(score, 0) | group
        groups = split
    return groups


def _best(query: Query, docs: int, word_bits, snapshot: Snapshot, k: int, all_in_name: bool) -> list[int]:
    """The best k documents of the bitmap `docs`: each rule a bitmap, the documents grouped
    by score, then the top groups' documents in name-length and id order.

    Phrases of three words or more (in the name) and phrases in the description are first
    taken from a superset (every pair of neighbours; every word in the description); when
    a chosen document turns out not to hold the phrase, that rule is checked on every
    document and the page chosen again.
    """
    if not docs or k <= 0:
        return []
    features: list[tuple[int, int]] = []
    for name_bits, description_bits, meta_bits in word_bits:
        if not all_in_name:
            features.append((name_bits, W_NAME))
        features += [(description_bits, W_DESCRIPTION), (meta_bits, W_META)]
    checks: list[tuple[int, list[str], str]] = []  # (feature, column, text) taken from a superset

    def add(bits: int, weight: int, column: str, text: str, exact: bool) -> None:
        if not exact:
            checks.append((len(features), snapshot.col[column], text))
        features.append((bits & docs, weight))

    tokens, accented = query.tokens, query.accented
    if len(tokens) > 1:
        if all_in_name:  # a phrase in the name needs every word there
            add(snapshot.name_bits("name_f", tokens), W_PHRASE_NAME, "name_f", padded(tokens), len(tokens) == 2)
        in_description = all_bits((description_bits for _, description_bits, _ in word_bits), docs)
        add(in_description, W_PHRASE_DESCRIPTION, "desc_f", padded(tokens), False)
    if accented:
        named = docs if all_in_name else docs & sum_bits(name_bits for name_bits, _, _ in word_bits)
        if len(accented) > 1 and all_in_name:
            add(snapshot.name_bits("name_a", accented), W_ACCENT_PHRASE, "name_a", padded(accented),
                len(accented) == 2)
        for word in accented:
            features.append((named & snapshot.name_bits("name_a", [word]), W_ACCENT_WORD))
    while True:
        groups = _score_groups(docs, features)
        top: list[int] = []
        for score in sorted(groups, reverse=True):
            top += snapshot.first("tie", groups[score], k - len(top))
            if len(top) >= k:
                break
        wrong = [(feature, column, text) for feature, column, text in checks
                 if any(features[feature][0] >> d & 1 and text not in column[d] for d in top)]
        if not wrong:
            return top
        for check in wrong:  # check that rule on every document, then choose again
            feature, column, text = check
            bits, weight = features[feature]
            features[feature] = (to_bits(d for d in from_bits(bits) if text in column[d]), weight)
            checks.remove(check)


def empty_facets() -> dict:
    return {"stars": {"3": 0, "4": 0, "5": 0}, "category": {}, "locality": {}}


