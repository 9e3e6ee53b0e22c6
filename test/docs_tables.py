"""Reading the docs' parameter tables, for the tests that require every parameter documented."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROS_DOC = os.path.join(ROOT, 'docs', 'ros.md')


def section(path, heading):
    """The text under the Markdown heading line ``heading``, up to the next heading of the same
    or a higher level; AssertionError naming the file when the heading is missing."""
    with open(path) as f:
        lines = f.read().splitlines()
    assert heading in lines, f'{os.path.relpath(path, ROOT)} has no heading {heading!r}'
    level = len(heading) - len(heading.lstrip('#'))
    start = lines.index(heading) + 1
    end = start
    while end < len(lines):
        hashes = len(lines[end]) - len(lines[end].lstrip('#'))
        if 0 < hashes <= level and lines[end][hashes:hashes + 1] == ' ':
            break
        end += 1
    return '\n'.join(lines[start:end])


def table_names(text):
    """The names in the first column of the table rows of ``text`` that start with | `name` |."""
    return re.findall(r'^\| `([^`]+)` \|', text, flags=re.MULTILINE)
