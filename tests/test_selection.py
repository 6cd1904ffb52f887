"""Selection follows ruff: codes and prefixes, ALL, the most specific of select/ignore wins."""

from __future__ import annotations

import pytest

from dslint.errors import ConfigError
from dslint.selection import Selection


@pytest.mark.parametrize(
    "select, ignore, code, expected",
    [
        (["ALL"], [], "D003", True),
        (["ALL"], ["D"], "D003", False),
        (["ALL"], ["D"], "F001", True),
        (["D003"], ["D"], "D003", True),  # the more specific select wins
        (["D"], ["D003"], "D003", False),  # the more specific ignore wins
        (["D"], ["D003"], "D001", True),
        (["F", "S"], [], "V001", False),
        ([], [], "F001", False),
        (["D"], ["D"], "D001", False),  # a tie goes to ignore
    ],
)
def test_selection(select, ignore, code, expected):
    assert (code in Selection(select, (), ignore)) is expected


def test_extend_select_adds():
    assert "V001" in Selection(["F"], ["V"], [])


def test_an_unknown_prefix_is_an_error_not_a_silent_empty_run():
    with pytest.raises(ConfigError, match="unknown rule code or prefix 'X9'"):
        Selection(["X9"]).validate(["F001", "D001"])
    with pytest.raises(ConfigError, match="did you mean 'D001'"):
        Selection(["D01"]).validate(["F001", "D001"])
