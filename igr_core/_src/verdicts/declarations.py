"""Claims declared as data, before the data decide them, with their history.

Abstraction: every row of the claims ledger is a :class:`Declaration` read from one data file per
chapter, ``igr_core/declarations/<chapter>.yml``: a stable ``id``; the claim in a sentence; its
``kind``; the words of the paper it tests (``quote``, verbatim from the text ``source`` at
``where``); its :class:`Test` (the rule, the statistic, the expected sign or value, the smallest
effect that counts *in the claim's own unit*, the selection of data, the gates, the minimum n and
any parameter the rule takes); the time it was ``declared``; and its ``history``, one
:class:`Change` per revision of the test (when, what, why, and the verdicts before and after at
each scale). A chapter's ``claims`` function only evaluates declared tests on results
(:meth:`Declaration.row`): a row's words, reference, kind and thresholds are read from here and
nowhere else.

Two guards keep a declaration honest:

* the *lock* (``igr_core/declarations/lock.json``) holds, per id, the content hash of the
  declaration and its number of versions (the first declaration, then one per history entry).
  A declaration whose content
  (everything but its history) changed without a new history entry fails
  :func:`check_lock` (and ``make test``); ``python -m igr_core._src.verdicts lock`` adds
  the new hash only when the history grew by one entry;
* :func:`quote_problems` checks that every quote occurs verbatim in the named text (whitespace
  and line-end hyphenation normalised), reading the authors' texts from the folder named by
  ``$IGR_PAPERS`` (the texts are the authors', not part of the repository; CI names their folder).

:meth:`Declaration.timing` says whether a row's test was fixed before the results it is decided
on were computed (the time of the test's last revision against the manifest's date).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from igr_core._src import columns as C
from igr_core._src import env as _env
from igr_core._src.verdicts.claims import KINDS, Claim
from igr_core._src.verdicts.outcomes import ALPHA, Verdict

FOLDER = "declarations"  # inside the igr_core package
LOCK = "lock.json"
SOURCES = {  # the texts a quote may come from, and their files under $IGR_PAPERS
    "ICLR 2021": "implicit-gradient-regularization.iclr2021.txt",
    "arXiv": "implicit-gradient-regularization.arxiv-with-latex.txt",
    "2025 estimation paper": "estimating-implicit-regularization.txt",
}
GATES = ("plateau", "fit", C.DIVERGED)  # what a declared gate may name (see verdicts.adequacy)
PAPERS_ENV = _env.PAPERS  # the variable naming their folder (igr_core._src.env)
_ID = re.compile(r"^\d\d\.[a-z0-9][a-z0-9-]*$")
_TEST_FIELDS = ("rule", "statistic", "expected", "sign", "smallest_effect", "unit", "selection", "gates", "min_n")


class DeclarationError(ValueError):
    """A declaration file that breaks the format: the message names the file, the id and the field."""


def _time(value: Any, where: str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        t = value
    elif isinstance(value, _dt.date):
        t = _dt.datetime(value.year, value.month, value.day)
    else:
        try:
            t = _dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise DeclarationError(
                f"{where}: a time must be ISO 8601 (2026-12-07T13:05+00:00), got {value!r}"
            ) from None
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Test:
    """A declared test. ``sign``: +1 / -1 / 0 (a claimed absence of effect) or None for rules
    with no sign; ``smallest_effect``: the smallest effect that counts, in ``unit`` (None for
    deterministic rules whose tolerance is the rounding of the dtype); ``params``: what else the
    rule takes (an expected order, a tolerance, a deadline), by name."""

    rule: str
    statistic: str
    expected: str
    unit: str
    selection: str
    sign: int | None = None
    smallest_effect: float | None = None
    gates: tuple = ()
    min_n: int | None = None
    alpha: float = ALPHA
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        """A rule parameter by name (``test["fit_threshold"]``), or a clear error naming the ones declared."""
        try:
            return self.params[name]
        except KeyError:
            raise KeyError(
                f"the declared test has no parameter {name!r}; it has: {', '.join(self.params) or 'none'}"
            ) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclasses.dataclass(frozen=True)
class Change:
    """One revision of a declared test: when, what changed, why, and the verdicts before and
    after at each scale (``{"paper": "not reproduced, rho = -0.95"}``)."""

    date: _dt.datetime
    change: str
    why: str
    before: Mapping[str, str] = dataclasses.field(default_factory=dict)
    after: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def sentence(self) -> str:
        """What a page shows under the verdict."""
        before = "; ".join(f"{k}: {v}" for k, v in self.before.items())
        return f"test revised on {self.date:%Y-%m-%d}: {self.change} ({self.why})" + (
            f"; before: {before}" if before else ""
        )


@dataclasses.dataclass(frozen=True)
class Declaration:
    """One ledger row as declared (see the module docstring)."""

    id: str
    chapter: str
    claim: str
    kind: str
    source: str
    where: str
    quote: str
    test: Test
    declared: _dt.datetime
    history: tuple = ()

    @property
    def revised(self) -> _dt.datetime:
        """When the test took its present form: the last revision, or the first declaration."""
        return self.history[-1].date if self.history else self.declared

    def timing(self, computed: _dt.datetime | str | None) -> str:
        """Whether the test was declared before results computed at ``computed`` (a manifest's
        date): ``"declared before the data"``, ``"declared after the data"``, or ``""`` when
        the date of the results is unknown."""
        if computed is None or computed == "":
            return ""
        t = _time(computed, f"declaration {self.id}: the results' date")
        return "declared before the data" if self.revised < t else "declared after the data"

    def row(self, verdict: Verdict, note: str = "") -> Claim:
        """The ledger row: this declaration's words with the verdict its test gave."""
        return Claim(
            claim=self.claim,
            reference=self.where,
            verdict=verdict,
            note=note,
            kind=self.kind,
            version=self.source,
            id=self.id,
            declaration=self,
        ).checked()

    def content(self) -> dict:
        """Everything but the history: what the lock hashes."""
        d = dataclasses.asdict(self)
        d.pop("history")
        d["declared"] = self.declared.isoformat()
        d["test"]["gates"] = list(self.test.gates)
        d["test"]["params"] = dict(self.test.params)
        return d

    def content_hash(self) -> str:
        blob = json.dumps(self.content(), sort_keys=True, ensure_ascii=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _parse_test(raw: Any, where: str) -> Test:
    if not isinstance(raw, Mapping):
        raise DeclarationError(f"{where}: `test` must be a mapping with {', '.join(_TEST_FIELDS)}")
    raw = dict(raw)
    missing = [k for k in ("rule", "statistic", "expected", "unit", "selection") if not raw.get(k)]
    if missing:
        raise DeclarationError(f"{where}: `test` lacks {', '.join(missing)}")
    sign = raw.pop("sign", None)
    if sign not in (None, -1, 0, 1):
        raise DeclarationError(f"{where}: `test.sign` must be -1, 0, +1 or absent, got {sign!r}")
    effect = raw.pop("smallest_effect", None)
    if effect is not None and not (isinstance(effect, (int, float)) and effect >= 0):
        raise DeclarationError(f"{where}: `test.smallest_effect` must be a number >= 0 (in `unit`), got {effect!r}")
    gates = tuple(raw.pop("gates", ()) or ())
    bad = [g for g in gates if g not in GATES]
    if bad:
        raise DeclarationError(f"{where}: `test.gates` may name {GATES}, got {bad}")
    min_n = raw.pop("min_n", None)
    if min_n is not None and not (isinstance(min_n, int) and min_n >= 1):
        raise DeclarationError(f"{where}: `test.min_n` must be a positive integer, got {min_n!r}")
    alpha = raw.pop("alpha", ALPHA)
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise DeclarationError(f"{where}: `test.alpha` must be in (0, 1), got {alpha!r}")
    fixed = {k: str(raw.pop(k)) for k in ("rule", "statistic", "expected", "unit", "selection")}
    params = raw.pop("params", {}) or {}
    if raw:
        raise DeclarationError(f"{where}: `test` has unknown fields {sorted(raw)}; rule parameters go under `params`")
    return Test(
        **fixed,
        sign=sign,
        smallest_effect=None if effect is None else float(effect),
        gates=gates,
        min_n=min_n,
        alpha=alpha,
        params=dict(params),
    )


def _parse_change(raw: Any, where: str) -> Change:
    if not isinstance(raw, Mapping) or not all(raw.get(k) for k in ("date", "change", "why")):
        raise DeclarationError(f"{where}: a history entry needs `date`, `change` and `why`")
    extra = set(raw) - {"date", "change", "why", "before", "after"}
    if extra:
        raise DeclarationError(f"{where}: a history entry has unknown fields {sorted(extra)}")
    return Change(
        date=_time(raw["date"], where),
        change=str(raw["change"]),
        why=str(raw["why"]),
        before={str(k): str(v) for k, v in (raw.get("before") or {}).items()},
        after={str(k): str(v) for k, v in (raw.get("after") or {}).items()},
    )


def parse(chapter: str, raw: Any, file: str = "") -> dict[str, Declaration]:
    """The declarations of one chapter's file (already loaded YAML), by id, checked."""
    file = file or f"{FOLDER}/{chapter}.yml"
    if not isinstance(raw, Mapping) or raw.get("chapter") != chapter or not isinstance(raw.get("claims"), list):
        raise DeclarationError(f"{file}: expected `chapter: {chapter}` and a list `claims`")
    out: dict[str, Declaration] = {}
    fields = {"id", "claim", "kind", "source", "where", "quote", "test", "declared", "history"}
    for i, c in enumerate(raw["claims"]):
        where = f"{file}, claim {i + 1}" + (f" ({c.get('id')})" if isinstance(c, Mapping) else "")
        if not isinstance(c, Mapping):
            raise DeclarationError(f"{where}: a claim must be a mapping")
        missing = [k for k in ("id", "claim", "kind", "source", "where", "quote", "test", "declared") if not c.get(k)]
        if missing:
            raise DeclarationError(f"{where}: missing {', '.join(missing)}")
        if set(c) - fields:
            raise DeclarationError(f"{where}: unknown fields {sorted(set(c) - fields)}")
        cid = str(c["id"])
        if not _ID.match(cid) or not cid.startswith(chapter[:2] + "."):
            raise DeclarationError(f"{where}: `id` must look like '{chapter[:2]}.short-name', got {cid!r}")
        if cid in out:
            raise DeclarationError(f"{where}: duplicate id {cid!r}")
        if c["kind"] not in KINDS:
            raise DeclarationError(f"{where}: `kind` must be one of {KINDS}, got {c['kind']!r}")
        if c["source"] not in SOURCES:
            raise DeclarationError(f"{where}: `source` must be one of {tuple(SOURCES)}, got {c['source']!r}")
        history = tuple(_parse_change(h, where) for h in (c.get("history") or ()))
        declared = _time(c["declared"], where)
        dates = [declared, *(h.date for h in history)]
        if dates != sorted(dates):
            raise DeclarationError(f"{where}: the history must run forward in time from `declared`")
        out[cid] = Declaration(
            id=cid,
            chapter=chapter,
            claim=str(c["claim"]),
            kind=str(c["kind"]),
            source=str(c["source"]),
            where=str(c["where"]),
            quote=" ".join(str(c["quote"]).split()),
            test=_parse_test(c["test"], where),
            declared=declared,
            history=history,
        )
    return out


def _folder():
    return resources.files("igr_core").joinpath(FOLDER)


def chapter(name: str) -> dict[str, Declaration]:
    """The declarations of chapter ``name`` (``"06_resnet"``), by id, from its data file."""
    import yaml

    f = _folder().joinpath(f"{name}.yml")
    if not f.is_file():
        raise DeclarationError(f"chapter {name!r} has no declarations file igr_core/{FOLDER}/{name}.yml")
    return parse(name, yaml.safe_load(f.read_text(encoding="utf-8")), f"igr_core/{FOLDER}/{name}.yml")


def all_declarations() -> dict[str, Declaration]:
    """Every declaration of every chapter file, by id."""
    out: dict[str, Declaration] = {}
    for f in sorted(_folder().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".yml"):
            out.update(chapter(f.name[: -len(".yml")]))
    return out


def read_lock() -> dict[str, dict]:
    f = _folder().joinpath(LOCK)
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}


