"""dashboard/ticks.py: a tick is kept as an address, whatever row a later list puts it on."""
from dashboard import ticks


def test_rows_follow_the_address_not_the_row_number():
    first = ticks.identities(["a", "b", "c", "d"], ["1 A St", "2 B St", "3 C St", "4 D St"])
    ticked = ticks.after_selection(first, ["1 A St", "2 B St", "3 C St", "4 D St"], [1, 3], {})
    assert ticked == {"b": "2 B St", "d": "4 D St"}

    reordered = ticks.identities(["d", "x", "b"], ["4 D St", "9 X St", "2 B St"])
    assert ticks.rows_of(reordered, ticked) == [0, 2]
    assert ticks.not_in(reordered, ticked) == {}

    shorter = ticks.identities(["a", "b"], ["1 A St", "2 B St"])
    assert ticks.rows_of(shorter, ticked) == [1]
    assert ticks.not_in(shorter, ticked) == {"d": "4 D St"}
    # Unticking b in the short list keeps d, which that list does not show.
    assert ticks.after_selection(shorter, ["1 A St", "2 B St"], [], ticked) == {"d": "4 D St"}


def test_a_row_without_a_key_is_known_by_its_address_and_rows_out_of_range_are_ignored():
    ids = ticks.identities([None, "", "k"], ["1 A St", "2 B St", None])
    assert ids == ["address:1 A St", "address:2 B St", "k"]
    assert ticks.after_selection(ids, ["1 A St", "2 B St", None], [0, 2, 7, -1], {}) == {
        "address:1 A St": "1 A St", "k": ""}


def test_the_table_is_new_when_its_rows_or_their_order_change():
    assert ticks.table_key(["a", "b"]) == ticks.table_key(["a", "b"])
    assert ticks.table_key(["a", "b"]) != ticks.table_key(["b", "a"])
    assert ticks.table_key(["a", "b"]) != ticks.table_key(["a", "b", "c"])
