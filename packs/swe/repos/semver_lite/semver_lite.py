"""Parse, compare and bump semantic versions (https://semver.org, version 2.0.0).

    >>> Version.parse("1.4.0-rc.1") < Version.parse("1.4.0")
    True
"""

import functools
import re

__all__ = ["Version", "InvalidVersion"]

_VERSION_RE = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


class InvalidVersion(ValueError):
    """Raised when a string is not a valid semantic version."""


@functools.total_ordering
class Version:
    """An immutable semantic version: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].

    Build metadata is kept for display but ignored when comparing, as the
    specification requires.
    """

    __slots__ = ("major", "minor", "patch", "prerelease", "build")

    def __init__(self, major, minor, patch, prerelease=(), build=()):
        if min(major, minor, patch) < 0:
            raise InvalidVersion("version numbers must not be negative")
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = tuple(prerelease)
        self.build = tuple(build)

    @classmethod
    def parse(cls, text):
        """Parse `text` ("1.2.3-beta.1+sha.5114f85") into a Version."""
        match = _VERSION_RE.match(text.strip())
        if match is None:
            raise InvalidVersion(f"not a semantic version: {text!r}")
        prerelease = match.group("prerelease")
        build = match.group("build")
        for part in prerelease.split(".") if prerelease else ():
            if part.isdigit() and len(part) > 1 and part.startswith("0"):
                raise InvalidVersion(f"numeric identifier with leading zero in {text!r}")
        return cls(
            int(match.group("major")),
            int(match.group("minor")),
            int(match.group("patch")),
            prerelease.split(".") if prerelease else (),
            build.split(".") if build else (),
        )

    @property
    def is_prerelease(self):
        return bool(self.prerelease)

    def bump_major(self):
        return Version(self.major + 1, 0, 0)

    def bump_minor(self):
        return Version(self.major, self.minor + 1, 0)

    def bump_patch(self):
        if self.is_prerelease:
            # 1.2.3-rc.1 -> 1.2.3: the release the pre-release was leading up to.
            return Version(self.major, self.minor, self.patch)
        return Version(self.major, self.minor, self.patch + 1)

    def _key(self):
        return (self.major, self.minor, self.patch, self.prerelease)

    def __eq__(self, other):
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other):
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self):
        return hash(self._key())

    def __str__(self):
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def __repr__(self):
        return f"Version.parse({str(self)!r})"
