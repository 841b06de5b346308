"""Contacts: every participant of a run gets its Xero contact, found or created, exactly once.

The Maica participant id is the contact's ``ContactNumber``. Names must be unique in Xero, so a name
more than one participant has becomes "Name (NDIS 431234567)" (or "(participant id)" without an NDIS
number), and a name already used by a different Xero contact gets the participant id added: the
same participant always gets the same name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from ..errors import XeroRequestError
from ..store import Store
from ..xero.client import XeroClient
from .xerodata import ZERO_ID, items, messages

log = logging.getLogger(__name__)

BATCH = 50
PAGE_SIZE = 1000


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


class ContactResolver:
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
        missing = [p for p in participants if p.participant_id not in found]
        result = ContactResult(found=found, failed={}, would_create=[])
        if not missing:
            return result
        by_number, names_in_xero = self._list_xero_contacts()
        newly_found: dict[str, tuple[str, str]] = {}
        to_create: list[Participant] = []
        for participant in missing:
            match = by_number.get(participant.participant_id.lower())
            if match is not None:
                newly_found[participant.participant_id] = match
            else:
                to_create.append(participant)
        shared = self._store.shared_participant_names()
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

    def _list_xero_contacts(self) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """ContactNumber → (ContactID, Name), and name → ContactNumber, for every contact."""
        by_number: dict[str, tuple[str, str]] = {}
        names: dict[str, str] = {}
        page = 1
        while True:
            body = self._client.accounting(
                "GET", "Contacts", self._tenant, params={"page": page, "pageSize": PAGE_SIZE}
            )
            contacts = items(body, "Contacts")
            for contact in contacts:
                number = str(contact.get("ContactNumber") or "")
                name = str(contact.get("Name") or "")
                if number:
                    by_number[number.lower()] = (str(contact.get("ContactID")), name)
                names[name.lower()] = number.lower()
            if len(contacts) < 100:
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
