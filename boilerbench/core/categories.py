"""The category of every block: which kind of boilerplate (or content) it is.

Categories are derived from DOM context and text cues, after the content/boilerplate label is known
(the label comes from human gold; the category only says *what* a block is). The taxonomy and the
hard cases are written up in `annotations/GUIDELINES.md`; names are stable once published.

Order of evidence for a boilerplate block:
1. Text cues that are unambiguous on their own (an `[ad_2]` placeholder, "No data", "Comments (0)",
   a © line, "Share on Facebook", a cookie notice, "Source: http…", a date/byline line).
2. The *innermost* ancestor whose tag or class/id/role tokens name a region (nav, footer, related,
   comments, share…): the nearest region wins, so a share bar inside an article is `social`, not
   the article's. `<html>`/`<body>` classes are ignored (they describe the whole page).
3. Shape: link-dominated blocks are `navigation` when short, `related` when they sit among
   content blocks (inline "read also" headlines), else `teaser`; leftovers are `other`. A text
   dump's lines show no links: a title-like line (short, no sentence end) is read as one, and
   leftovers above or below the content are `header` or `footer`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set

from .segment import descriptor_tag
from .text import ends_sentence
from .types import BOILERPLATE, CONTENT, Block

CATEGORIES_VERSION = "3"  # bump when a rule changes: cached labels are keyed on it

BOILERPLATE_CATEGORIES = (
    "navigation",
    "header",
    "footer",
    "related",
    "teaser",
    "empty-widget",
    "comments",
    "ads",
    "social",
    "consent",
    "metadata",
    "media",
    "form",
    "other",
)
CONTENT_CATEGORIES = ("title", "heading", "paragraph", "list", "table", "code", "quote", "caption")
CATEGORIES = CONTENT_CATEGORIES + BOILERPLATE_CATEGORIES


def _words(*alternatives: str) -> re.Pattern[str]:
    """Whole class/id words (separated by . # @ ! - _ or camelCase humps), case-insensitive."""
    return re.compile(r"(?:^|[\s._#@!-])(?:" + "|".join(alternatives) + r")(?=$|[\s._#@!0-9-])", re.I)


_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


# Region cues in one ancestor's descriptor ("div.related-posts#sidebar@navigation").
_REGION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "consent",
        _words(
            "cookies?",
            "consent",
            "gdpr",
            "cmp",
            "onetrust",
            "cookiebot",
            "newsletter",
            "subscribe",
            "subscription",
            "paywall",
            "signup",
            "optin",
            "opt-in",
            "privacy-banner",
        ),
    ),
    (
        "comments",
        _words("comments?", "commentlist", "disqus", "respond", "replies", "reply", "discussion", "kommentare?", "commentaires?"),
    ),
    (
        "social",
        _words(
            "share", "shares", "sharing", "social", "addthis", "sharethis", "sociallinks", "follow", "share-buttons", "sharebar"
        ),
    ),
    (
        "ads",
        _words(
            "ads?",
            "adv",
            "advert",
            "adverts",
            "advertisement",
            "advertising",
            "sponsor",
            "sponsored",
            "dfp",
            "gpt",
            "adslot",
            "ad-slot",
            "ad-container",
            "ad-banner",
            "promo",
            "anzeige",
            "werbung",
        ),
    ),
    (
        "related",
        _words(
            "related",
            "relatedposts",
            "related-posts",
            "recommended",
            "recommendations",
            "read-more",
            "readmore",
            "more-stories",
            "similar",
            "see-also",
            "also",
            "outbrain",
            "taboola",
            "yarpp",
            "jp-relatedposts",
        ),
    ),
    (
        "teaser",
        _words(
            "popular",
            "trending",
            "latest",
            "most-read",
            "mostread",
            "most-popular",
            "top-stories",
            "headlines",
            "more-from",
            "recent",
            "recent-posts",
            "news-list",
            "teaser",
            "teasers",
            "sidebar",
            "aside",
            "complementary",
        ),
    ),
    (
        "navigation",
        _words(
            "nav",
            "navbar",
            "navigation",
            "menu",
            "menus",
            "breadcrumbs?",
            "pagination",
            "pager",
            "toc",
            "table-of-contents",
            "tabs",
            "skip",
            "skip-link",
            "menubar",
            "menuitem",
            "tablist",
        ),
    ),
    (
        "metadata",
        _words(
            "byline",
            "author",
            "authors",
            "dateline",
            "timestamp",
            "published",
            "pubdate",
            "posted",
            "entry-meta",
            "post-meta",
            "article-meta",
            "tags",
            "tag-list",
            "taglist",
            "reading-time",
            "author-bio",
            "author-box",
            "userinfo",
            "user-info",
            "usercard",
        ),
    ),
    ("footer", _words("footer", "copyright", "colophon", "site-info", "contentinfo")),
    (
        "header",
        _words(
            "header", "masthead", "topbar", "top-bar", "logo", "branding", "banner-top", "site-title", "site-header", "banner"
        ),
    ),
    (
        "form",
        _words(
            "search",
            "searchform",
            "search-form",
            "login",
            "signin",
            "sign-in",
            "select",
            "filter",
            "filters",
            "sort",
            "sorting",
            "textarea",
        ),
    ),
    ("media", _words("photo-credit", "image-credit", "credit", "credits", "gallery", "video-player", "player")),
)

