"""A deterministic, synthetic help center for benchmarks.

`write_corpus(root, CorpusSpec(articles=1000, words=1500))` writes a content folder that
`publisher check` accepts: numbered group folders with `_group.yml` (one group nested in
another), and articles with front-matter (title, slug, description, status, order) whose
bodies have h2/h3 headings, paragraphs, bullet and numbered lists, a table, one or two fenced
code blocks (python, bash or json), an admonition and links to headings of other articles.

The same spec and seed always give byte-identical files, so timings from different runs and
machines are comparable. Run it on its own to look at a corpus:

    .venv/bin/python bench/corpus.py /tmp/corpus --articles 50
"""

from __future__ import annotations

import argparse
import itertools
import json
import posixpath
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 20240611

GROUP_NAMES = (
    "Getting started",
    "Account and security",
    "Billing and plans",
    "Invoicing",
    "Payments",
    "Reports",
    "Integrations",
    "Developer API",
    "Troubleshooting",
)
# The tenth group lives inside the third top-level one.
NESTED_GROUP = (2, "Advanced billing")

_VERBS = (
    "Set up",
    "Manage",
    "Export",
    "Import",
    "Review",
    "Configure",
    "Automate",
    "Schedule",
    "Share",
    "Archive",
    "Update",
    "Connect",
    "Reconcile",
    "Customize",
    "Track",
    "Approve",
    "Audit",
    "Migrate",
    "Restore",
    "Monitor",
)
_OBJECTS = (
    "invoices",
    "payment reminders",
    "customer records",
    "tax rates",
    "bank feeds",
    "expense claims",
    "purchase orders",
    "credit notes",
    "team roles",
    "webhooks",
    "API keys",
    "recurring plans",
    "price lists",
    "payout schedules",
    "audit logs",
    "email templates",
    "refunds",
    "currency settings",
    "single sign-on",
    "sales reports",
    "project budgets",
    "time entries",
    "vendor bills",
    "payment links",
    "quotes",
    "subscriptions",
    "discount codes",
    "ledger accounts",
    "approval rules",
    "notification settings",
    "data exports",
    "cost centers",
    "late fees",
    "deposit accounts",
    "receipt scans",
    "client portals",
    "usage limits",
    "branding options",
    "access tokens",
    "sync rules",
)
_CONTEXTS = (
    "",
    "for your team",
    "in bulk",
    "on mobile",
    "across workspaces",
    "step by step",
    "for a new workspace",
    "with the API",
    "before year end",
    "for multiple currencies",
)
_HEADING_STARTS = (
    "Before you start",
    "How it works",
    "Check the settings",
    "Turn it on",
    "Choose the right option",
    "Common questions",
    "Limits and quotas",
    "Permissions you need",
    "What changes for your customers",
    "Undo a change",
    "Troubleshooting tips",
    "Related settings",
    "Plan availability",
    "Keyboard shortcuts",
    "What happens next",
)
_WORD_TEXT = """
    account activity admin amount app approval archive automatic balance bank batch billing
    browser button cancel card change charge check choose client code column confirm connect
    contact copy cost create credit currency customer dashboard data date default delete
    deposit detail device discount document download draft due edit email enable entry error
    exchange expense export feature fee field file filter folder form history import invoice
    item key label ledger limit link list login manage menu message method mobile month name
    note notification number option order owner page panel partner password payment payout
    period permission plan portal preview price project quote rate receipt record refund
    reminder report request role rule save schedule search section select send setting share
    sign status statement subscription summary support sync tab tax team template time token
    total transaction transfer update upload user value vendor view workspace year you your
    the a an to of in on for with from by and or but when after before each every this that
    it can will may should must only also then next first last new current same other all
    some any most usually always never quickly easily safely directly automatically
"""
_WORDS = tuple(_WORD_TEXT.split())
_ADMONITIONS = ("note", "tip", "warning", "important", "info")
_LANGUAGES = ("python", "bash", "json")


