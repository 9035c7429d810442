import pytest

from semver_lite import InvalidVersion, Version


def v(text):
    return Version.parse(text)


def test_parse_full_version():
    version = v("1.2.3-beta.1+sha.5114f85")
    assert (version.major, version.minor, version.patch) == (1, 2, 3)
    assert version.prerelease == ("beta", "1")
    assert version.build == ("sha", "5114f85")


def test_str_round_trips():
    for text in ["0.0.1", "10.20.30", "1.0.0-alpha.1", "1.0.0+build.7", "2.0.0-rc.1+exp.sha"]:
        assert str(v(text)) == text


@pytest.mark.parametrize("text", ["1.2", "01.2.3", "1.2.3-", "1.2.3-01", "a.b.c", "1.2.3+"])
def test_invalid_versions_are_rejected(text):
    with pytest.raises(InvalidVersion):
        v(text)


def test_core_numbers_compare_numerically():
    assert v("1.10.0") > v("1.9.0")
    assert v("2.0.0") > v("1.99.99")


def test_build_metadata_is_ignored_in_comparisons():
    assert v("1.0.0+a") == v("1.0.0+b")


def test_bump():
    assert v("1.2.3").bump_patch() == v("1.2.4")
    assert v("1.2.3-rc.1").bump_patch() == v("1.2.3")
    assert v("1.2.3").bump_minor() == v("1.3.0")
    assert v("1.2.3").bump_major() == v("2.0.0")


def test_prerelease_sorts_before_release():
    assert v("1.0.0-alpha") < v("1.0.0")
    assert v("1.0.0-rc.1") < v("1.0.0")
    assert max([v("2.0.0"), v("2.0.0-rc.2")]) == v("2.0.0")


def test_numeric_identifiers_compare_numerically():
    assert v("1.0.0-alpha.2") < v("1.0.0-alpha.10")
    assert v("1.0.0-beta.11") > v("1.0.0-beta.2")


def test_spec_precedence_example():
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
               "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    assert sorted(ordered, key=v) == ordered
