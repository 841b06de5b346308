"""The Maica org's field mapping in detail: every mapped field (object, role, API name, state,
suggestion), what is wrong in one sentence, the invoices that changed hands, and "Confirm field
names" while names found by their label wait for the administrator's word."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaXeroError
from ..core.maica import FieldCheck, MappingCheck
from ..core.service import Service
from .table_model import RowsModel
from .tasks import Task, TaskRunner
from .widgets import StatusLine, fit_headers, fit_size, style_row_table
from .wording import say

#: a field's state as the table shows it
STATE_WORDS = {
    "found": "Found",
    "missing": "Missing",
    "wrong_type": "Wrong type",
    "not_readable": "Not readable",
    "not_writable": "Not writable",
}


def state_words(field: FieldCheck) -> str:
    text = STATE_WORDS.get(field.state, field.state)
    if field.state == "found" and field.unconfirmed:
        return "Found by label: confirm"
    return text


COLUMNS = (
    ("Object", lambda f: f.object),
    ("Role", lambda f: f.role + ("" if f.required else " (optional)")),
    ("Label", lambda f: f.label),
    ("API name", lambda f: f.api_name or "—"),
    ("State", state_words),
    ("Suggestion", lambda f: f.suggestion),
)


def mapping_summary(check: MappingCheck) -> tuple[str, str]:
    """The mapping in a few words for the Maica block, and its hint kind."""
    problems = check.problems()
    required = [f for f in problems if f.required]
    if required:
        names = ", ".join(f"{f.object} {f.role}" for f in required[:3])
        more = f" and {len(required) - 3} more" if len(required) > 3 else ""
        return f"Problems: {names}{more} (see Mapping details).", "error"
    if check.unconfirmed:
        count = len(check.unconfirmed)
        noun = "field name" if count == 1 else "field names"
        return f"Every field found; {count} {noun} to confirm.", "warning"
    if problems:
        return f"Ready ({len(problems)} optional fields not usable).", "ok"
    return f"Ready: every field found (namespace {check.namespace}).", "ok"


def changed_hands_sentence(check: MappingCheck) -> str:
    if not check.changed_hands:
        return ""
    shown = ", ".join(check.changed_hands[:10])
    more = f" and {len(check.changed_hands) - 10} more" if len(check.changed_hands) > 10 else ""
    return (
        f"{shown}{more}: got a Finance External ID this program did not write, so something else "
        "sends them to Xero. Turn off Maica's own scheduled Xero flow."
    )


class MappingDialog(QDialog):
    """Opened from the Maica block; ``confirmed`` carries the new MappingCheck after "Confirm"."""

    confirmed = Signal(object)

    def __init__(
        self, service: Service, runner: TaskRunner, check: MappingCheck, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.setWindowTitle("Maica field mapping")
        self.model: RowsModel[FieldCheck] = RowsModel(COLUMNS)
        self.table = style_row_table(QTableView(), "Mapped Maica fields")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.sentence = StatusLine()
        self.sentence.setAccessibleName("Mapping state")
        self.changed_hands = StatusLine()
        self.changed_hands.setAccessibleName("Invoices that changed hands")
        self.message = StatusLine()
        self.message.setAccessibleName("Mapping message")
        self.confirm_button = QPushButton("Con&firm field names")
        self.confirm_button.setAccessibleName("Confirm the field names found by label")
        self.confirm_button.setToolTip(
            "Use the fields found by their label (marked “confirm”) from now on"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        assert close is not None
        self.close_button: QPushButton = close
        # Enter closes (a confirmation is always a deliberate press of its own button)
        self.confirm_button.setAutoDefault(False)
        self.close_button.setDefault(True)
        buttons.rejected.connect(self.reject)
        self.confirm_button.clicked.connect(self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sentence)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.changed_hands)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        # the table, then Confirm, then Close
        QWidget.setTabOrder(self.table, self.confirm_button)
        QWidget.setTabOrder(self.confirm_button, self.close_button)
        fit_size(self, 1200, 560)
        self.show_check(check)

    def show_check(self, check: MappingCheck) -> None:
        self.check = check
        self.model.set_rows(check.fields)
        self.table.resizeColumnsToContents()
        fit_headers(self.table)
        text, kind = mapping_summary(check)
        self.sentence.show_message(say(check.sentence) if check.sentence else text, kind)
        hands = changed_hands_sentence(check)
        self.changed_hands.show_message(hands, "warning")
        self.confirm_button.setEnabled(bool(check.unconfirmed))
        self.confirm_button.setVisible(bool(check.unconfirmed) or self.confirm_button.hasFocus())

    def confirm(self) -> None:
        def work(task: Task[MappingCheck]) -> MappingCheck:
            return self.service.maica.confirm_mapping()

        self.runner.submit(
            work,
            on_done=self._confirmed,
            on_error=self._failed,
            button=self.confirm_button,
            name="maica_confirm",
        )

    def _confirmed(self, check: MappingCheck) -> None:
        self.show_check(check)
        self.message.show_message("The field names are confirmed and saved.", "ok")
        self.confirmed.emit(check)

    def _failed(self, error: MaicaXeroError) -> None:
        self.message.show_message(say(error), "error")
