"""``PruneRules`` (one Python pass) matches what the profiles' XPath expressions match."""

from __future__ import annotations

from copy import deepcopy

import lxml.html
import pytest
from lxml import etree
from trafilatura.htmlprocessing import prune_unwanted_nodes

from crawlers.profiles import all_profiles
from crawlers.profiles.base import PruneRules
from crawlqa.devserver import FIXTURE_SITE

PAGES = sorted(FIXTURE_SITE.rglob("*.html"))

TRICKY = """<html><head><title>t</title></head><body>
<div id="toc" class="a"><a href="/x">in toc</a></div>
<div class=" navbox  wide
 "><p>tokens with odd whitespace <a href="/y">y</a></p></div>
<div class="navboxes"><p>not the token navbox</p></div>
<ol class="references"><li>ref</li></ol><ul class="references"><li>kept: ul, not ol</li></ul>
<footer>foot</footer><span class="extra-services">exact class</span>
<span class="extra-services more">not the exact class</span>
<!-- a comment --><div id="mw-content-text"><sup class="reference">[1]</sup></div>
</body></html>"""


def _xpath_matches(tree, xpaths: list[str]) -> set:
    return {el for xp in xpaths for el in etree.XPath(xp)(tree)}


@pytest.mark.parametrize("profile", all_profiles(), ids=lambda p: p.name)
def test_prune_matches_the_xpaths(profile) -> None:
    for path in [*PAGES, None]:
        tree = lxml.html.fromstring(path.read_bytes() if path else TRICKY)
        assert set(profile._prune.matches(tree)) == _xpath_matches(tree, list(profile.prune_xpaths)), path


@pytest.mark.parametrize("profile", [p for p in all_profiles() if p.exclude_xpath], ids=lambda p: p.name)
def test_link_exclusion_matches_the_xpath(profile) -> None:
    for path in [*PAGES, None]:
        tree = lxml.html.fromstring(path.read_bytes() if path else TRICKY)
        scope = profile.content_root(tree)
        assert set(profile._exclude.matches(scope)) == set(etree.XPath(profile.exclude_xpath)(scope)), path


def test_pruned_tree_is_the_one_trafilatura_would_prune() -> None:
    for profile in all_profiles():
        for path in [*PAGES, None]:
            tree = lxml.html.fromstring(path.read_bytes() if path else TRICKY)
            ours, theirs = deepcopy(tree), deepcopy(tree)
            profile.prune(ours)
            prune_unwanted_nodes(theirs, [etree.XPath(x) for x in profile.prune_xpaths])
            assert etree.tostring(ours) == etree.tostring(theirs), (profile.name, path)


def test_unsupported_expressions_fall_back_to_xpath() -> None:
    rules = PruneRules(["//div[p]", "//*[@id='toc']"])
    tree = lxml.html.fromstring(TRICKY)
    assert set(rules.matches(tree)) == _xpath_matches(tree, ["//div[p]", "//*[@id='toc']"])
    union = PruneRules.union(".//div[p] | .//*[@id='toc']", relative=True)
    assert union.other  # not split: evaluated as one XPath
    assert set(union.matches(tree)) == set(etree.XPath(".//div[p] | .//*[@id='toc']")(tree))
