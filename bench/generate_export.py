"""Write a large, valid Maica invoice export for benchmarks and tests.

    python bench/generate_export.py --invoices 20000 --lines 5 -o /tmp/big.csv
    python bench/generate_export.py --invoices 20000 --lines 1-9 --participants 3000 --seed 7

The output is deterministic for a seed. Participant names repeat on purpose (about one participant
in ten shares a name with another, as "Adam Smith" does in real data), so the contact-name
disambiguation is exercised at scale. No invoice has two identical lines.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from maica_xero_desktop.core.importing import EXPORT_COLUMNS

COLUMNS = EXPORT_COLUMNS

#: (support item number, name, unit price) from the NDIS price guide, 2025-26 style.
SUPPORT_ITEMS = (
    (
        "01_011_0107_1_1",
        "Assistance With Self-Care Activities - Standard - Weekday Daytime",
        "67.56",
    ),
    (
        "01_015_0107_1_1",
        "Assistance With Self-Care Activities - Standard - Weekday Evening",
        "74.44",
    ),
    ("01_013_0107_1_1", "Assistance With Self-Care Activities - Standard - Saturday", "95.07"),
    ("01_014_0107_1_1", "Assistance With Self-Care Activities - Standard - Sunday", "122.59"),
    ("01_799_0107_1_1", "Provider travel - non-labour costs", "0.99"),
    (
        "04_104_0125_6_1",
        "Access Community Social and Rec Activ - Standard - Weekday Daytime",
        "67.56",
    ),
    (
        "04_102_0136_6_1",
        "Group Activities In The Community - 1:3 - Standard - Weekday Daytime",
        "23.4133",
    ),
    ("07_001_0106_8_3", "Support Connection", "100.14"),
    ("07_002_0106_8_3", "Coordination Of Supports", "100.14"),
    ("11_022_0110_7_3", "Specialist Behavioural Intervention Support", "214.41"),
    ("15_054_0128_1_3", "Assessment Recommendation Therapy Or Training - Physiotherapy", "193.99"),
    ("15_056_0128_1_3", "Assessment Recommendation Therapy Or Training - Other Therapy", "193.99"),
)
FIRST_NAMES = (
    "Adam", "Olivia", "Noah", "Charlotte", "William", "Ava", "Lucas", "Isla", "Ethan", "Zoë",
    "Liam", "Grace", "Mia", "Jack", "Amelia", "Oliver", "Harper", "James", "Chloe", "Leo",
    "Ruby", "Henry", "Sienna", "Thomas", "Matilda", "Archie", "Ivy", "Hudson", "Willow", "Kai",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Nguyen", "O'Brien", "Wilson", "Papadopoulos", "Brown", "Taylor", "Singh",
    "Martin", "Thompson", "Walker", "Anderson", "Roberts", "Kelly", "Jones", "Williams",
    "Lee", "Tran", "Kaur", "Murphy", "White", "Harris", "Clarke", "Young", "King",
    "Wright", "Scott", "Green", "Baker", "Hall", "Rossi", "Chen", "Ahmed", "Patel",
)  # fmt: skip
PLAN_MANAGERS = (
    ("Bright Path Plan Management", "invoices@brightpath-plans.com.au"),
    ("Capital Plan Partners", "accounts@capitalplanpartners.com.au"),
    ("Harbour Plan Management", "payables@harbourpm.com.au"),
)
FUNDING_TYPES = ("Agency Managed", "Plan Managed", "Self Managed", "Self Funded")
#: tracking options that exist (active) in the sandbox organisation's chart
REGIONS = ("North", "South")
HOURS = ("0.5", "0.75", "1", "1.25", "1.5", "2", "2.5", "3", "3.5", "4", "6", "8")
FIRST_DAY = date(2026, 10, 5)


def _participants(count: int, rng: random.Random) -> list[tuple[str, ...]]:
    """(id, name, ndis number, funding type, bill-to name, bill-to email, region) each."""
    people: list[tuple[str, ...]] = []
    names: list[str] = []
    for index in range(count):
        if names and index % 10 == 9:
            name = rng.choice(names)  # a namesake: a different participant, the same name
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            names.append(name)
        funding = FUNDING_TYPES[rng.randrange(len(FUNDING_TYPES))]
        ndis = "" if funding == "Self Funded" else f"43{index % 10_000_000:07d}"
        if funding == "Plan Managed":
            bill_to, email = rng.choice(PLAN_MANAGERS)
        elif funding == "Agency Managed":
            bill_to, email = "", ""
        else:
            bill_to = name
            email = f"participant{index + 1}@example.com"
        region = rng.choice(REGIONS)
        people.append(
            (f"P-{index + 1:06d}", name, ndis, funding, bill_to, email, region),
        )
    return people


def generate(
    invoices: int,
    lines_per_invoice: int | tuple[int, int],
    participants: int,
    seed: int,
) -> bytes:
    """A valid export (UTF-8, Excel-style CRLF) of ``invoices`` invoices, deterministic for seed.

    ``lines_per_invoice`` is a count, or an inclusive (low, high) range drawn per invoice.
    """
    if invoices < 0 or participants < 1:
        raise ValueError("invoices must be >= 0 and participants >= 1")
    low, high = (
        (lines_per_invoice, lines_per_invoice)
        if isinstance(lines_per_invoice, int)
        else lines_per_invoice
    )
    if not 1 <= low <= high:
        raise ValueError("lines per invoice must be at least 1 (and low <= high)")
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    people = _participants(participants, rng)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    weeks = 8
    for number in range(invoices):
        pid, name, ndis, funding, bill_to, email, region = people[number % participants]
        period = FIRST_DAY + timedelta(days=7 * (number * weeks // max(invoices, 1)))
        invoice_date = period + timedelta(days=7)
        due = "" if funding == "Agency Managed" else (invoice_date + timedelta(days=14)).isoformat()
        status = "Entered" if number % 5 == 0 else "Not Paid"
        header = (
            f"INV-{number + 1:07d}",
            invoice_date.isoformat(),
            due,
            status,
            funding,
            pid,
            name,
            ndis,
            bill_to,
            email,
        )
        count = low if low == high else rng.randint(low, high)
        seen: set[tuple[str, str, str]] = set()
        for index in range(count):
            item, item_name, price = SUPPORT_ITEMS[rng.randrange(len(SUPPORT_ITEMS))]
            service = (period + timedelta(days=rng.randrange(7))).isoformat()
            quantity = rng.choice(HOURS)
            description = ""
            if (item, service, quantity) in seen:
                description = f"Session {index + 1}"  # keeps a repeated service a distinct line
            seen.add((item, service, quantity))
            tracking_1 = f"Region:{region}" if number % 2 == 0 else ""
            tracking_2 = (
                f"Funding:{funding}" if number % 3 == 0 and funding != "Self Funded" else ""
            )
            writer.writerow(
                (
                    *header,
                    item,
                    item_name,
                    description,
                    service,
                    quantity,
                    price,
                    "",
                    "",
                    tracking_1,
                    tracking_2,
                    "AUD",
                )
            )
    return buffer.getvalue().encode("utf-8")


def _lines_argument(text: str) -> int | tuple[int, int]:
    low, dash, high = text.partition("-")
    try:
        return (int(low), int(high)) if dash else int(low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a count (5) or a range (1-9)") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a large valid Maica invoice export.")
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--lines", type=_lines_argument, default=5, help="count or range: 1-9")
    parser.add_argument("--participants", type=int, default=0, help="default: invoices / 4")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, help="default: standard output")
    args = parser.parse_args(argv)
    participants = args.participants or max(1, args.invoices // 4)
    started = time.perf_counter()
    data = generate(args.invoices, args.lines, participants, args.seed)
    if args.output is None:
        sys.stdout.buffer.write(data)
        report = sys.stderr
    else:
        args.output.write_bytes(data)
        report = sys.stdout
    elapsed = time.perf_counter() - started
    lines = data.count(b"\r\n") - 1
    print(
        f"Wrote {args.invoices} invoices, {lines} lines, {participants} participants "
        f"({len(data) / 1_000_000:.1f} MB, seed {args.seed}) to {args.output or 'stdout'} "
        f"in {elapsed:.2f} s.",
        file=report,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
