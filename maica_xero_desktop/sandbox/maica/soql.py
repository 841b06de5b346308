"""A parser for the SOQL the product sends (a subset of Salesforce's grammar).

``SELECT fields | COUNT() FROM object [WHERE condition] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST],
...] [LIMIT n] [OFFSET n]``; fields may be ``Rel__r.Field`` paths and child subqueries
``(SELECT ... FROM ChildRelationship [WHERE] [ORDER BY] [LIMIT])``. Conditions: AND / OR / NOT,
parentheses, ``= != <> < <= > >=``, ``IN (...)``, ``NOT IN (...)``, ``LIKE``, with strings
('...' with backslash escapes), numbers, true / false / null, dates ``YYYY-MM-DD``, datetimes
``YYYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm)`` and the date literals TODAY, YESTERDAY, TOMORROW,
LAST_N_DAYS:n and NEXT_N_DAYS:n. Keywords are case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .values import parse_date, parse_datetime


class SoqlError(Exception):
    """MALFORMED_QUERY (syntax) or INVALID_FIELD / INVALID_TYPE (names), with Salesforce's
    wording."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, number, datetime, date, op, punct, eof
    text: str
    value: Any
    pos: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w:]))
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?![\w]))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?::\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),.])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPES.update({"%": "\\%", "_": "\\_"})
DATE_LITERALS = frozenset({"TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS"})


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[pos : pos + 20]}'")
        kind = found.lastgroup or ""
        raw = found.group()
        if kind == "string":
            out.append(Token("string", raw, _unquote(raw), pos))
        elif kind == "number":
            out.append(Token("number", raw, float(raw), pos))
        elif kind == "datetime":
            stamp = parse_datetime(raw)
            if stamp is None:
                raise SoqlError("MALFORMED_QUERY", f"invalid datetime: {raw}")
            out.append(Token("datetime", raw, stamp, pos))
        elif kind == "date":
            day = parse_date(raw)
            if day is None:
                raise SoqlError("MALFORMED_QUERY", f"invalid date: {raw}")
            out.append(Token("date", raw, day, pos))
        elif kind != "space":
            out.append(Token(kind, raw, raw, pos))
        pos = found.end()
    out.append(Token("eof", "", None, len(text)))
    return out


# -- the syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, dateliteral
    value: Any


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
    op: str  # = != < <= > >= like
    value: Literal


@dataclass(frozen=True)
class InList:
    path: tuple[str, ...]
    values: tuple[Literal, ...]
    negate: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or, not
    items: tuple[Condition, ...]


Condition = Compare | InList | BoolOp


@dataclass(frozen=True)
class Order:
    path: tuple[str, ...]
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    fields: list[tuple[str, ...]] = field(default_factory=list)
    subqueries: list[Query] = field(default_factory=list)
    #: output order: ("field", index) or ("sub", index)
    items: list[tuple[str, int]] = field(default_factory=list)
    count: bool = False
    sobject: str = ""
    where: Condition | None = None
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


