"""The pane under the invoice list: the selected invoice's state, its message in full (never only
a tooltip), what to do about it, a conflict's two sides, and — for a blocked invoice — the way to
the support item's mapping."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..core.states import LinkState
from ..core.store import InvoiceRow
from ..core.textsafe import printable
from .invoice_model import STATE_HINT, money, state_label
from .widgets import StatusLine

ADVICE: dict[str, str] = {
    LinkState.PENDING: "Waiting for the next run of the selected flow.",
    LinkState.SENDING: (
        "Sent; Xero's answer did not arrive. The next run looks it up in Xero before "
        "anything is sent again."
    ),
    LinkState.SYNCED: "In Xero.",
    LinkState.BLOCKED: (
        "Not sent: Xero would refuse it. Do what the reason says, then Preview again. A "
        "support item's account and tax type are changed in the support item mapping; a value the "
        "Maica export sets on a line overrides the mapping, and is changed in Maica (then import "
        "the export again)."
    ),
    LinkState.FAILED: "Xero refused it. Correct the cause, then use Retry failed under History.",
    LinkState.CHANGED: (
        "It is not sent again by itself: update the Xero invoice by hand, or void it there and "
        "give the invoice a new number in Maica."
    ),
    LinkState.CONFLICT: (
        "Xero already holds a different invoice under this number, so this one is not "
        "linked and not counted as synced. Compare the two sides below, then correct the number in "
        "Maica or the invoice in Xero."
    ),
    LinkState.NOT_ELIGIBLE: (
        "The selected flow does not send invoices in this state; nothing is wrong with it."
    ),
}
NO_ORGANISATION = "No organisation chosen: its sync state shows once one is chosen."
MIN_WIDTH = 300
NOTHING = "Select an invoice to read its state and message in full."
_LINE = re.compile(r"\bLine (\d+)\b")


def parse_detail(text: str) -> Any:
    """The link's JSON detail (None when there is none or it cannot be read)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _human(key: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _value(value: Any) -> str:
    if isinstance(value, list | dict):
        return printable(json.dumps(value, ensure_ascii=False))
    return printable("" if value is None else value)


def detail_html(detail: Any) -> str:
    """A link's detail as rich text: two (or more) sides as a table, other facts as lines."""
    if not isinstance(detail, dict) or not detail:
        return ""
    sides = {k: v for k, v in detail.items() if isinstance(v, dict)}
    facts = {k: v for k, v in detail.items() if not isinstance(v, dict)}
    parts = []
    for key, value in facts.items():
        parts.append(f"<p><b>{html.escape(_human(str(key)))}:</b> {html.escape(_value(value))}</p>")
    if sides:
        fields: list[str] = []
        for side in sides.values():
            fields += [str(f) for f in side if str(f) not in fields]
        head = "".join(f"<th align='left'>{html.escape(_human(s))}</th>" for s in sides)
        rows = "".join(
            f"<tr><td><b>{html.escape(_human(f))}</b></td>"
            + "".join(f"<td>{html.escape(_value(s.get(f, '')))}</td>" for s in sides.values())
            + "</tr>"
            for f in fields
        )
        parts.append(
            f"<table cellspacing='0' cellpadding='3'><tr><th></th>{head}</tr>{rows}</table>"
        )
    return "".join(parts)


def totals_sentence(row: InvoiceRow) -> str:
    """The invoice's totals as Xero computes them (GST included), and Xero's own once it has it."""
    if not row.total:
        return ""
    text = f"Total {money(row.total)} incl. GST ({money(row.subtotal)} + GST {money(row.tax)})"
    if row.xero_total is None:
        return text + ", as Xero will compute it."
    if money(row.xero_total) == money(row.total):
        return text + ", as in Xero."
    return f"Xero's total {money(row.xero_total)}; computed here: {text[6:]}."


@dataclass(frozen=True)
class Culprit:
    """The support item behind a blocked invoice, and whether its line overrides the mapping."""

    item_number: str
    line: int = 0
    own_account: str = ""
    own_tax_type: str = ""


