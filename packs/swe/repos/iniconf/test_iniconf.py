import pytest

from iniconf import ParseError, get_bool, get_int, parse


def test_sections_and_keys():
    config = parse("[server]\nHost = example.org\nport = 8080\n")
    assert config["server"] == {"host": "example.org", "port": "8080"}


def test_colon_delimiter():
    assert parse("[a]\nname: value\n")["a"]["name"] == "value"


def test_comments_are_ignored():
    text = "# top\n[a]\n; note\nx = 1 ; trailing\ny = a;b\n"
    assert parse(text)["a"] == {"x": "1", "y": "a;b"}


def test_defaults_are_inherited():
    config = parse("timeout = 5\n[a]\n[b]\ntimeout = 9\n")
    assert config["a"]["timeout"] == "5"
    assert config["b"]["timeout"] == "9"


def test_missing_delimiter_reports_line():
    with pytest.raises(ParseError) as info:
        parse("[a]\nx = 1\njust words\n")
    assert info.value.line_number == 3


def test_typed_getters():
    config = parse("[a]\nn = 42\nflag = Yes\n")
    assert get_int(config, "a", "n") == 42
    assert get_bool(config, "a", "flag") is True
    assert get_int(config, "a", "absent", 7) == 7


def test_value_may_contain_delimiters():
    config = parse("[db]\nurl = postgres://db.local:5432/app?sslmode=require\n")
    assert config["db"]["url"] == "postgres://db.local:5432/app?sslmode=require"


def test_value_with_equals_sign():
    assert parse("[a]\nexpr = x=1\n")["a"]["expr"] == "x=1"
