"""The store's schema, as an ordered list of migrations (``PRAGMA user_version`` counts them)."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: invoices, lines, participants, support items, per-organisation sync links, runs, payments.
    """
    CREATE TABLE participants (
        participant_id TEXT PRIMARY KEY,
        name           TEXT NOT NULL,
        ndis_number    TEXT NOT NULL DEFAULT '',
        bill_to_name   TEXT NOT NULL DEFAULT '',
        bill_to_email  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX participants_name ON participants (name COLLATE NOCASE);

    CREATE TABLE support_items (
        item_number      TEXT PRIMARY KEY,
        name             TEXT NOT NULL DEFAULT '',
        xero_description TEXT NOT NULL DEFAULT '',
        account_code     TEXT NOT NULL DEFAULT '',
        tax_type         TEXT NOT NULL DEFAULT ''
    );

    CREATE TABLE invoices (
        id              INTEGER PRIMARY KEY,
        invoice_number  TEXT NOT NULL UNIQUE,
        invoice_date    TEXT NOT NULL,
        due_date        TEXT,
        status          TEXT NOT NULL,
        funding_type    TEXT NOT NULL,
        participant_id  TEXT NOT NULL REFERENCES participants (participant_id),
        currency        TEXT NOT NULL,
        total           TEXT NOT NULL,
        fingerprint     TEXT NOT NULL,
        imported_at     REAL NOT NULL,
        updated_at      REAL NOT NULL
    );
    CREATE INDEX invoices_participant ON invoices (participant_id);

    CREATE TABLE invoice_lines (
        invoice_id          INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        line_no             INTEGER NOT NULL,
        support_item_number TEXT NOT NULL,
        support_item_name   TEXT NOT NULL DEFAULT '',
        description         TEXT NOT NULL DEFAULT '',
        quantity            TEXT NOT NULL,
        unit_price          TEXT NOT NULL,
        service_date        TEXT,
        account_code        TEXT NOT NULL DEFAULT '',
        tax_type            TEXT NOT NULL DEFAULT '',
        tracking            TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (invoice_id, line_no)
    );

    -- One row per invoice and Xero organisation: where the invoice stands in that organisation.
    CREATE TABLE xero_links (
        invoice_id          INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        tenant_id           TEXT NOT NULL,
        state               TEXT NOT NULL
            CHECK (state IN ('pending','blocked','sending','synced','failed','changed')),
        message             TEXT NOT NULL DEFAULT '',
        batch_id            TEXT,
        xero_invoice_id     TEXT,
        xero_invoice_number TEXT,
        synced_fingerprint  TEXT,
        xero_status         TEXT,
        amount_paid         TEXT,
        amount_due          TEXT,
        last_payment_date   TEXT,
        updated_at          REAL NOT NULL,
        PRIMARY KEY (invoice_id, tenant_id)
    );
    CREATE INDEX xero_links_state ON xero_links (tenant_id, state);
    CREATE INDEX xero_links_xero_id ON xero_links (tenant_id, xero_invoice_id);

    -- The journal of invoice batches sent to Xero: written before the request, closed after.
    CREATE TABLE batches (
        id          TEXT PRIMARY KEY,
        run_id      INTEGER NOT NULL,
        tenant_id   TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('sending','done','unknown','reconciled')),
        invoices    TEXT NOT NULL,
        created_at  REAL NOT NULL,
        finished_at REAL
    );
    CREATE INDEX batches_open ON batches (tenant_id, state);

    CREATE TABLE contacts (
        tenant_id       TEXT NOT NULL,
        participant_id  TEXT NOT NULL,
        xero_contact_id TEXT NOT NULL,
        name_used       TEXT NOT NULL,
        PRIMARY KEY (tenant_id, participant_id)
    );

    CREATE TABLE runs (
        id           INTEGER PRIMARY KEY,
        tenant_id    TEXT NOT NULL,
        tenant_name  TEXT NOT NULL DEFAULT '',
        flow         TEXT NOT NULL,
        trigger      TEXT NOT NULL,
        dry_run      INTEGER NOT NULL DEFAULT 0,
        state        TEXT NOT NULL CHECK (state IN ('running','finished','failed','cancelled')),
        started_at   REAL NOT NULL,
        finished_at  REAL,
        selected     INTEGER NOT NULL DEFAULT 0,
        created      INTEGER NOT NULL DEFAULT 0,
        linked       INTEGER NOT NULL DEFAULT 0,
        blocked      INTEGER NOT NULL DEFAULT 0,
        failed       INTEGER NOT NULL DEFAULT 0,
        skipped      INTEGER NOT NULL DEFAULT 0,
        api_calls    INTEGER NOT NULL DEFAULT 0,
        message      TEXT NOT NULL DEFAULT ''
    );

    CREATE TABLE run_results (
        run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        invoice_id      INTEGER NOT NULL,
        invoice_number  TEXT NOT NULL,
        outcome         TEXT NOT NULL,
        xero_invoice_id TEXT,
        message         TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, invoice_id)
    );
    CREATE INDEX run_results_outcome ON run_results (run_id, outcome);

    CREATE TABLE payments (
        tenant_id       TEXT NOT NULL,
        xero_payment_id TEXT NOT NULL,
        invoice_id      INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        amount          TEXT NOT NULL,
        date            TEXT NOT NULL,
        PRIMARY KEY (tenant_id, xero_payment_id)
    );

    CREATE TABLE sync_marks (
        tenant_id TEXT NOT NULL,
        name      TEXT NOT NULL,
        value     TEXT NOT NULL,
        PRIMARY KEY (tenant_id, name)
    );
    """,
    # 2: webhook events as received (deduplicated), and what processing did with each.
    """
    CREATE TABLE webhook_events (
        id           INTEGER PRIMARY KEY,
        delivery_id  TEXT NOT NULL,
        received_at  REAL NOT NULL,
        tenant_id    TEXT NOT NULL,
        tenant_type  TEXT NOT NULL DEFAULT '',
        category     TEXT NOT NULL,
        event_type   TEXT NOT NULL,
        resource_id  TEXT NOT NULL,
        resource_url TEXT NOT NULL DEFAULT '',
        event_date   TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'new'
            CHECK (status IN ('new','processed','ignored','failed')),
        message      TEXT NOT NULL DEFAULT '',
        deliveries   INTEGER NOT NULL DEFAULT 1,
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL DEFAULT 0,
        processed_at REAL,
        UNIQUE (tenant_id, resource_id, category, event_type, event_date)
    );
    CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt);
    CREATE INDEX webhook_events_received ON webhook_events (received_at);
    """,
    # 3: the invoice list's order as an index (100,000 invoices page smoothly), and the Xero
    # number in each run's results.
    """
    CREATE INDEX invoices_list_order ON invoices (invoice_date, invoice_number);
    ALTER TABLE run_results ADD COLUMN xero_invoice_number TEXT;
    """,
    # 4: each batch remembers the flow that sent it (reconciled the same way) and when it was
    # last sent (an unanswered batch of a flow without unique numbers waits before a re-send).
    """
    ALTER TABLE batches ADD COLUMN flow TEXT NOT NULL DEFAULT '';
    ALTER TABLE batches ADD COLUMN attempted_at REAL NOT NULL DEFAULT 0;
    """,
    # 5: two more link states — 'conflict' (Xero holds an invoice under this number that is not
    # this one: never counted as synced) and 'not_eligible' (the flow does not send it, with the
    # reason) — and a JSON 'detail' beside the message (a conflict's two sides, figures Xero
    # reported). SQLite cannot change a CHECK in place, so the table is rebuilt. 'store_meta' holds
    # the store's identity (a random id made when the store is created), which settings and the
    # organisation's own records remember, so a replaced or emptied store is noticed.
    """
    CREATE TABLE xero_links_new (
        invoice_id          INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        tenant_id           TEXT NOT NULL,
        state               TEXT NOT NULL
            CHECK (state IN ('pending','blocked','sending','synced','failed','changed',
                             'conflict','not_eligible')),
        message             TEXT NOT NULL DEFAULT '',
        batch_id            TEXT,
        xero_invoice_id     TEXT,
        xero_invoice_number TEXT,
        synced_fingerprint  TEXT,
        xero_status         TEXT,
        amount_paid         TEXT,
        amount_due          TEXT,
        last_payment_date   TEXT,
        updated_at          REAL NOT NULL,
        detail              TEXT,
        PRIMARY KEY (invoice_id, tenant_id)
    );
    INSERT INTO xero_links_new (invoice_id, tenant_id, state, message, batch_id, xero_invoice_id,
        xero_invoice_number, synced_fingerprint, xero_status, amount_paid, amount_due,
        last_payment_date, updated_at)
    SELECT invoice_id, tenant_id, state, message, batch_id, xero_invoice_id, xero_invoice_number,
        synced_fingerprint, xero_status, amount_paid, amount_due, last_payment_date, updated_at
    FROM xero_links;
    DROP TABLE xero_links;
    ALTER TABLE xero_links_new RENAME TO xero_links;
    CREATE INDEX xero_links_state ON xero_links (tenant_id, state);
    CREATE INDEX xero_links_xero_id ON xero_links (tenant_id, xero_invoice_id);
    CREATE TABLE store_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 6: what settled an invoice beyond payments — credit notes, prepayments and overpayments
    # applied to it (one credit can be spread over several invoices, hence its own table) — and
    # Xero's view beside Maica's: the amount credited and Xero's payment state (Not Paid /
    # Partially Paid / Fully Paid), which a pull never writes over Maica's own status.
    """
    ALTER TABLE xero_links ADD COLUMN amount_credited TEXT;
    ALTER TABLE xero_links ADD COLUMN xero_payment_state TEXT;
    CREATE TABLE invoice_credits (
        tenant_id      TEXT NOT NULL,
        invoice_id     INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        kind           TEXT NOT NULL
            CHECK (kind IN ('credit_note','prepayment','overpayment')),
        xero_credit_id TEXT NOT NULL,
        amount         TEXT NOT NULL,
        date           TEXT NOT NULL,
        PRIMARY KEY (tenant_id, invoice_id, kind, xero_credit_id)
    );
    CREATE INDEX payments_invoice ON payments (tenant_id, invoice_id);
    """,
    # 7: the Maica org as source and destination. 'maica_records': each invoice pulled from the
    # org, with its Salesforce Id, SystemModstamp and the Finance External ID last seen on it (one
    # this product did not write means it changed hands). 'maica_writeback': the journal of what
    # was written to Maica for each invoice (the Xero id and number; 'elsewhere' = linked to what
    # Maica's own sync wrote, nothing to write). 'maica_payments': per Xero PaymentID, what was
    # last upserted as a Maica Payment (a changed or removed payment is sent again). 'maica_marks':
    # each org's pull high-water mark. The runs count the Maica API calls and what moved.
    """
    CREATE TABLE maica_records (
        invoice_id          INTEGER PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
        sf_id               TEXT NOT NULL UNIQUE,
        org                 TEXT NOT NULL DEFAULT '',
        system_modstamp     TEXT NOT NULL DEFAULT '',
        finance_external_id TEXT,
        xero_number_seen    TEXT,
        changed_hands_at    REAL,
        pulled_at           REAL NOT NULL
    );
    CREATE TABLE maica_writeback (
        invoice_id          INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        tenant_id           TEXT NOT NULL,
        xero_invoice_id     TEXT NOT NULL,
        xero_invoice_number TEXT NOT NULL DEFAULT '',
        state               TEXT NOT NULL CHECK (state IN ('written','failed','elsewhere')),
        message             TEXT NOT NULL DEFAULT '',
        attempts            INTEGER NOT NULL DEFAULT 0,
        updated_at          REAL NOT NULL,
        PRIMARY KEY (invoice_id, tenant_id)
    );
    CREATE TABLE maica_payments (
        tenant_id       TEXT NOT NULL,
        xero_payment_id TEXT NOT NULL,
        invoice_id      INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        sf_id           TEXT,
        amount          TEXT NOT NULL,
        date            TEXT NOT NULL,
        included        INTEGER NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('written','failed')),
        message         TEXT NOT NULL DEFAULT '',
        updated_at      REAL NOT NULL,
        PRIMARY KEY (tenant_id, xero_payment_id)
    );
    CREATE TABLE maica_marks (
        org             TEXT PRIMARY KEY,
        system_modstamp TEXT NOT NULL,
        updated_at      REAL NOT NULL
    );
    ALTER TABLE runs ADD COLUMN maica_calls INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN pulled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN written_back INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: the Finance External ID someone else wrote, once looked up in Xero and found to be this
    # invoice there ('xero_checked'): until then the invoice is linked, but said to be unchecked.
    """
    ALTER TABLE maica_records ADD COLUMN xero_checked TEXT;
    """,
    # 9: when a pull found a pulled, unsent invoice no longer in the Maica org (deleted, or hidden
    # from the API user): it is not sent while 'gone_at' is set; read again, it is cleared.
    """
    ALTER TABLE maica_records ADD COLUMN gone_at REAL;
    """,
)