def check_lock(declared: Mapping[str, Declaration], lock: Mapping[str, Mapping]) -> list[str]:
    """Problems of the declarations against the lock (``{id: {"hash": h, "versions": n}}``): a
    content changed without a new history entry, a revision not yet locked, a history entry lost,
    a declaration the lock lacks or a lock entry without a declaration."""
    out = []
    cmd = "python -m igr_core._src.verdicts lock"
    for cid, d in declared.items():
        entry = lock.get(cid)
        if entry is None:
            out.append(f"{cid}: not in the lock (a new declaration: run `{cmd}`)")
            continue
        versions = 1 + len(d.history)
        if entry["versions"] == versions and entry["hash"] != d.content_hash():
            out.append(
                f"{cid}: its declaration changed without a history entry (add one under `history`: date, change, "
                f"why, the verdicts before and after at each scale; then run `{cmd}`)"
            )
        elif entry["versions"] == versions - 1:
            out.append(f"{cid}: a new history entry not yet locked (run `{cmd}`)")
        elif entry["versions"] != versions:
            out.append(
                f"{cid}: the lock knows {entry['versions']} versions, the declaration {versions} (history lost?)"
            )
    out += [f"{cid}: locked but no longer declared" for cid in lock if cid not in declared]
    return out


def relock(declared: Mapping[str, Declaration], lock: Mapping[str, Mapping]) -> dict[str, dict]:
    """The lock with each new declaration added and each revision (one new history entry) taken
    in; a content changed without a history entry is refused."""
    new = {}
    for cid, d in declared.items():
        versions, entry = 1 + len(d.history), lock.get(cid)
        if entry is not None and entry["versions"] == versions and entry["hash"] != d.content_hash():
            raise DeclarationError(f"{cid}: its declaration changed without a history entry: add one first")
        if entry is not None and entry["versions"] not in (versions, versions - 1):
            raise DeclarationError(f"{cid}: the lock knows {entry['versions']} versions, the declaration {versions}")
        new[cid] = {"hash": d.content_hash(), "versions": versions}
    return new