_RESERVED = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "ORDER",
        "BY",
        "LIMIT",
        "OFFSET",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ASC",
        "DESC",
        "NULLS",
        "FIRST",
        "LAST",
        "NULL",
        "TRUE",
        "FALSE",
        "GROUP",
    }
)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "word" and self.tok.text.upper() in words

    def expect_word(self, word: str) -> None:
        if not self.is_word(word):
            self.fail(f"expecting {word}")
        self.i += 1

    def expect_punct(self, char: str) -> None:
        if self.tok.kind != "punct" or self.tok.text != char:
            self.fail(f"expecting '{char}'")
        self.i += 1

    def fail(self, what: str) -> None:
        found = self.tok.text or "end of query"
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{found}' ({what})")

    def query(self, *, nested: bool) -> Query:
        q = Query()
        self.expect_word("SELECT")
        if self.is_word("COUNT") and self.tokens[self.i + 1].text == "(":
            self.i += 2
            self.expect_punct(")")
            q.count = True
        else:
            while True:
                if self.tok.kind == "punct" and self.tok.text == "(":
                    if nested:
                        self.fail("nested subqueries are not supported")
                    self.i += 1
                    sub = self.query(nested=True)
                    self.expect_punct(")")
                    q.items.append(("sub", len(q.subqueries)))
                    q.subqueries.append(sub)
                else:
                    q.items.append(("field", len(q.fields)))
                    q.fields.append(self.path())
                if self.tok.kind == "punct" and self.tok.text == ",":
                    self.i += 1
                    continue
                break
        self.expect_word("FROM")
        if self.tok.kind != "word" or self.tok.text.upper() in _RESERVED:
            self.fail("expecting an object name")
        q.sobject = self.next().text
        if self.is_word("WHERE"):
            self.i += 1
            q.where = self.condition()
        if self.is_word("ORDER"):
            self.i += 1
            self.expect_word("BY")
            q.order = self.order()
        if self.is_word("LIMIT"):
            self.i += 1
            q.limit = self.whole_number()
        if self.is_word("OFFSET"):
            self.i += 1
            q.offset = self.whole_number()
        return q

    def whole_number(self) -> int:
        token = self.next()
        if token.kind != "number" or not token.text.isdigit():
            self.i -= 1
            self.fail("expecting a whole number")
        return int(token.text)

    def path(self) -> tuple[str, ...]:
        if self.tok.kind != "word" or self.tok.text.upper() in _RESERVED - {"FIRST", "LAST"}:
            self.fail("expecting a field name")
        parts = [self.next().text]
        while self.tok.kind == "punct" and self.tok.text == ".":
            self.i += 1
            if self.tok.kind != "word":
                self.fail("expecting a field name")
            parts.append(self.next().text)
        return tuple(parts)

    def order(self) -> list[Order]:
        items: list[Order] = []
        while True:
            path = self.path()
            descending = False
            if self.is_word("ASC", "DESC"):
                descending = self.next().text.upper() == "DESC"
            nulls_last = descending
            if self.is_word("NULLS"):
                self.i += 1
                if not self.is_word("FIRST", "LAST"):
                    self.fail("expecting FIRST or LAST")
                nulls_last = self.next().text.upper() == "LAST"
            items.append(Order(path, descending, nulls_last))
            if self.tok.kind == "punct" and self.tok.text == ",":
                self.i += 1
                continue
            return items

    def condition(self) -> Condition:
        items = [self.conjunction()]
        while self.is_word("OR"):
            self.i += 1
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def conjunction(self) -> Condition:
        items = [self.negation()]
        while self.is_word("AND"):
            self.i += 1
            items.append(self.negation())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def negation(self) -> Condition:
        if self.is_word("NOT"):
            self.i += 1
            return BoolOp("not", (self.negation(),))
        if self.tok.kind == "punct" and self.tok.text == "(":
            self.i += 1
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        path = self.path()
        if self.is_word("NOT"):
            self.i += 1
            self.expect_word("IN")
            return InList(path, self.value_list(), True)
        if self.is_word("IN"):
            self.i += 1
            return InList(path, self.value_list(), False)
        if self.is_word("LIKE"):
            self.i += 1
            value = self.literal()
            if value.kind != "string":
                self.fail("LIKE needs a string")
            return Compare(path, "like", value)
        if self.tok.kind != "op":
            self.fail("expecting an operator")
        op = self.next().text
        return Compare(path, "!=" if op == "<>" else op, self.literal())

    def value_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.tok.kind == "punct" and self.tok.text == ",":
            self.i += 1
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.next()
        if token.kind in ("string", "number", "date", "datetime"):
            return Literal(token.kind, token.value)
        if token.kind == "word":
            upper = token.text.upper()
            if upper in ("TRUE", "FALSE"):
                return Literal("boolean", upper == "TRUE")
            if upper == "NULL":
                return Literal("null", None)
            name, _, n = upper.partition(":")
            if name in DATE_LITERALS and (bool(n) == name.endswith("_N_DAYS")):
                return Literal("dateliteral", (name, int(n or 0)))
        self.i -= 1
        self.fail("expecting a value")
        raise AssertionError  # pragma: no cover (fail raises)


def parse(text: str) -> Query:
    parser = _Parser(text)
    query = parser.query(nested=False)
    if parser.tok.kind != "eof":
        parser.fail("expecting the end of the query")
    return query