# Unambiguous text cues (checked on the whole block text).
_TEXT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ads",
        re.compile(
            r"^\W*\[[\w -]{2,20}\]\W*$|^(advertisement|advertising|ad|ads|anzeige|werbung|publicité|"
            r"publicidad|pubblicità|reklama|iklan|quảng cáo|sponsored|gesponsert)\W*$",
            re.I,
        ),
    ),
    (
        "empty-widget",
        re.compile(
            r"^(no data|no results?|nothing found|loading\W*|keine daten|"
            r"no comments( yet)?|be the first to comment\W*)$|^[^\d]{1,40}\(\s*0\s*\)$|^0\s+\w+$",
            re.I,
        ),
    ),
    (
        "consent",
        re.compile(
            r"\bcookies?\b.{0,200}\b(accept|agree|consent|einverstanden|akzeptieren|accepter)|"
            r"^(accept( all)?|reject( all)?|alle akzeptieren|tout accepter)( cookies)?$",
            re.I,
        ),
    ),
    (
        "footer",
        re.compile(
            r"(©|ⓒ|\(c\)\s*\d{4}|copyright\s+\d{4}|all rights reserved|alle rechte vorbehalten|"
            r"tous droits réservés)",
            re.I,
        ),
    ),
    (
        "social",
        re.compile(
            r"^(share( on| via| this)?|tweet|pin( it)?|email|e-mail|print|teilen|partager|"
            r"compartir|facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest)"
            r"(\W+(facebook|twitter|x|linkedin|whatsapp|email|reddit|pinterest|telegram))*\W*$",
            re.I,
        ),
    ),
    (
        "metadata",
        re.compile(
            r"^(source|quelle|nguồn|sumber)\s*:\s*\S+|^(by|von|par|por|oleh)\s+\S+.{0,60}$|"
            r"^\W*(posted|published|updated|veröffentlicht|aktualisiert|publié)\b.{0,80}$|"
            r"^\d+\s*(min|minute|minutes|minuten)\s*(read|lesezeit)?\W*$|"
            r"^\W*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}([ ,]+\d{1,2}:\d{2})?\W*$|"
            r"^\W*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}\W*$|"
            r"^\W*\d{1,2}\.? (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|februar|märz|mai|juni|"
            r"juli|oktober|dezember)[a-zé]*\.? \d{4}\W*$",
            re.I,
        ),
    ),
    (
        "related",
        re.compile(
            r"^(related( articles| posts| stories| news)?|read (also|more)|see also|"
            r"more (from|on|stories|news)\b.{0,40}|you (may|might) also like.{0,20}|"
            r"recommended( for you)?|lesen sie auch|auch interessant|mehr zum thema|"
            r"(à )?lire aussi|leer también|baca juga|lihat juga|xem thêm|tin liên quan)\W*$",
            re.I,
        ),
    ),
    (
        "navigation",
        re.compile(
            r"^(home|startseite|accueil|inicio|menu|menü|skip to (main )?content|"
            r"next|previous|prev|zurück|weiter|older posts|newer posts)\W*$",
            re.I,
        ),
    ),
)

_SKIP_DESCRIPTORS = ("html", "body")
_REGION_TAGS = {
    "nav": "navigation",
    "footer": "footer",
    "header": "header",
    "aside": "teaser",
    "form": "form",
    "button": "form",
    "label": "form",
    "figcaption": "media",
}
_HEADING_TAGS = {"h2", "h3", "h4", "h5", "h6"}


def _ancestor_paths(block: Block) -> list[str]:
    """xpath of the element behind each `context` descriptor (inline descendants map to the owner)."""
    steps = block.xpath.split("/")[1:]
    paths = ["/" + "/".join(steps[: k + 1]) for k in range(len(steps))]
    n = len(block.context.split(" ")) if block.context else 0
    return (paths + [block.xpath] * n)[:n]