def culprit(message: str, lines: list[tuple[str, str, str]], detail: Any) -> Culprit | None:
    """The line the reason names ("Line 2: …", or the detail's line), else the first line."""
    if not lines:
        return None
    number = 0
    if isinstance(detail, dict) and isinstance(detail.get("line"), int):
        number = int(detail["line"])
    elif match := _LINE.search(message):
        number = int(match.group(1))
    index = number - 1 if 1 <= number <= len(lines) else 0
    item, account, tax = lines[index]
    return Culprit(item, number if index == number - 1 else 0, account, tax)


class InvoiceDetailPane(QFrame):
    #: the administrator asked for the mapping editor on this support item number
    edit_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Selected invoice")
        self.row: InvoiceRow | None = None
        self.culprit: Culprit | None = None
        self.title = QLabel(NOTHING)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.message = StatusLine()
        self.message.setAccessibleName("Message of the selected invoice")
        self.totals = QLabel("")
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(Qt.TextFormat.PlainText)
        self.totals.setAccessibleName("Totals of the selected invoice")
        self.advice = QLabel("")
        self.advice.setWordWrap(True)
        self.advice.setTextFormat(Qt.TextFormat.PlainText)
        self.advice.setAccessibleName("What to do")
        self.sides = QLabel("")
        self.sides.setTextFormat(Qt.TextFormat.RichText)
        self.sides.setWordWrap(True)
        self.sides.setAccessibleName("Details of the selected invoice")
        self.sides.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sides.hide()
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()
        self.edit_button = QPushButton("Edit support item mapping…")
        self.edit_button.setAccessibleName("Edit the mapping of this invoice's support item")
        self.edit_button.hide()
        for label in (self.totals, self.advice, self.note):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(MIN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self.totals)
        layout.addWidget(self.advice)
        layout.addWidget(self.sides)
        layout.addWidget(self.note)
        layout.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.edit_button.clicked.connect(self._edit)

    def show_row(self, row: InvoiceRow | None, organisation: bool = True) -> None:
        """The row's own facts at once; :meth:`show_detail` adds the lines and the detail."""
        self.row = row
        self.culprit = None
        self.sides.hide()
        self.note.hide()
        self.edit_button.hide()
        font = self.title.font()
        font.setBold(row is not None)  # the placeholder is not a heading
        self.title.setFont(font)
        self.totals.setText(totals_sentence(row) if row is not None else "")
        if row is None:
            self.title.setText(NOTHING)
            self.message.clear_message()
            self.advice.setText("")
            return
        state = state_label(row.state) if organisation else "no organisation chosen"
        self.totals.setText(totals_sentence(row))
        self.title.setText(
            " · ".join(printable(p) for p in (row.invoice_number, row.participant_name, state))
        )
        if not organisation:
            self.message.clear_message()
            self.advice.setText(NO_ORGANISATION)
            return
        hint = STATE_HINT.get(row.state, "info")
        self.message.show_message(printable(row.message), "info" if hint == "muted" else hint)
        self.advice.setText(ADVICE.get(row.state, ""))

    def show_detail(self, lines: list[tuple[str, str, str]], detail_text: str) -> None:
        row = self.row
        if row is None:
            return
        detail = parse_detail(detail_text)
        rich = detail_html(detail)
        self.sides.setText(rich)
        self.sides.setVisible(bool(rich))
        if row.state != LinkState.BLOCKED:
            return
        found = culprit(row.message, lines, detail)
        self.culprit = found
        if found is None:
            return
        item = printable(found.item_number)
        where = f"Line {found.line}" if found.line else "Its first line"
        note = f"{where}: support item {item}."
        own = [
            f"account code {printable(found.own_account)}" if found.own_account else "",
            f"tax type {printable(found.own_tax_type)}" if found.own_tax_type else "",
        ]
        own = [o for o in own if o]
        if found.line and own:
            note += (
                f" The line sets its own {' and '.join(own)} in the Maica export, which overrides "
                "the support item's mapping: change it in Maica and import the export again, or "
                "clear it there so the mapping applies."
            )
        self.note.setText(note)
        self.note.show()
        self.edit_button.show()

    def _edit(self) -> None:
        if self.culprit is not None:
            self.edit_requested.emit(self.culprit.item_number)
