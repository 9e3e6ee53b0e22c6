"""Every relative link in README.md, DEVELOPERS.md and docs/*.md points to an existing file, and
every #anchor to a heading of its target (GitHub's heading slugs)."""

import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = sorted(['README.md', 'DEVELOPERS.md'] + [
    os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, 'docs', '*.md'))])
LINK = re.compile(r'\]\(([^)\s]+)\)')


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation other than - and _ dropped,
    spaces to '-'."""
    text = heading.strip().lower()
    return re.sub(r'[^\w\- ]', '', text).replace(' ', '-')


def anchors(path):
    with open(path) as f:
        text = re.sub(r'```.*?```', '', f.read(), flags=re.DOTALL)
    return {slug(m.group(1)) for m in re.finditer(r'^#{1,6} (.+)$', text, flags=re.MULTILINE)}


def links(page):
    with open(os.path.join(ROOT, page)) as f:
        text = re.sub(r'```.*?```', '', f.read(), flags=re.DOTALL)
    return [target for target in LINK.findall(text) if not re.match(r'[a-z]+:', target)]


def test_the_docs_exist_and_link_something():
    assert {'docs/science.md', 'docs/results.md', 'docs/ros.md'} <= set(PAGES)
    assert len(links('README.md')) >= 7


@pytest.mark.parametrize('page', PAGES)
def test_relative_links_resolve(page):
    broken = []
    for target in links(page):
        path, _, anchor = target.partition('#')
        resolved = os.path.normpath(os.path.join(ROOT, os.path.dirname(page), path)) if path \
            else os.path.join(ROOT, page)
        if not os.path.exists(resolved):
            broken.append(f'{target}: no such file')
        elif anchor and (not resolved.endswith('.md') or anchor not in anchors(resolved)):
            broken.append(f'{target}: no heading with anchor #{anchor}')
    assert not broken, f'{page}: ' + '; '.join(broken)