def heading_anchor(text: str) -> str:
    """The anchor a heading gets. Headings here are letters, dashes and single spaces only,
    so GitHub-style slugs (lowercase, spaces to dashes) and Python-Markdown's agree."""
    return text.strip().lower().replace(" ", "-")


def slugify(text: str) -> str:
    words = text.replace("-", " ").split()
    return "-".join("".join(ch for ch in word.lower() if ch.isalnum()) for word in words)


@dataclass(frozen=True)
class CorpusSpec:
    articles: int = 1000
    words: int = 1500  # per article, counted as whitespace-separated tokens of the body
    seed: int = DEFAULT_SEED


@dataclass
class PlannedArticle:
    index: int
    rel_path: str  # POSIX path from the content root, e.g. "03-billing/0007-export-quotes.md"
    title: str
    slug: str
    description: str
    order: int
    headings: list[tuple[int, str]] = field(default_factory=list)  # (level, text) in order


@dataclass
class Corpus:
    root: Path  # the content folder
    spec: CorpusSpec
    groups: list[str]  # folder paths relative to root, parents first
    articles: list[PlannedArticle]
    words: int  # total body words written

    def path(self, article: PlannedArticle) -> Path:
        return self.root / article.rel_path


def _titles(count: int, rng: random.Random) -> list[str]:
    combos = [
        f"{verb} {obj} {context}".strip()
        for verb, obj, context in itertools.product(_VERBS, _OBJECTS, _CONTEXTS)
    ]
    rng.shuffle(combos)
    titles = combos[:count]
    # More articles than combinations: number the repeats, which keeps slugs unique.
    for index in range(len(combos), count):
        titles.append(f"{combos[index % len(combos)]} {index // len(combos) + 1}")
    return titles


def _group_folders() -> list[tuple[str, str]]:
    """(folder, display name) for every group, parents before their children."""
    folders = [(f"{i + 1:02d}-{slugify(name)}", name) for i, name in enumerate(GROUP_NAMES)]
    parent_index, nested_name = NESTED_GROUP
    parent = folders[parent_index][0]
    folders.insert(parent_index + 1, (f"{parent}/90-{slugify(nested_name)}", nested_name))
    return folders


def _headings(rng: random.Random, h2_count: int) -> list[tuple[int, str]]:
    """h2 headings, each second one followed by an h3; all unique within the article."""
    count = h2_count + h2_count // 2
    pool = list(_HEADING_STARTS)
    rng.shuffle(pool)
    headings: list[str] = []
    seen: set[str] = set()
    while len(headings) < count:
        if pool:
            text = pool.pop()
        else:
            text = f"{rng.choice(_VERBS)} the {rng.choice(_OBJECTS)}"
            text = text[0].upper() + text[1:].lower()
        if heading_anchor(text) not in seen:
            seen.add(heading_anchor(text))
            headings.append(text)
    levels = itertools.chain.from_iterable([2] if n % 2 == 0 else [2, 3] for n in range(count))
    return list(zip(levels, headings, strict=False))


