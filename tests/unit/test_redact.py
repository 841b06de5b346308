from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from maica_xero_desktop.core import redact
from maica_xero_desktop.core.logsetup import configure_logging
from maica_xero_desktop.core.paths import app_paths


def test_registered_values_and_shapes_are_masked() -> None:
    redact.register("my-registered-secret-123")
    text = (
        "Authorization: Bearer abc.def-ghi refresh_token=r3fr3sh&x=1 "
        '{"access_token": "tok123456"} my-registered-secret-123 '
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"
    )
    out = redact.redact(text)
    for secret in ("abc.def-ghi", "r3fr3sh", "tok123456", "my-registered", "eyJhbGci"):
        assert secret not in out
    assert "x=1" in out


def test_short_values_are_not_registered() -> None:
    redact.register("abc")
    assert redact.redact("abc def") == "abc def"


def test_logging_filter_redacts_args(caplog: pytest.LogCaptureFixture) -> None:
    redact.register("filter-secret-value-9")
    logger = logging.getLogger("test.redact")
    caplog.handler.addFilter(redact.RedactingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("value=%s", "filter-secret-value-9")
    assert "filter-secret-value-9" not in caplog.text
    assert "[redacted]" in caplog.text


def test_code_words_in_tracebacks_are_not_masked() -> None:
    line = "    code: int = args.func(service, args)  # token: str"
    assert redact.redact(line) == line
    assert (
        redact.redact("GET /callback?code=abc123&state=x")
        == "GET /callback?code=[redacted]&state=x"
    )
    assert "rt-1234" not in redact.redact("grant_type=refresh_token&token=rt-1234")


def test_tracebacks_are_redacted_for_every_handler(tmp_path: Path) -> None:
    redact.register("secret-in-a-traceback-77")
    logger = logging.getLogger("test.redact.traceback")
    path = tmp_path / "file.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(redact.RedactingFilter())
    logger.addHandler(handler)
    try:
        raise RuntimeError("failed with secret-in-a-traceback-77")
    except RuntimeError:
        logger.exception("unexpected")
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = path.read_text(encoding="utf-8")
    assert "RuntimeError" in text
    assert "secret-in-a-traceback-77" not in text


@pytest.mark.parametrize("value", ["1e12", "inf", "nan", "-5", "soon"])
def test_odd_retry_after_values_are_bounded(value: str) -> None:
    from maica_xero_desktop.core.xero.ratelimit import MAX_RETRY_AFTER_S, retry_after_seconds

    seconds = retry_after_seconds({"Retry-After": value})
    assert 0 <= seconds <= MAX_RETRY_AFTER_S


def _two_handler_log(tmp_path: Path) -> tuple[logging.Logger, list[Path], list[logging.Handler]]:
    logger = logging.getLogger("test.redact.forge")
    redactor = redact.RedactingFilter()  # shared, as configure_logging shares it
    paths = [tmp_path / "one.log", tmp_path / "two.log"]
    handlers: list[logging.Handler] = []
    for path in paths:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(redactor)
        logger.addHandler(handler)
        handlers.append(handler)
    return logger, paths, handlers


def test_a_log_line_cannot_be_forged(tmp_path: Path) -> None:
    logger, paths, handlers = _two_handler_log(tmp_path)
    forged = "INV-1\n2026-01-01 00:00:00,000 INFO maica: all invoices synced\x1b[2K\r"
    try:
        logger.warning("Row value %s", forged)
        try:
            raise ValueError(f"bad value {forged}")
        except ValueError:
            logger.exception("import failed")
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
    for path in paths:  # both handlers write the same, escaped once
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        records = [line for line in lines if line[:1].isdigit()]
        assert len(records) == 2, text
        assert "Row value INV-1\\n2026-01-01" in records[0]
        assert "\x1b" not in text
        assert "\r" not in text
        # the traceback stays readable: its own lines, indented, the message escaped
        assert "  Traceback (most recent call last):" in lines
        assert "  ValueError: bad value INV-1" in lines
        assert "  2026-01-01 00:00:00,000 INFO maica: all invoices synced\\x1b[2K\\r" in lines
        assert all(line[:1].isdigit() or line.startswith("  ") for line in lines)
        assert "\\\\n" not in text  # never escaped twice


def test_the_product_log_file_and_console_are_unforgeable(home: Path) -> None:
    console = io.StringIO()
    paths = app_paths()
    file_handler = configure_logging(paths, console_level=logging.INFO, stream=console)
    root = logging.getLogger()
    try:
        logging.getLogger("maica.test").warning(
            "Xero said %s", "fine\n2026-01-01 00:00:00,000 INFO x: sync finished\x1b[1A"
        )
        file_handler.flush()
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_maica", False):
                root.removeHandler(handler)
                handler.close()
    logged = paths.log_file.read_text(encoding="utf-8")
    assert len(logged.splitlines()) == 1
    assert "fine\\n2026-01-01 00:00:00,000 INFO x: sync finished\\x1b[1A" in logged
    assert console.getvalue().count("\n") == 1
    assert "\x1b" not in console.getvalue()
