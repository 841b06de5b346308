"""Discovery and mapping (core/maica/fields.py): the namespace, documented defaults, names found
by label (unconfirmed until confirmed), and each field's state."""

from __future__ import annotations

from maica_xero_desktop.core.maica.fields import (
    LINES_KEY,
    Mapping,
    detect_namespace,
    resolve,
    sentence,
)
from maica_xero_desktop.core.maica.views import (
    FOUND,
    MISSING,
    NOT_READABLE,
    NOT_WRITABLE,
    WRONG_TYPE,
)
from tests.support.maica_describe import field_of, fld, org, without


def _state(mapping: Mapping, key: str) -> str:
    return next(c.state for c in mapping.checks if f"{c.object}.{c.role}" == key)


def test_the_namespace_is_read_from_the_sobject_list() -> None:
    current = [
        {"name": f"maica_cc__{o}"} for o in ("Invoice__c", "Invoice_Line_Item__c", "Payment__c")
    ] + [{"name": "Account"}]
    older = [{"name": f"maica__{o}"} for o in ("Invoice__c", "Invoice_Line_Item__c", "Payment__c")]
    assert detect_namespace(current) == "maica_cc"
    assert detect_namespace(older) == "maica"
    assert detect_namespace([{"name": "Account"}, {"name": "Contact"}]) == ""


def test_documented_names_and_names_found_by_label() -> None:
    mapping = resolve("maica_cc", org(), {})
    assert mapping.ok
    assert mapping.name("invoice.finance_external_id") == "maica_cc__Finance_External_ID__c"
    # NF names: found by their label, never guessed, and waiting for confirmation
    assert mapping.name("invoice.xero_invoice_number") == "maica_cc__Xero_Invoice_No__c"
    assert mapping.name("invoice.invoice_date") == "maica_cc__Invoice_Date__c"
    assert mapping.name("line.description") == "maica_cc__Line_Description__c"
    assert mapping.name(LINES_KEY) == "maica_cc__Invoice_Line_Items__r"
    assert {"invoice.xero_invoice_number", "invoice.invoice_date", "invoice.due_date",
            "line.description", LINES_KEY} <= mapping.unconfirmed  # fmt: skip
    assert "invoice.finance_external_id" not in mapping.unconfirmed
    assert mapping.relations["invoice.participant"] == "maica_cc__Participant__r"
    assert "Xero" in mapping.source_values
    assert "confirmation" in sentence(mapping)


def test_the_older_namespace_resolves_the_same_roles() -> None:
    mapping = resolve("maica", org("maica"), {})
    assert mapping.ok
    assert mapping.name("payment.finance_external_id") == "maica__Finance_External_ID__c"
    assert mapping.objects["invoice"] == "maica__Invoice__c"


def test_a_confirmed_name_is_no_longer_unconfirmed_and_wins() -> None:
    describes = org()
    describes["invoice"]["fields"].append(fld("maica_cc__Other_No__c", "Other Number"))
    confirmed = {"invoice.xero_invoice_number": "maica_cc__Other_No__c",
                 LINES_KEY: "maica_cc__Invoice_Line_Items__r"}  # fmt: skip
    mapping = resolve("maica_cc", describes, confirmed)
    assert mapping.name("invoice.xero_invoice_number") == "maica_cc__Other_No__c"
    assert "invoice.xero_invoice_number" not in mapping.unconfirmed
    assert LINES_KEY not in mapping.unconfirmed


def test_a_missing_required_field_fails_the_mapping_and_is_named_with_suggestions() -> None:
    describes = org()
    without(describes, "invoice", "maica_cc__Xero_Invoice_No__c")
    describes["invoice"]["fields"].append(fld("maica_cc__Xero_Inv_Num__c", "Xero Invoice Num"))
    mapping = resolve("maica_cc", describes, {})
    assert not mapping.ok
    check = next(c for c in mapping.checks if c.role == "xero_invoice_number")
    assert check.state == MISSING
    assert "Xero Invoice Num" in check.suggestion
    said = sentence(mapping)
    assert "invoice.xero_invoice_number" in said
    assert "missing" in said


def test_an_optional_missing_field_does_not_fail_the_mapping() -> None:
    describes = org()
    without(describes, "line", "maica_cc__GST_Code__c")
    mapping = resolve("maica_cc", describes, {})
    assert mapping.ok
    assert _state(mapping, "line.gst_code") == MISSING
    assert not mapping.has("line.gst_code")


def test_wrong_type_not_writable_and_not_an_external_id() -> None:
    describes = org()
    field_of(describes, "invoice", "maica_cc__Invoice_Date__c")["type"] = "string"
    field_of(describes, "invoice", "maica_cc__Finance_External_ID__c")["updateable"] = False
    field_of(describes, "payment", "maica_cc__Finance_External_ID__c")["externalId"] = False
    mapping = resolve("maica_cc", describes, {})
    assert _state(mapping, "invoice.invoice_date") == WRONG_TYPE
    assert _state(mapping, "invoice.finance_external_id") == NOT_WRITABLE
    assert _state(mapping, "payment.finance_external_id") == NOT_WRITABLE
    assert not mapping.ok
    # Status is read only: never written, so its being not updateable is fine
    assert _state(mapping, "invoice.status") == FOUND


def test_an_object_that_cannot_be_queried_is_not_readable() -> None:
    mapping = resolve("maica_cc", org(), {}, {"contact": False})
    assert _state(mapping, "contact.name") == NOT_READABLE
    assert not mapping.ok


def test_two_fields_with_the_same_label_are_not_chosen_between() -> None:
    describes = org()
    describes["invoice"]["fields"].append(fld("maica_cc__Xero_No_2__c", "Xero Invoice Number"))
    mapping = resolve("maica_cc", describes, {})
    check = next(c for c in mapping.checks if c.role == "xero_invoice_number")
    assert check.state == MISSING
    assert "several fields" in check.suggestion


def test_the_lines_relationship_comes_from_child_relationships() -> None:
    describes = org()
    describes["invoice"]["childRelationships"] = []
    mapping = resolve("maica_cc", describes, {})
    assert _state(mapping, LINES_KEY) == MISSING
    assert not mapping.ok


def test_an_object_absent_from_the_org_is_missing() -> None:
    describes: dict[str, object] = dict(org())
    describes["payment"] = None
    mapping = resolve("maica_cc", describes, {})  # type: ignore[arg-type]
    assert _state(mapping, "payment.amount") == MISSING
    assert not mapping.ok
