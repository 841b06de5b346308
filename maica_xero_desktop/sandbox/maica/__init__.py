"""The offline Maica org: a Salesforce imitation served by the sandbox (OAuth with PKCE, REST
``/services/data``: sObjects, describe, SOQL, sObject Collections, upsert by external id,
Bulk API 2.0 queries, the limits header) with test controls under ``/_sandbox/maica/``.

Like the rest of the sandbox it shares no code with ``maica_xero_desktop.core``.
"""
