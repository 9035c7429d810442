from slug import slugify


def test_lowercase():
    assert slugify("Hello") == "hello"


def test_collapses_dashes():
    assert slugify("Hello,  World!") == "hello-world"
