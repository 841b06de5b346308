"""Contacts: every participant of a run gets its Xero contact, found or created, exactly once.

The Maica participant id is the contact's ``ContactNumber``. Names must be unique in Xero, so a name
more than one participant has becomes "Name (NDIS 431234567)" (or "(participant id)" without an NDIS
number), and a name already used by a different Xero contact gets the participant id added: the
same participant always gets the same name.

**Archived contacts.** Xero hides archived contacts from lists unless ``includeArchived=true`` and
refuses them on a new invoice. So every lookup includes them: a participant whose contact is
archived is *blocked* with a reason that says to restore the contact in Xero — never created
again (its ContactNumber is still taken) and never sent to fail. The contacts the store already
knows are checked by ``IDs`` (40 a call) each run for the same reason; restoring the contact in
Xero unblocks the participant on the next run.

**Few calls.** New participants are looked up by ``where`` (ContactNumber or the name to be used,
OR-ed, LOOKUP_BATCH participants a call) when there are few of them; otherwise every contact is
listed, 1,000 a page, stopping on ``pagination.pageCount``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..errors import XeroRequestError
from ..store import Store
from ..xero.client import XeroClient
from .xerodata import ZERO_ID, items, messages

log = logging.getLogger(__name__)

BATCH = 50
PAGE_SIZE = 1000
#: contact ids per ``IDs=`` call
IDS_PER_CALL = 40
#: participants per ``where`` lookup (two clauses each: about 1 KB of query string, well inside
#: the 2 KB a query string safely carries — the same bound that keeps IDs to 40-50 GUIDs)
LOOKUP_BATCH = 10
#: up to this many new participants are looked up (one call); more list every contact
LOOKUP_LIMIT = LOOKUP_BATCH
#: a longer value (a long name) is not put into a ``where`` lookup
LOOKUP_VALUE_MAX = 60
ARCHIVED = "ARCHIVED"


def archived_reason(name: str) -> str:
    return (
        f"The participant's Xero contact '{name}' is archived in Xero, which refuses archived "
        "contacts on new invoices. Restore the contact in Xero (Contacts, Archived), then run "
        "the sync again."
    )


@dataclass(frozen=True)
class Participant:
    participant_id: str
    name: str
    ndis_number: str = ""
    email: str = ""


@dataclass
class ContactResult:
    found: dict[str, str]
    failed: dict[str, str]
    would_create: list[str]
    #: participant id -> reason the invoices wait (e.g. an archived contact)
    blocked: dict[str, str] = field(default_factory=dict)


class ContactResolver:
    """One run's contacts (see the module docstring): finds or creates the Xero contact of each
    participant, once. Owns nothing beyond the run; reads and writes the store's contact table
    through the store. Never sends an invoice. One resolver per run, used on the run's thread
    only."""

    def __init__(self, client: XeroClient, store: Store, tenant_id: str) -> None:
        self._client = client
        self._store = store
        self._tenant = tenant_id
        self._nonce = secrets.token_hex(8)

    def resolve(self, participants: list[Participant], dry_run: bool = False) -> ContactResult:
        known = self._store.contacts(self._tenant)
        found = {
            pid: known[pid][0] for pid in (p.participant_id for p in participants) if pid in known
        }
        result = ContactResult(found=found, failed={}, would_create=[])
        for pid, name in self._archived_known(found, known).items():
            del result.found[pid]
            result.blocked[pid] = archived_reason(name)
        missing = [
            p
            for p in participants
            if p.participant_id not in found and p.participant_id not in result.blocked
        ]
        if not missing:
            return result
        shared = self._store.shared_participant_names()
        if len(missing) <= LOOKUP_LIMIT and _quotable(missing, shared):
            by_number, names_in_xero = self._look_up(missing, shared)
        else:
            by_number, names_in_xero = self._list_xero_contacts()
        newly_found: dict[str, tuple[str, str]] = {}
        to_create: list[Participant] = []
        for participant in missing:
            match = by_number.get(participant.participant_id.lower())
            if match is None:
                to_create.append(participant)
            elif match[2] == ARCHIVED:
                result.blocked[participant.participant_id] = archived_reason(match[1])
            else:
                newly_found[participant.participant_id] = (match[0], match[1])
        names = {p.participant_id: self._name(p, shared, names_in_xero) for p in to_create}
        if dry_run:
            result.would_create = [names[p.participant_id] for p in to_create]
        else:
            for start in range(0, len(to_create), BATCH):
                batch = to_create[start : start + BATCH]
                newly_found.update(self._create(batch, names, result.failed))
            if newly_found:
                self._store.save_contacts(self._tenant, newly_found)
        result.found.update({pid: cid for pid, (cid, _) in newly_found.items()})
        return result

    def _archived_known(
        self, found: dict[str, str], known: dict[str, tuple[str, str]]
    ) -> dict[str, str]:
        """participant id → contact name, for the known contacts Xero now has archived."""
        by_contact = {cid.lower(): pid for pid, cid in found.items()}
        wanted = list(by_contact)
        archived: dict[str, str] = {}
        for start in range(0, len(wanted), IDS_PER_CALL):
            chunk = wanted[start : start + IDS_PER_CALL]
            body = self._client.accounting(
                "GET",
                "Contacts",
                self._tenant,
                params={"IDs": ",".join(chunk), "includeArchived": "true"},
            )
            for contact in items(body, "Contacts"):
                pid = by_contact.get(str(contact.get("ContactID", "")).lower())
                if pid is not None and str(contact.get("ContactStatus", "")).upper() == ARCHIVED:
                    archived[pid] = str(contact.get("Name") or known[pid][1])
        return archived

    def _look_up(
        self, missing: list[Participant], shared: set[str]
    ) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
        """Like :meth:`_list_xero_contacts`, for these participants only: each by its
        ContactNumber and by the name it would get."""
        by_number: dict[str, tuple[str, str, str]] = {}
        names: dict[str, str] = {}
        for start in range(0, len(missing), LOOKUP_BATCH):
            chunk = missing[start : start + LOOKUP_BATCH]
            clauses = []
            for participant in chunk:
                clauses.append(f'ContactNumber=="{participant.participant_id}"')
                clauses.append(f'Name=="{self._name(participant, shared, {})}"')
            body = self._client.accounting(
                "GET",
                "Contacts",
                self._tenant,
                params={
                    "where": " OR ".join(clauses),
                    "includeArchived": "true",
                },
            )
            _collect(items(body, "Contacts"), by_number, names)
        return by_number, names

    @staticmethod
    def _name(participant: Participant, shared: set[str], names_in_xero: dict[str, str]) -> str:
        name = participant.name.strip() or participant.participant_id
        if name.lower() in shared:
            suffix = f"NDIS {participant.ndis_number}" if participant.ndis_number else ""
            name = f"{name} ({suffix or participant.participant_id})"
        owner = names_in_xero.get(name.lower())
        if owner is not None and owner != participant.participant_id.lower():
            name = f"{name} ({participant.participant_id})"
        return name[:255]

    def _list_xero_contacts(self) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
        """ContactNumber → (ContactID, Name, ContactStatus) for every contact, archived ones
        included; and name → ContactNumber for the active ones (names are unique among
        active contacts)."""
        by_number: dict[str, tuple[str, str, str]] = {}
        names: dict[str, str] = {}
        page = 1
        while True:
            body = self._client.accounting(
                "GET",
                "Contacts",
                self._tenant,
                params={
                    "page": page,
                    "pageSize": PAGE_SIZE,
                    "includeArchived": "true",
                },
            )
            contacts = items(body, "Contacts")
            _collect(contacts, by_number, names)
            if _last_page(body, page, len(contacts)):
                return by_number, names
            page += 1

    def _create(
        self, batch: list[Participant], names: dict[str, str], failed: dict[str, str]
    ) -> dict[str, tuple[str, str]]:
        created: dict[str, tuple[str, str]] = {}
        retry: list[Participant] = []
        elements = self._put(batch, names)
        for participant, element in zip(batch, elements, strict=False):
            contact_id = str(element.get("ContactID") or "")
            problems = messages(element)
            if contact_id and contact_id != ZERO_ID and not problems:
                created[participant.participant_id] = (
                    contact_id,
                    names[participant.participant_id],
                )
            elif any("already assigned to another contact" in m for m in problems):
                names[participant.participant_id] += f" ({participant.participant_id})"
                retry.append(participant)
            else:
                failed[participant.participant_id] = (
                    "Xero refused the participant's contact: "
                    + "; ".join(problems or ["no reason given"])
                )
        if retry:
            for participant, element in zip(retry, self._put(retry, names), strict=False):
                contact_id = str(element.get("ContactID") or "")
                if contact_id and contact_id != ZERO_ID and not messages(element):
                    created[participant.participant_id] = (
                        contact_id,
                        names[participant.participant_id],
                    )
                else:
                    failed[participant.participant_id] = (
                        "Xero refused the participant's contact: " + "; ".join(messages(element))
                    )
        return created

    def _key(self, contacts: list[dict[str, Any]]) -> str:
        """Xero answers 400 when a live key comes with a different body, so the key hashes the
        exact body; and it replays a 5xx for the key's life, so a later resolver (run) never
        reuses one: across runs, the listing by ContactNumber is what stops a second copy."""
        body = json.dumps(contacts, sort_keys=True, separators=(",", ":"))
        text = f"contacts|{self._tenant}|{self._nonce}|{body}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _put(self, batch: list[Participant], names: dict[str, str]) -> list[dict[str, Any]]:
        contacts = []
        for participant in batch:
            contact: dict[str, Any] = {
                "Name": names[participant.participant_id],
                "ContactNumber": participant.participant_id,
            }
            if participant.email:
                contact["EmailAddress"] = participant.email
            contacts.append(contact)
        body = self._client.accounting(
            "PUT",
            "Contacts",
            self._tenant,
            params={"summarizeErrors": "false"},
            json={"Contacts": contacts},
            idempotency_key=self._key(contacts),
        )
        elements = items(body, "Contacts")
        if len(elements) != len(batch):
            raise XeroRequestError(
                "Xero answered the contact batch with a different number of contacts than were "
                "sent. Run the sync again; nothing is duplicated."
            )
        return elements


def _collect(
    contacts: list[dict[str, Any]],
    by_number: dict[str, tuple[str, str, str]],
    names: dict[str, str],
) -> None:
    for contact in contacts:
        number = str(contact.get("ContactNumber") or "")
        name = str(contact.get("Name") or "")
        status = str(contact.get("ContactStatus") or "ACTIVE").upper()
        if number:
            by_number[number.lower()] = (str(contact.get("ContactID")), name, status)
        if status != ARCHIVED:
            names[name.lower()] = number.lower()


def _quotable(participants: list[Participant], shared: set[str]) -> bool:
    """Whether every value can go into a ``where`` string as it is, and briefly."""
    values = [p.participant_id for p in participants]
    values += [ContactResolver._name(p, shared, {}) for p in participants]
    return not any(len(v) > LOOKUP_VALUE_MAX or '"' in v or "\\" in v for v in values)


def _last_page(body: Any, page: int, count: int) -> bool:
    """Stop on ``pagination.pageCount`` when the answer has it, else on a short page."""
    pagination = body.get("pagination") if isinstance(body, dict) else None
    if isinstance(pagination, dict) and isinstance(pagination.get("pageCount"), int):
        return page >= int(pagination["pageCount"])
    return count < PAGE_SIZE
