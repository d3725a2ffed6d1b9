"""The on-disk corpus format (write_corpus / Corpus) and the bundled corpus it holds."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from boilerbench.benchmark.corpora.build import SITE_SPLIT_SHARES, VALIDATION_SHARE, host, site
from boilerbench.benchmark.corpora.store import Corpus, sha256, write_corpus, write_markdown_gold
from boilerbench.core.text import tokenize
from boilerbench.core.types import Gold, Page


def _record(rp, page_id: str, page_format: str = "html") -> tuple[Page, bytes, Gold]:
    page = replace(rp.page, page_id=page_id, source="mine", archive="", sha256="", page_format=page_format, split="test")
    return page, rp.data, replace(rp.gold, page_id=page_id)


@pytest.fixture
def small_corpus(tmp_path: Path, jefftk, erikdemaine, vietnam_bytes: bytes):
    text_page = Page("mine-0003", "mine", "vietnam.txt", "", "vietnam.vn", "unknown", None, "id", "test", "", "", "text")
    records = [
        _record(jefftk, "mine-0001"),
        _record(erikdemaine, "mine-0002"),
        (text_page, vietnam_bytes, Gold("mine-0003", "Korea Utara menyatakan akan berdiri berdampingan")),
    ]
    root = tmp_path / "corpus"
    written = write_corpus(root, records)
    return root, records, written


def test_write_then_open_round_trip(small_corpus) -> None:
    root, records, written = small_corpus
    c = Corpus.open(root)
    assert [p.page_id for p in c.pages] == ["mine-0001", "mine-0002", "mine-0003"]
    assert c.pages == written
    for (page, data, gold), got in zip(records, c.pages):
        assert got.sha256 == sha256(data)
        assert got.archive and (root / "html" / f"{got.archive}.tar.xz").is_file()
        assert replace(got, sha256="", archive="") == page
        assert c.read(got) == data
        assert c.gold[got.page_id] == gold
    assert dict(c.iter_bytes(reversed(c.pages))) == {p: d for p, (_, d, _) in zip(c.pages, records)}
    assert c.select(source="mine", split="test") == c.pages and c.select(split="train") == []
    assert (root / "gold" / "mine.jsonl.gz").is_file()


def test_written_files_are_deterministic(tmp_path: Path, jefftk) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_corpus(a, [_record(jefftk, "mine-0001")])
    write_corpus(b, [_record(jefftk, "mine-0001")])
    for rel in ("pages.jsonl", "gold/mine.jsonl.gz", "html/mine-00.tar.xz"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert Corpus.open(a).revision() == Corpus.open(b).revision()


def test_sha256_mismatch_raises(small_corpus) -> None:
    root, _, _ = small_corpus
    index = root / "pages.jsonl"
    rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines()]
    rows[1]["sha256"] = "0" * 64
    index.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    c = Corpus.open(root)
    assert c.read(c.pages[0])  # the others still read
    with pytest.raises(ValueError, match="mine-0002"):
        c.read(c.pages[1])


def test_writing_over_an_existing_archive_raises(small_corpus, jefftk) -> None:
    root, _, _ = small_corpus
    before = (root / "html" / "mine-00.tar.xz").read_bytes()
    with pytest.raises(FileExistsError):
        write_corpus(root, [_record(jefftk, "mine-0009")])
    assert (root / "html" / "mine-00.tar.xz").read_bytes() == before


def test_open_a_folder_that_is_not_a_corpus(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"pages\.jsonl"):
        Corpus.open(tmp_path)


def test_revision_covers_corrections(small_corpus) -> None:
    root, _, _ = small_corpus
    c = Corpus.open(root)
    r1 = c.revision()
    assert re.fullmatch(r"[0-9a-f]{12}", r1)
    (root / "corrections").mkdir()
    (root / "corrections" / "x.tsv").write_text("page_id\tblock\ttext\tlabel\tcategory\tnote\n", encoding="utf-8")
    assert c.revision() != r1


def test_markdown_gold_is_written_once_and_outside_the_revision(small_corpus) -> None:
    root, _, _ = small_corpus
    c = Corpus.open(root)
    r1 = c.revision()
    assert c.markdown_gold == {}
    write_markdown_gold(root, "mine", {"mine-0002": "# Erik\n\n- a [link](https://erikdemaine.org/)"})
    again = Corpus.open(root)
    assert again.markdown_gold == {"mine-0002": "# Erik\n\n- a [link](https://erikdemaine.org/)"}
    assert again.revision() == r1  # the block labels and scores are not made from it
    with pytest.raises(FileExistsError, match="written once"):
        write_markdown_gold(root, "mine", {"mine-0001": "x"})


# --- the bundled corpus -----------------------------------------------------------------------

LICENSES = {"wcxb": "CC-BY-4.0", "scrapinghub": "MIT", "trafilatura-eval": "Apache-2.0"}


def test_bundled_corpus_size(corpus: Corpus) -> None:
    assert len(corpus.pages) == 3040
    assert Counter(p.source for p in corpus.pages) == {"wcxb": 1869, "trafilatura-eval": 990, "scrapinghub": 181}


def test_page_ids_unique_and_every_page_has_gold(corpus: Corpus) -> None:
    ids = [p.page_id for p in corpus.pages]
    assert len(set(ids)) == len(ids)
    assert set(corpus.gold) == set(ids)
    assert len({(p.source, p.source_id) for p in corpus.pages}) == len(ids)


def test_every_page_has_metadata(corpus: Corpus) -> None:
    archives = {p.stem.removesuffix(".tar") for p in (corpus.root / "html").glob("*.tar.xz")}
    for p in corpus.pages:
        assert p.source in LICENSES, p.page_id
        assert p.license == LICENSES[p.source], p.page_id
        assert p.language and re.fullmatch(r"[a-z]{2,3}", p.language), p.page_id
        assert p.split in ("train", "validation", "test", "excluded"), p.page_id
        assert re.fullmatch(r"[0-9a-f]{64}", p.sha256), p.page_id
        assert p.archive in archives, p.page_id
        assert p.page_format == "html"
    assert (corpus.root / "licenses").is_dir()


def test_gold_kind_per_source(corpus: Corpus) -> None:
    for p in corpus.pages:
        g = corpus.gold[p.page_id]
        if p.source == "trafilatura-eval":
            assert g.text is None and (g.with_snippets or g.without_snippets), p.page_id
        else:
            assert isinstance(g.text, str), p.page_id


def test_split_counts_per_source(corpus: Corpus) -> None:
    """The counts README.md documents; WCXB dev pages never reach the test split and vice versa."""
    counts = Counter((p.source, p.split) for p in corpus.pages)
    assert counts == {
        ("wcxb", "train"): 1032,
        ("wcxb", "validation"): 200,
        ("wcxb", "excluded"): 126,
        ("wcxb", "test"): 511,
        ("scrapinghub", "test"): 181,
        ("trafilatura-eval", "train"): 335,
        ("trafilatura-eval", "validation"): 183,
        ("trafilatura-eval", "test"): 472,
    }
    for p in corpus.pages:
        if p.source == "wcxb":
            from_dev = p.archive.startswith("wcxb-dev-")
            assert (p.split != "test") == from_dev, p.page_id


def test_every_site_in_one_split(corpus: Corpus) -> None:
    """A site (across all corpora) is in at most one of train, validation and test; WCXB test and
    Scrapinghub stay whole in test, trafilatura-eval is split by site."""
    splits_of: dict[str, set[str]] = {}
    for p in corpus.pages:
        if p.split != "excluded":
            splits_of.setdefault(site(p.domain or host(p.url)), set()).add(p.split)
    assert all(len(v) == 1 for s, v in splits_of.items() if s), {s: v for s, v in splits_of.items() if len(v) > 1}
    assert {p.split for p in corpus.pages if p.source == "scrapinghub"} == {"test"}
    by_site = Counter(site(p.domain) for p in corpus.pages if p.source == "trafilatura-eval" and p.split == "train")
    assert len(by_site) > 100  # split by site, not by page


def test_no_site_in_both_training_and_test(corpus: Corpus) -> None:
    def site_of(p: Page) -> str:
        return site(p.domain or host(p.url))

    test_sites = {site_of(p) for p in corpus.pages if p.split == "test"}
    train_sites = {site_of(p) for p in corpus.pages if p.split in ("train", "validation")}
    assert "" not in train_sites
    assert not train_sites & test_sites
    # 'excluded' are exactly the dev pages whose site has a test page
    for p in corpus.pages:
        if p.split == "excluded":
            assert site_of(p) in test_sites, p.page_id


_CANONICAL_RE = re.compile(
    rb"""<link[^>]+rel=["']canonical["'][^>]+href=["']([^"']+)|<meta[^>]+property=["']og:url["'][^>]+content=["']([^"']+)""",
    re.I,
)


def test_pages_without_a_site_cannot_leak(corpus: Corpus) -> None:
    """A page whose site is unknown (no URL, no canonical link) is never trained on; for such test
    pages, no training site may appear in their file name (trafilatura-eval names files by site)."""
    nameless = [p for p in corpus.pages if not site(p.domain or host(p.url))]
    assert len(nameless) <= 10
    assert all(p.split in ("test", "excluded") for p in nameless)
    train_sites = {site(p.domain or host(p.url)) for p in corpus.pages if p.split in ("train", "validation")}
    for p in nameless:
        if p.split == "test":
            assert not [s for s in train_sites if s in p.source_id.lower()], p.page_id


def test_no_site_leak_through_pages_without_a_domain(corpus: Corpus) -> None:
    train_sites = {site(p.domain or host(p.url)) for p in corpus.pages if p.split in ("train", "validation")}
    nameless = [p for p in corpus.pages if p.split == "test" and not (p.domain or host(p.url))]
    assert nameless
    leaks = []
    for p, data in corpus.iter_bytes(nameless):
        m = _CANONICAL_RE.search(data)
        if m:
            canonical = (m.group(1) or m.group(2)).decode("utf-8", "replace")
            if site(host(canonical)) in train_sites:
                leaks.append((p.page_id, canonical))
    assert leaks == []


def test_train_and_validation_are_split_by_site(corpus: Corpus) -> None:
    sites: dict[str, set[str]] = {}
    for p in corpus.pages:
        if p.split in ("train", "validation") and p.source == "wcxb":
            sites.setdefault(site(p.domain or host(p.url)), set()).add(p.split)
    assert all(len(s) == 1 for s in sites.values())
    share = sum(s == {"validation"} for s in sites.values()) / len(sites)
    assert abs(share - VALIDATION_SHARE) < 0.05
    # trafilatura-eval: about 40/20/40 of its sites
    te: dict[str, str] = {site(p.domain): p.split for p in corpus.pages if p.source == "trafilatura-eval" and p.domain}
    shares = Counter(te.values())
    for split, share in SITE_SPLIT_SHARES["trafilatura-eval"]:
        assert abs(shares[split] / len(te) - share) < 0.05, (split, shares)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("blog.example.co.uk", "example.co.uk"),
        ("www.jefftk.com", "jefftk.com"),
        ("community.home-assistant.io", "home-assistant.io"),
        ("doc.rust-lang.org", "rust-lang.org"),
        ("he.xinhuanet.com", "xinhuanet.com"),
        ("Example.COM.", "example.com"),
        ("localhost", "localhost"),
    ],
)
def test_site(domain: str, expected: str) -> None:
    assert site(domain) == expected