def _normalise(text: str) -> str:
    for a, b in (
        ("\u2019", "'"),
        ("\u2018", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\ufb01", "fi"),
        ("\ufb02", "fl"),
    ):
        text = text.replace(a, b)
    return " ".join(text.split())


def papers_folder() -> Path | None:
    """The folder of the authors' texts, named by ``$IGR_PAPERS`` (they are not part of the
    repository); None where it is not set."""
    return _env.papers_dir()


def quote_problems(declared: Mapping[str, Declaration], folder: Path) -> list[str]:
    """Every quote that does not occur verbatim in its text (whitespace normalised; a word split
    by a hyphen at a line end read both joined and hyphenated)."""
    texts = {}
    for source, name in SOURCES.items():
        raw = (folder / name).read_text(encoding="utf-8")
        joined = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", raw)
        texts[source] = (_normalise(raw), _normalise(joined))
    out = []
    for cid, d in declared.items():
        q = _normalise(d.quote)
        if not any(q in t for t in texts[d.source]):
            out.append(f"{cid}: the quote is not in the {d.source} text: {d.quote[:80]!r}")
    return out


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m igr_core._src.verdicts")
    ap.add_argument("command", choices=("lock", "check", "hash"))
    ap.add_argument("ids", nargs="*")
    args = ap.parse_args(argv)
    declared = all_declarations()
    if args.command == "hash":
        for cid in args.ids or declared:
            print(cid, declared[cid].content_hash())
        return 0
    lock = read_lock()
    if args.command == "check":
        problems = check_lock(declared, lock)
        print("\n".join(problems) or f"{len(declared)} declarations match the lock")
        return 1 if problems else 0
    new = relock(declared, lock)
    target = Path(__file__).resolve().parents[2] / FOLDER / LOCK
    target.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"lock: {len(new)} declarations -> {target.name}")
    return 0
