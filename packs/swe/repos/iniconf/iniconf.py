"""Read INI-style configuration text into nested dictionaries.

    [server]
    host = example.org
    port: 8080          ; "=" and ":" both separate a key from its value
    # full-line comments start with "#" or ";"

Keys are case-insensitive (stored lower-cased); values are strings with
surrounding whitespace removed. Keys before the first section go into the
"DEFAULT" section, whose entries every other section inherits.
"""

import re

__all__ = ["ParseError", "parse", "get_int", "get_bool"]

_SECTION_RE = re.compile(r"^\[(?P<name>[^\]]+)\]$")
_DELIMITERS = r"[=:]"
_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


class ParseError(ValueError):
    def __init__(self, line_number, message):
        super().__init__(f"line {line_number}: {message}")
        self.line_number = line_number


def _strip_inline_comment(value):
    # An inline comment needs whitespace before its marker, so "a;b" stays intact.
    match = re.search(r"\s[;#]", value)
    return value[: match.start()] if match else value


def parse(text):
    """Parse `text`; return {section: {key: value}} with DEFAULT entries inherited."""
    sections = {"DEFAULT": {}}
    current = sections["DEFAULT"]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        section = _SECTION_RE.match(line)
        if section:
            name = section.group("name").strip()
            current = sections.setdefault(name, {})
            continue
        parts = re.split(_DELIMITERS, line)
        if len(parts) < 2:
            raise ParseError(number, f"expected 'key = value', got {raw!r}")
        key = parts[0].strip().lower()
        if not key:
            raise ParseError(number, "empty key")
        current[key] = _strip_inline_comment(parts[1]).strip()
    defaults = sections["DEFAULT"]
    return {
        name: ({**defaults, **values} if name != "DEFAULT" else dict(values))
        for name, values in sections.items()
    }


def get_int(config, section, key, default=None):
    value = config.get(section, {}).get(key)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"[{section}] {key}: {value!r} is not an integer") from None


def get_bool(config, section, key, default=None):
    value = config.get(section, {}).get(key)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"[{section}] {key}: {value!r} is not a boolean")