def test_host() -> None:
    assert host("https://www.jefftk.com:443/p/backup-strategy") == "jefftk.com"
    assert host("http://user@Blog.Example.org/x") == "blog.example.org"
    assert host("") == ""


def test_markdown_gold_of_wcxb_train_and_validation_pages(corpus: Corpus) -> None:
    """WCXB's Markdown gold (DATA-NOTES: 1,476 dev files carry one) for the train and validation
    pages only, each the same words as the page's gold text (the release's two fields agree)."""
    pages = {p.page_id: p for p in corpus.pages}
    markdown = corpus.markdown_gold
    assert Counter(pages[k].split for k in markdown) == {"train": 1020, "validation": 195}
    assert {pages[k].source for k in markdown} == {"wcxb"}
    gold = corpus.gold

    def words(text: str) -> Counter[str]:
        return Counter(w.lower() for w in tokenize(text) if w.isalnum())

    f1s = []
    for page_id, md in markdown.items():  # link targets are no words of the text
        g, m = words(gold[page_id].text or ""), words(re.sub(r"\]\([^)]*\)", "]", md))
        overlap = sum((g & m).values())
        f1s.append(2 * overlap / (sum(g.values()) + sum(m.values())) if g or m else 1.0)
    assert sum(f1s) / len(f1s) > 0.98