def content_paths(blocks: Sequence[Block], labels: Sequence[str | None]) -> set[str]:
    """Every element that holds at least one content block."""
    out: set[str] = set()
    for b, lab in zip(blocks, labels):
        if lab == CONTENT:
            out.update(_ancestor_paths(b))
    return out


def region_of(block: Block, holds_content: Set[str] = frozenset()) -> str | None:
    """Innermost ancestor region named by tag or class/id/role tokens, or None.

    Ancestors that also hold content blocks are passed over: a `paywall` or `has-comments` class on
    the article itself says nothing about one block inside it.
    """
    descriptors = block.context.split(" ")
    paths = _ancestor_paths(block)
    for descriptor, path in zip(reversed(descriptors), reversed(paths)):
        tag = descriptor_tag(descriptor)
        if tag in _SKIP_DESCRIPTORS:
            break
        if path in holds_content:
            continue
        attrs = _CAMEL_RE.sub("-", descriptor[len(tag) :])
        for category, pattern in _REGION_RULES:
            if pattern.search(attrs):
                return category
        if tag in _REGION_TAGS:
            return _REGION_TAGS[tag]
    return None


_PAGE_NUMBERS_RE = re.compile(r"^\d+(\s+\d+)*(\s*(next|»|›|>))?\W*$", re.I)


def text_cue(block: Block) -> str | None:
    text = block.text.strip()
    if len(text) > 300:
        return None
    for category, pattern in _TEXT_RULES:
        if pattern.search(text):
            return category
    if block.link_words == block.words and _PAGE_NUMBERS_RE.match(text):
        return "navigation"  # linked page numbers; unlinked numbers are counters, scores, figures
    return None


def content_category(block: Block, title: int | None = None) -> str:
    tags = {descriptor_tag(d) for d in block.context.split(" ")}
    tag = block.tag
    if block.index == title:
        return "title"
    if tag in _HEADING_TAGS or tag == "h1":
        return "heading"
    if tag == "pre" or "code" in tags or "pre" in tags:
        return "code"
    if tag in ("figcaption", "caption") or "figcaption" in tags:
        return "caption"
    if tag in ("td", "th", "tr", "table", "thead", "tbody", "tfoot"):
        return "table"
    if tag in ("li", "dd", "dt", "ul", "ol", "dl"):
        return "list"
    if tag == "blockquote" or "blockquote" in tags:
        return "quote"
    if tags & _HEADING_TAGS:
        return "heading"
    return "paragraph"


_TITLE_LIKE_WORDS = 15


def boilerplate_category(block: Block, near_content: bool, holds_content: Set[str] = frozenset()) -> str:
    cue = text_cue(block)
    if cue is not None:
        return cue
    region = region_of(block, holds_content)
    if region is not None:
        return region
    linky = block.words > 0 and block.link_words / block.words >= 0.6
    if block.tag == "line":  # a text dump's line: links are not visible; a title-like line stands in for one
        linky = 0 < block.words <= _TITLE_LIKE_WORDS and not ends_sentence(block.text)
    if linky:
        if block.words <= 3:
            return "navigation"
        return "related" if near_content else "teaser"
    if block.tag in ("figcaption",):
        return "media"
    return "other"


def categorize(blocks: Sequence[Block], labels: Sequence[str | None], title: int | None = None) -> list[str]:
    """Category per block, given labels (content / boilerplate / None for unlabeled) and the index
    of the title block (`labels.title_block`)."""
    content_pos = [i for i, lab in enumerate(labels) if lab == CONTENT]
    holds = content_paths(blocks, labels)
    first = content_pos[0] if content_pos else len(blocks)
    last = content_pos[-1] if content_pos else -1
    out: list[str] = []
    for i, (block, label) in enumerate(zip(blocks, labels)):
        if label == CONTENT:
            out.append(content_category(block, title))
            continue
        if label is None:  # unlabeled: a category only when the page itself says so
            cue = text_cue(block) or region_of(block, holds)
            out.append(cue or content_category(block, title))
            continue
        near = first < i < last and any(
            j != i and 0 <= j < len(labels) and labels[j] == CONTENT for j in (i - 2, i - 1, i + 1, i + 2)
        )
        cat = boilerplate_category(block, near, holds)
        if cat == "other" and label == BOILERPLATE and content_pos:
            # Outside the article span, unexplained blocks are page chrome above or below it (a
            # text dump's lines have no DOM to say so: their place does).
            line = block.tag == "line"
            if i < first and (line or (block.depth and "header" in block.context)):
                cat = "header"
            elif i > last and (line or "footer" in block.context):
                cat = "footer"
        out.append(cat)
    return out
