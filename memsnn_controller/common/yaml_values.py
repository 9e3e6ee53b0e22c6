"""YAML reading with YAML 1.2's numbers: ``1e-3`` is a float, as a user means it.

PyYAML implements YAML 1.1, whose float pattern needs a dot: ``1e-3`` and ``5E2`` load as the
strings '1e-3' and '5E2', and a config field then fails as "must be a finite number". YAML 1.2
(and ROS 2's parameter-file parser) read them as floats. ``Loader`` is PyYAML's safe loader with
the float resolver replaced by YAML 1.2's (core schema), so every config file and every
``section.field=value`` override reads exponent forms as numbers.
"""

import re
from typing import IO, Any, TypeGuard

import yaml

FLOAT_TAG = 'tag:yaml.org,2002:float'

# YAML 1.2 core schema floats, plus YAML 1.1's forms PyYAML already accepted (underscores).
_FLOAT = re.compile(r"""^(?:
    [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
  | [-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
  | [-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
  | [-+]?\.(?:inf|Inf|INF)
  | \.(?:nan|NaN|NAN)
)$""", re.X)


class Loader(yaml.SafeLoader):
    """yaml.SafeLoader that resolves YAML 1.2 floats (``1e-3``, ``-2E+5``, ``.5``)."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != FLOAT_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(FLOAT_TAG, _FLOAT, list('-+0123456789.'))


def load(stream: str | IO[str]) -> Any:
    """Parse one YAML document (a string or an open file) with ``Loader``."""
    return yaml.load(stream, Loader=Loader)


def is_float(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a float in YAML 1.2's core schema (what ``Loader`` reads as one)."""
    return isinstance(text, str) and _FLOAT.match(text) is not None
