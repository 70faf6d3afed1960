"""Vietnamese matching rules, on every backend: what is found and in which order."""
from __future__ import annotations

import pytest

from marketplace.catalog.listing import BrowseParams, browse
from tests import factories as f


def names(q: str, **params) -> list[str]:
    return [p.name for p in browse(BrowseParams(q=q, **params)).items]


def test_unaccented_queries_find_accented_products_and_d_stroke_folds_to_d(backend):
    f.product("Bánh đa Hạ Long")
    f.product("Mật ong rừng Ba Chẽ")
    f.product("Hộp quà biển", description="Đặc sản Hạ Long: chả mực, sá sùng")
    f.product("Nước mắm Cái Rồng")
    assert names("banh da") == ["Bánh đa Hạ Long"]
    assert names("mat ong") == ["Mật ong rừng Ba Chẽ"]
    assert names("dac san ha long") == ["Hộp quà biển"]
    assert names("BÁNH ĐA") == ["Bánh đa Hạ Long"]
    assert names("DAC SAN") == ["Hộp quà biển"]
    assert names("ca phe") == []


def test_every_word_must_match(backend):
    f.product("Mật ong rừng Ba Chẽ")
    f.product("Trà hoa vàng Ba Chẽ")
    assert names("ba che") == ["Mật ong rừng Ba Chẽ", "Trà hoa vàng Ba Chẽ"] or \
        sorted(names("ba che")) == ["Mật ong rừng Ba Chẽ", "Trà hoa vàng Ba Chẽ"]
    assert names("tra ba che") == ["Trà hoa vàng Ba Chẽ"]


def test_exact_phrase_ranks_above_the_same_words_apart(backend):
    scattered = f.product("Ong mật và sáp ong", description="Sáp ong vàng, mật độ cao")
    phrase = f.product("Mật ong rừng", description="Ong rừng Ba Chẽ")
    result = browse(BrowseParams(q="mật ong"))
    assert [p.id for p in result.items] == [phrase.id, scattered.id]
    assert [p.id for p in browse(BrowseParams(q="mat ong")).items] == [phrase.id, scattered.id]


def test_a_long_phrase_counts_only_with_its_words_in_a_row(backend):
    # Each holds "trà hoa" and "hoa vàng", but only the second holds "trà hoa vàng"; the
    # shorter name would come first if holding the pairs were taken for the phrase.
    pairs_apart = f.product("Trà hoa sen hoa vàng")
    phrase = f.product("Trà hoa vàng túi lọc Ba Chẽ")
    words_apart = f.product("Hộp quà", description="Trà sen, hoa sen và vàng mã")
    phrase_in_description = f.product("Hộp quà Tết lớn", description="Gồm trà hoa vàng")
    expected = [phrase.id, pairs_apart.id, phrase_in_description.id, words_apart.id]
    assert [p.id for p in browse(BrowseParams(q="tra hoa vang")).items] == expected
    assert [p.id for p in browse(BrowseParams(q="trà hoa vàng")).items] == expected


def test_accented_query_ranks_accent_exact_matches_first(backend):
    cha_muc = f.product("Chả mực Hạ Long")
    cha_muc_other = f.product("Chà mục Hạ Long")
    # Both fold to "cha muc ha long": the accented query prefers the exact spelling...
    assert [p.id for p in browse(BrowseParams(q="chà mục")).items] == [cha_muc_other.id, cha_muc.id]
    assert [p.id for p in browse(BrowseParams(q="chả mực")).items] == [cha_muc.id, cha_muc_other.id]
    # ...and the unaccented one finds both.
    assert {p.id for p in browse(BrowseParams(q="cha muc")).items} == {cha_muc.id, cha_muc_other.id}


def test_name_outranks_description(backend):
    in_description = f.product("Hộp quà Tết", description="Gồm trà hoa vàng và mật ong")
    in_name = f.product("Trà hoa vàng", description="Hộp 100 g")
    assert [p.id for p in browse(BrowseParams(q="tra hoa vang")).items] == [in_name.id, in_description.id]
    assert [p.id for p in browse(BrowseParams(q="tra")).items] == [in_name.id, in_description.id]


def test_producer_name_and_locality_are_searchable(backend):
    van_don = f.locality("Vân Đồn", region="Vân Đồn", kind="special_zone")
    dong_tam = f.producer("HTX Đồng Tâm", loc=van_don)
    sa_sung = f.product("Sá sùng khô", prod=dong_tam)
    f.product("Mật ong rừng")  # Ba Chẽ, another producer
    assert names("dong tam") == ["Sá sùng khô"]
    assert names("van don") == ["Sá sùng khô"]
    assert names("sa sung van don") == ["Sá sùng khô"]
    # A name match still outranks a match on the producer or the place.
    named = f.product("Chả mực Vân Đồn")
    assert [p.id for p in browse(BrowseParams(q="van don")).items] == [named.id, sa_sung.id]


def test_a_typo_gives_did_you_mean_and_its_results(backend):
    tea = f.product("Trà hoa vàng Ba Chẽ")
    f.product("Mật ong rừng Ba Chẽ")
    for typo in ("tra hoa vabg ba che", "tra hoa vang ba chr", "tra hao vang ba che", "tea hoa vang ba che"):
        result = browse(BrowseParams(q=typo))
        assert [p.id for p in result.items] == [tea.id], typo
        assert result.suggestion == "tra hoa vang ba che", typo
    # A query that matches as typed has no suggestion.
    assert browse(BrowseParams(q="tra hoa vang")).suggestion is None


def test_no_suggestion_when_nothing_is_close(backend):
    f.product("Trà hoa vàng Ba Chẽ")
    result = browse(BrowseParams(q="xyzxyz"))
    assert result.items == [] and result.total == 0 and result.suggestion is None


def test_filters_that_exclude_everything_do_not_trigger_a_correction(backend):
    f.product("Trà hoa vàng", stars=3)
    result = browse(BrowseParams(q="tra hoa vang", stars=[5]))
    assert result.total == 0 and result.suggestion is None


@pytest.mark.parametrize("hidden", ["draft", "archived", "unapproved", "suspended"])
def test_only_active_products_of_selling_producers_are_found(backend, hidden):
    from marketplace.timeutil import utcnow

    visible = f.product("Mật ong rừng")
    if hidden in ("draft", "archived"):
        f.product("Mật ong hoa nhãn", status=hidden)
    elif hidden == "unapproved":
        f.product("Mật ong hoa nhãn", prod=f.producer(approved=False))
    else:
        f.product("Mật ong hoa nhãn", prod=f.producer(suspended_at=utcnow()))
    result = browse(BrowseParams(q="mat ong"))
    assert [p.id for p in result.items] == [visible.id] and result.total == 1
    assert result.facets["stars"]["4"] == 1
