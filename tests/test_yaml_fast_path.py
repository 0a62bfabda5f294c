"""Front-matter is read by libyaml for speed, with PyYAML's reader as the reference: both
must build the same values and refuse the same things."""

from __future__ import annotations

import pytest
import yaml

from publisher.content import loader

VALID = [
    "title: Getting started\nslug: getting-started\norder: 3\n",
    "title: \"Ünïcödé – 日本語 ✓\"\ndescription: 'It''s here'\n",
    "title: A\nstatus: draft\norder: -2.5\n",
    "title: A\naliases:\n  - old-one\n  - older\n",
    "title: A\naliases: [one, two]\n",
    "title: >\n  Folded\n  text\ndescription: |\n  Kept\n  lines\n",
    "title: yes\nicon: null\norder: 0x1f\n",
    "title: 2024-02-29\n",
    "title: A # a comment\n# another\nslug: a\n",
    "title: 'a: b'\nslug: \"c: d\"\n",
    "",
    "a:\n - " + "[" * 7 + "1" + "]" * 7 + "\n",  # nested as deep as allowed
]

REFUSED = [
    "a: &x 1\nb: *x\n",
    "a: !!binary eA==\n",
    "title: A\ntitle: B\n",
    "<<: {a: 1}\n",
    "a:\n - [[[[[[[[[[[[[1]]]]]]]]]]]]]\n",
    "a:\n - " + "[" * 8 + "1" + "]" * 8 + "\n",  # one level too deep
    "a:\n - [x, &y z]\n",
    "a: {b: [1, !!str 2]}\n",
    "x: 2024-02-30\n",
    "x: " + "9" * 200 + "\n",
]

# What libyaml reads but PyYAML refuses, and what neither reads.
MALFORMED = ["title:\tA\n", "a: [\n", "a: b: c\n", "title: 'open\n", "\tslug: a\n", "a: \x07\n"]


@pytest.mark.parametrize("text", VALID)
def test_both_readers_build_the_same_values(text: str) -> None:
    reference = yaml.load(text, Loader=loader._StrictLoader)
    assert loader.read_yaml_with(loader._FastStrictLoader, text) == reference
    assert loader._load_yaml(text) == reference


@pytest.mark.parametrize("text", REFUSED)
def test_both_readers_refuse_the_same_constructs(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as reference:
        yaml.load(text, Loader=loader._StrictLoader)
    with pytest.raises(type(reference.value)) as fast:
        loader._load_yaml(text)
    assert str(fast.value).split("\n")[0] == str(reference.value).split("\n")[0]


@pytest.mark.parametrize("text", MALFORMED)
def test_text_libyaml_reads_differently_gets_the_reference_error(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as reference:
        yaml.load(text, Loader=loader._StrictLoader)
    with pytest.raises(yaml.YAMLError) as used:
        loader._load_yaml(text)
    assert str(used.value) == str(reference.value)
