"""Reading parameters of the Accounting API: ``where`` filters, ``order``, ``If-Modified-Since``,
comma-separated lists and paging.

``where`` supports what integrations use: ``Field OP value`` clauses (OP ``== != > >= < <=``;
values ``"text"``, ``Guid("...")``, ``DateTime(2026,1,31)``, numbers, ``true``/``false``/``null``)
and ``Field.Contains("x")`` / ``StartsWith`` / ``EndsWith``, joined with ``AND``/``&&`` and
``OR``/``||`` (AND binds tighter; no parentheses). Field paths are case-insensitive
(``Contact.ContactID``). Anything else is a 400 ``QueryParseException``, as Xero answers.
String comparisons are exact (case-sensitive).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

Value = str | float | bool | None
#: lower-cased field path -> value of a record
Fields = dict[str, Callable[[Any], Value]]

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|>=|<=|&&|\|\||>|<)|(?P<p>[(),.])'
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_METHODS = {"contains", "startswith", "endswith"}


class QueryError(ValueError):
    """A ``where`` or ``order`` Xero could not parse (400 QueryParseException)."""


@dataclass(frozen=True)
class Clause:
    path: str
    op: str
    value: Value


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None or found.end() == pos:
            raise QueryError(f"Syntax error at position {pos} of the where clause")
        out.append(found.group().strip())
        pos = found.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok.lower() != expected.lower()):
            raise QueryError(f"Expected {expected or 'more'} in the where clause")
        self.i += 1
        return tok

    def value(self) -> Value:
        tok = self.take()
        if tok.startswith('"'):
            return re.sub(r"\\(.)", r"\1", tok[1:-1])
        low = tok.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        if low == "guid":
            self.take("(")
            inner = self.value()
            self.take(")")
            return str(inner).lower()
        if low == "datetime":
            self.take("(")
            parts = [self.take()]
            while self.peek() == ",":
                self.take(",")
                parts.append(self.take())
            self.take(")")
            try:
                y, m, d = (int(p) for p in parts[:3])
                return f"{y:04d}-{m:02d}-{d:02d}"
            except ValueError as exc:
                raise QueryError("DateTime(...) expects year, month, day") from exc
        try:
            return float(tok)
        except ValueError as exc:
            raise QueryError(f"Unexpected '{tok}' in the where clause") from exc

    def clause(self) -> Clause:
        path = [self.take()]
        while self.peek() == ".":
            self.take(".")
            path.append(self.take())
        if path[-1].lower() in _METHODS and self.peek() == "(":
            method = path.pop().lower()
            self.take("(")
            arg = self.value()
            self.take(")")
            return Clause(".".join(path).lower(), method, arg)
        op = self.take()
        if op not in ("==", "!=", ">", ">=", "<", "<="):
            raise QueryError(f"Unexpected '{op}' in the where clause")
        return Clause(".".join(path).lower(), op, self.value())

    def parse(self) -> list[list[Clause]]:
        groups: list[list[Clause]] = [[self.clause()]]
        while self.peek() is not None:
            joiner = self.take().lower()
            if joiner in ("and", "&&"):
                groups[-1].append(self.clause())
            elif joiner in ("or", "||"):
                groups.append([self.clause()])
            else:
                raise QueryError(f"Unexpected '{joiner}' in the where clause")
        return groups


def parse_where(text: str, fields: Fields, type_name: str) -> list[list[Clause]]:
    groups = _Parser(text).parse()
    for group in groups:
        for clause in group:
            if clause.path not in fields:
                raise QueryError(
                    f"No property or field '{clause.path}' exists in type '{type_name}'"
                )
    return groups


def _test(clause: Clause, actual: Value) -> bool:
    want = clause.value
    if clause.op in _METHODS:
        if not isinstance(actual, str) or not isinstance(want, str):
            return False
        return {
            "contains": want in actual,
            "startswith": actual.startswith(want),
            "endswith": actual.endswith(want),
        }[clause.op]
    if isinstance(actual, str) and isinstance(want, str) and clause.path.endswith("id"):
        actual, want = actual.lower(), want.lower()
    if clause.op == "==":
        return actual == want
    if clause.op == "!=":
        return actual != want
    if actual is None or want is None or isinstance(actual, str) != isinstance(want, str):
        return False
    ordered: dict[str, Callable[[Any, Any], bool]] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return ordered[clause.op](actual, want)


def matches(groups: list[list[Clause]], fields: Fields, record: Any) -> bool:
    return any(all(_test(c, fields[c.path](record)) for c in group) for group in groups)


def order_key(text: str, fields: Fields, type_name: str) -> tuple[Callable[[Any], Any], bool]:
    """``"InvoiceNumber DESC"`` -> (sort key, reverse)."""
    parts = text.split()
    if not parts or len(parts) > 2 or parts[0].lower() not in fields:
        raise QueryError(f"No property or field '{text}' exists in type '{type_name}'")
    getter = fields[parts[0].lower()]
    reverse = len(parts) == 2 and parts[1].upper() == "DESC"

    def key(record: Any) -> tuple[int, Any]:
        value = getter(record)
        return (1, "") if value is None else (0, value)

    return key, reverse


def parse_since(header: str | None) -> float | None:
    """``If-Modified-Since``: ISO 8601 (UTC when no zone, as Xero reads it) or RFC 1123.
    Unparseable values are ignored, as Xero ignores them."""
    if not header or not header.strip():
        return None
    text = header.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def id_list(values: Iterable[str] | None) -> list[str]:
    """``IDs=a,b&IDs=c`` -> [a, b, c] (blank items dropped)."""
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def flag(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1", "yes")


def paging(page: str | None, size: str | None) -> tuple[int, int] | None:
    """(page, pageSize) when ``page`` is given: 100 a page unless ``pageSize`` (1..1000)."""
    if page is None:
        return None
    try:
        number = max(1, int(page))
        per = 100 if size is None else min(1000, max(1, int(size)))
    except ValueError as exc:
        raise QueryError("page and pageSize must be whole numbers") from exc
    return number, per


def pagination(page: int, per: int, total: int) -> dict[str, int]:
    return {"page": page, "pageSize": per, "pageCount": -(-total // per), "itemCount": total}


def candidates(
    groups: list[list[Clause]], indexes: Mapping[str, Callable[[Value], Iterable[Any]]]
) -> list[Any] | None:
    """Records worth testing when every OR-group has an ``==`` on an indexed field (e.g.
    ``InvoiceNumber``, ``Reference``); None means "scan everything"."""
    found: dict[int, Any] = {}
    for group in groups:
        clause = next((c for c in group if c.op == "==" and c.path in indexes), None)
        if clause is None:
            return None
        for record in indexes[clause.path](clause.value):
            found[id(record)] = record
    return list(found.values())
