import re


def slugify(title):
    """Lowercase `title` and join its words with single dashes."""
    return re.sub(r"[^a-z0-9]", "-", title.lower()).strip("-")