def test_revision_is_stable(corpus: Corpus) -> None:
    r = corpus.revision()
    assert re.fullmatch(r"[0-9a-f]{12}", r)
    assert corpus.revision() == r
    assert Corpus.open().revision() == r


def test_hand_corrected_languages(corpus: Corpus) -> None:
    """py3langid tags a Bulgarian Google Scholar page (Bulgarian labels, English names) `tg` and a
    Papiamento page, a language it does not know, `an`: `languages.tsv` corrects both, and the index
    says what it says."""
    from boilerbench.benchmark.corpora.build import detect_language, load_languages

    corrected = load_languages(corpus.root)
    by_id = {p.page_id: p for p in corpus.pages}
    assert {"wcxb-2917": "bg", "trafeval-0112": "pap"}.items() <= corrected.items()
    assert all(by_id[page_id].language == language for page_id, language in corrected.items())
    assert detect_language(corpus.gold["wcxb-2917"].text or "") == "tg"  # the detector's guess, corrected


def test_reindex_writes_the_language_corrections(small_corpus) -> None:
    from boilerbench.benchmark.corpora.build import LANGUAGES_FILE, reindex

    root, _, written = small_corpus
    table = root / LANGUAGES_FILE
    table.write_text("# a comment\npage_id\tlanguage\tnote\nmine-0002\tpap\twhy\n", encoding="utf-8")
    reindex(root)
    got = {p.page_id: p.language for p in Corpus.open(root).pages}
    assert got == {p.page_id: "pap" if p.page_id == "mine-0002" else p.language for p in written}
    for text, message in [
        ("page_id\tlanguage\nmine-0001\tbg\n", f"{LANGUAGES_FILE}:1: header must be page_id language note"),
        ("page_id\tlanguage\tnote\nmine-0001\tBulgarian\tx\n", f"{LANGUAGES_FILE}:2: language 'Bulgarian' is not an ISO 639"),
        ("page_id\tlanguage\tnote\nmine-0001\tbg\n", f"{LANGUAGES_FILE}:2: 2 columns, expected 3"),
        ("page_id\tlanguage\tnote\nmine-0001\tbg\tx\nmine-0001\tro\ty\n", f"{LANGUAGES_FILE}:3: mine-0001 is corrected twice"),
        ("page_id\tlanguage\tnote\nmine-0009\tbg\tx\n", "unknown page id(s) mine-0009"),
    ]:
        table.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=re.escape(message)):
            reindex(root)