def plan_corpus(spec: CorpusSpec) -> tuple[list[str], list[PlannedArticle]]:
    """Where every article goes, with its title and headings (needed to link to it)."""
    rng = random.Random(spec.seed)
    groups = _group_folders()
    titles = _titles(spec.articles, rng)
    per_group, extra = divmod(spec.articles, len(groups))
    sections = max(3, spec.words // 250)
    articles: list[PlannedArticle] = []
    for group_index, (folder, _) in enumerate(groups):
        size = per_group + (1 if group_index < extra else 0)
        width = max(2, len(str(size)))
        for position in range(1, size + 1):
            index = len(articles)
            title = titles[index]
            slug = slugify(title)
            articles.append(
                PlannedArticle(
                    index=index,
                    rel_path=f"{folder}/{position:0{width}d}-{slug}.md",
                    title=title,
                    slug=slug,
                    description=f"How to {title[0].lower()}{title[1:]}, with examples.",
                    order=position,
                    headings=_headings(rng, sections),
                )
            )
    return [folder for folder, _ in groups], articles


class _Writer:
    """Builds one article body from its own random stream."""

    def __init__(self, spec: CorpusSpec, article: PlannedArticle, everyone: list[PlannedArticle]):
        self.spec = spec
        self.article = article
        self.everyone = everyone
        self.rng = random.Random(spec.seed * 1_000_003 + article.index)

    def sentence(self) -> str:
        words = [self.rng.choice(_WORDS) for _ in range(self.rng.randint(7, 16))]
        pick = self.rng.random()
        spot = self.rng.randrange(1, len(words))
        if pick < 0.15:
            words[spot] = f"**{words[spot]}**"
        elif pick < 0.25:
            words[spot] = f"`{words[spot]}_{self.rng.randint(1, 99)}`"
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))

    def bullets(self, ordered: bool) -> str:
        items = []
        for number in range(1, self.rng.randint(4, 7)):
            words = " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(5, 12)))
            marker = f"{number}." if ordered else "-"
            items.append(f"{marker} {words[0].upper()}{words[1:]}.")
        return "\n".join(items)

    def table(self) -> str:
        rows = ["| Setting | Default | Applies to | Notes |", "| --- | :---: | --- | --- |"]
        for _ in range(self.rng.randint(4, 7)):
            name = f"`{self.rng.choice(_WORDS)}_{self.rng.choice(_WORDS)}`"
            default = self.rng.choice(("On", "Off", "30 days", "None", "USD", "Weekly"))
            scope = self.rng.choice(("All plans", "Pro and up", "Admins only", "Each user"))
            note = " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(4, 9)))
            rows.append(f"| {name} | {default} | {scope} | {note[0].upper()}{note[1:]}. |")
        return "\n".join(rows)

    def code(self, language: str) -> str:
        rng = self.rng
        resource = slugify(rng.choice(_OBJECTS)).replace("-", "_")
        ident = f"{resource[:3]}_{rng.randint(10_000, 99_999)}"
        amount = rng.randint(100, 99_999)
        if language == "python":
            lines = [
                "import os",
                "",
                "import httpx",
                "",
                'API = "https://api.example.com/v1"',
                'TOKEN = os.environ["EXAMPLE_API_TOKEN"]',
                "",
                "",
                f"def create_{resource}(client: httpx.Client, amount: int) -> dict:",
                f'    """Create one {resource} record and return it."""',
                "    response = client.post(",
                f'        f"{{API}}/{resource}",',
                '        headers={"Authorization": f"Bearer {TOKEN}"},',
                f'        json={{"amount": amount, "reference": "{ident}"}},',
                "        timeout=10,",
                "    )",
                "    response.raise_for_status()",
                "    return response.json()",
                "",
                "",
                "with httpx.Client() as client:",
                f"    created = create_{resource}(client, {amount})",
                '    print(created["id"], created["status"])',
            ]
        elif language == "bash":
            lines = [
                "# Replace the token with one from Settings > API keys.",
                'export EXAMPLE_API_TOKEN="sk_test_123"',
                "",
                f"curl -sS -X POST https://api.example.com/v1/{resource} \\",
                '  -H "Authorization: Bearer $EXAMPLE_API_TOKEN" \\',
                '  -H "Content-Type: application/json" \\',
                f'  -d \'{{"amount": {amount}, "reference": "{ident}"}}\' \\',
                "  | jq '.id, .status'",
                "",
                f"for id in $(cat {resource}_ids.txt); do",
                f'  curl -sS "https://api.example.com/v1/{resource}/$id" > "$id.json"',
                "done",
            ]
        else:
            payload = {
                "id": ident,
                "object": resource,
                "amount": amount,
                "currency": rng.choice(("usd", "eur", "gbp")),
                "status": rng.choice(("draft", "open", "paid")),
                "metadata": {"source": "help-center", "attempt": rng.randint(1, 5)},
                "lines": [
                    {"description": rng.choice(_OBJECTS), "quantity": rng.randint(1, 9)}
                    for _ in range(rng.randint(2, 4))
                ],
            }
            lines = json.dumps(payload, indent=2).split("\n")
        return "\n".join([f"```{language}", *lines, "```"])

    def admonition(self) -> str:
        kind = self.rng.choice(_ADMONITIONS)
        title = " ".join(self.rng.choice(_WORDS) for _ in range(3)).capitalize()
        body = [self.sentence() for _ in range(self.rng.randint(2, 3))]
        return "\n".join([f'!!! {kind} "{title}"', *(f"    {line}" for line in body)])

    def link_sentence(self) -> str:
        other = self.article
        while other is self.article:
            other = self.rng.choice(self.everyone)
        _, heading = self.rng.choice(other.headings)
        start = posixpath.dirname(self.article.rel_path)
        target = posixpath.relpath(other.rel_path, start)
        return (
            f"For more on this, see [{heading.lower()}]({target}#{heading_anchor(heading)}) "
            f"in {other.title}."
        )

    def body(self) -> tuple[str, int]:
        rng = self.rng
        headings = self.article.headings
        sections: list[list[str]] = [[self.paragraph()]]  # the introduction
        sections += [["#" * level + " " + text, self.paragraph()] for level, text in headings]
        fixed = [
            self.bullets(ordered=False),
            self.bullets(ordered=True),
            self.table(),
            self.admonition(),
            *(self.code(rng.choice(_LANGUAGES)) for _ in range(rng.randint(1, 2))),
        ]
        for block in fixed:
            rng.choice(sections[1:]).append(block)
        for _ in range(3):
            section = rng.choice(sections)
            section.insert(1 if section is sections[0] else 2, self.link_sentence())
        _, inside = rng.choice(headings)
        sections[0].append(f"Jump to [{inside.lower()}](#{heading_anchor(inside)}).")

        def count() -> int:
            return sum(len(block.split()) for section in sections for block in section)

        words = count()
        while words < self.spec.words:
            section = rng.choice(sections)
            paragraph = self.paragraph()
            section.insert(rng.randint(1, len(section)), paragraph)
            words += len(paragraph.split())
        text = "\n\n".join(block for section in sections for block in section) + "\n"
        return text, words


