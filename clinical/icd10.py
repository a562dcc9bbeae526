"""ICD-10-CM: the catalogue search staff type diagnoses into, and the release shipped
by the simple-icd-10-cm package.

The search reads the DiagnosisCode table and the administrators' synonyms
(`Icd10Synonym`). The package is another matter: importing it parses an 11 MB XML file
(~3 s, ~180 MB), so it is imported only on demand, by the loading command and the demo
seeder, never by a web request."""

import re
import warnings
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact

from clinical.models import DiagnosisCode, Icd10Synonym

SEARCH_LIMIT = 20
MIN_SEARCH_LENGTH = 2
MAX_SEARCH_WORDS = 6
CODE_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{0,4})?$")

# Words so common in titles ("without" is in ~20,000) that a code sharing only them with
# the query is no match at all: a partial match needs one of the other words.
_WEAK_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "due",
        "for",
        "from",
        "in",
        "not",
        "of",
        "on",
        "or",
        "other",
        "the",
        "to",
        "type",
        "unspecified",
        "with",
        "without",
    ]
)

# Words matched in titles rank the general codes first: short titles, the "unspecified"
# and "without complications" codes and the billable categories clinicians use most,
# before the many long, specific ones ("diabetes" matches 647 codes).
_TITLE_RANK = (
    Length("title")
    - Case(
        When(
            Q(title__icontains="unspecified") | Q(title__icontains="without complication"),
            then=Value(25),
        ),
        default=Value(0),
    )
    # A billable three-character category is a common diagnosis of its own (I10).
    - Case(When(Exact(Length("code"), 3), is_billable=True, then=Value(25)), default=Value(0))
)


@dataclass
class CodeSearch:
    """The answer to a search box: the codes, best first, and the synonyms that were
    searched for instead of what was typed. Each code carries `matches_all`: False for
    a partial match (some of the words only)."""

    query: str
    codes: list = field(default_factory=list)
    synonyms: list = field(default_factory=list)

    @property
    def too_short(self):
        return len(self.query) < MIN_SEARCH_LENGTH


def normalise_code(code):
    """Return `code` upper-cased, trimmed, with the dot after the third character."""
    code = (code or "").strip().upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def code_search(query, limit=SEARCH_LIMIT):
    """Return the CodeSearch of a search box: a code prefix ("E11", "e11.9") lists the
    exact code first, then its subdivisions in code order; words ("type 2 diabetes",
    "T2DM with ketoacidosis") list, with the administrators' synonyms (`Icd10Synonym`)
    replaced by their expansion:

    1. the codes whose title holds every word: billable codes first, then those under a
       synonym's preferred code, then general before specific (see _TITLE_RANK), shorter
       codes, code order;
    2. when these are fewer than `limit`, partial matches: titles holding every word of
       the synonyms' expansions and the most of the other distinctive words typed (not
       "with", "of", not one or two letters), ranked the same way.

    Code prefixes use the code's unique index; title words compile to
    `UPPER(title) LIKE '%WORD%'`, served on PostgreSQL by the trigram index on
    UPPER(title) (migration 0003); synonyms are one query on their unique index.
    """
    query = " ".join((query or "").split())
    search = CodeSearch(query=query)
    if search.too_short:
        return search
    required, typed, search.synonyms = _expand(query.split()[:MAX_SEARCH_WORDS])
    words = required + typed
    codes = DiagnosisCode.objects.all()
    code_like = normalise_code(query)
    if not search.synonyms and len(words) == 1 and CODE_PATTERN.match(code_like):
        exact = list(codes.filter(code=code_like))
        rest = codes.filter(code__startswith=code_like).exclude(code=code_like)
        search.codes = exact + list(rest.order_by("code")[: limit - len(exact)])
        for code in search.codes:
            code.matches_all = True
        if search.codes:
            return search
    ranking = [
        "-is_billable",
        *_preferred(search.synonyms),
        _TITLE_RANK,
        Length("code"),
        "code",
    ]
    full = codes.filter(_every(words)).annotate(matches_all=Value(True)).order_by(*ranking)
    search.codes = list(full[:limit])
    # A synonym names one diagnosis: its words stay required. Of the words typed, the
    # titles holding the most distinctive ones come next.
    distinctive = list(
        dict.fromkeys(w.lower() for w in typed if len(w) > 2 and w.lower() not in _WEAK_WORDS)
    )
    if len(search.codes) < limit and distinctive and (required or len(distinctive) > 1):
        some = Q()
        if len(distinctive) > 1:
            for word in distinctive:
                some |= Q(title__icontains=word)
        hits = sum(
            (
                Case(When(title__icontains=word, then=Value(1)), default=Value(0))
                for word in distinctive
            ),
            Value(0),
        )
        partial = (
            codes.filter(_every(required), some)
            .exclude(_every(words))
            .annotate(matches_all=Value(False), hits=hits)
            .order_by("-hits", *ranking)
        )
        search.codes += list(partial[: limit - len(search.codes)])
    return search


def _every(words):
    condition = Q()
    for word in words:
        condition &= Q(title__icontains=word)
    return condition


def _expand(words):
    """Return (the words of the synonyms' expansions, the other words typed, the
    synonyms applied): the longest runs of words that are a synonym's term, left to
    right, are replaced by its expansion."""
    lowered = [w.lower() for w in words]
    longest = Icd10Synonym.MAX_TERM_WORDS
    runs = {
        " ".join(lowered[i : i + n])
        for i in range(len(lowered))
        for n in range(1, longest + 1)
        if i + n <= len(lowered)
    }
    found = _synonyms_named(runs)
    expanded, typed, applied, i = [], [], [], 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            synonym = found.get(" ".join(lowered[i : i + n]))
            if synonym is not None:
                expanded += synonym.expansion.split()
                applied.append(synonym)
                i += n
                break
        else:
            typed.append(words[i])
            i += 1
    return expanded, typed, applied


def _synonyms_named(runs):
    # Upper(term) is what the unique constraint indexes, so PostgreSQL looks them up
    # through it.
    rows = Icd10Synonym.objects.annotate(term_upper=Upper("term")).filter(
        term_upper__in=[run.upper() for run in runs]
    )
    return {synonym.term.lower(): synonym for synonym in rows}


def _preferred(synonyms):
    prefixes = [s.code for s in synonyms if s.code]
    if not prefixes:
        return []
    under = Q()
    for prefix in prefixes:
        under |= Q(code__startswith=prefix)
    return [Case(When(under, then=Value(0)), default=Value(1), output_field=IntegerField())]


def icd10_package():
    """Return the simple_icd_10_cm module (imported on first use)."""
    with warnings.catch_warnings():
        # The package reads its data with importlib.resources' legacy API.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

        simple_icd_10_cm.is_valid_item("A00")  # parse the release under the filter
    return simple_icd_10_cm


def catalogue_rows(limit=None):
    """Yield (code, title, is_billable, chapter) for every ICD-10-CM category and code,
    in the release's order (chapters and blocks left out); the first `limit` only."""
    cm = icd10_package()
    count = 0
    for code in cm.get_all_codes(True):
        if limit is not None and count >= limit:
            return
        if cm.is_chapter(code) or cm.is_block(code):
            continue
        yield code, cm.get_description(code), cm.is_leaf(code), cm.get_ancestors(code)[-1]
        count += 1


def catalogue_entry(code):
    """Return (title, is_billable, chapter) of one code of the release."""
    cm = icd10_package()
    return cm.get_description(code), cm.is_leaf(code), cm.get_ancestors(code)[-1]