def _front_matter(article: PlannedArticle) -> str:
    # JSON strings are valid YAML double-quoted scalars.
    return "\n".join(
        [
            "---",
            f"title: {json.dumps(article.title)}",
            f"slug: {article.slug}",
            f"description: {json.dumps(article.description)}",
            "status: published",
            f"order: {article.order}",
            "---",
            "",
        ]
    )


def write_corpus(root: Path, spec: CorpusSpec | None = None) -> Corpus:
    """Replace `root` with a freshly generated content folder and describe what is in it."""
    spec = spec or CorpusSpec()
    if spec.articles < 2 or spec.words < 100:
        raise ValueError("a corpus needs at least 2 articles of at least 100 words")
    groups, articles = plan_corpus(spec)
    if root.exists():
        shutil.rmtree(root)
    names = dict(_group_folders())
    for folder in groups:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "_group.yml").write_text(
            f"name: {json.dumps(names[folder])}\n", encoding="utf-8"
        )
    total = 0
    for article in articles:
        body, words = _Writer(spec, article, articles).body()
        total += words
        (root / article.rel_path).write_text(_front_matter(article) + body, encoding="utf-8")
    return Corpus(root=root, spec=spec, groups=groups, articles=articles, words=total)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic help center.")
    parser.add_argument("root", type=Path, help="content folder to (re)create")
    parser.add_argument("--articles", type=int, default=CorpusSpec.articles)
    parser.add_argument("--words", type=int, default=CorpusSpec.words)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    corpus = write_corpus(args.root, CorpusSpec(args.articles, args.words, args.seed))
    print(
        f"wrote {len(corpus.articles)} articles ({corpus.words:,} words) "
        f"in {len(corpus.groups)} groups to {corpus.root}"
    )


if __name__ == "__main__":
    main()
