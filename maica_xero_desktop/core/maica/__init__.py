"""The Maica org (a Salesforce managed package) as the source of invoices and the destination of
Xero ids and payments: sign-in, the session, discovery and mapping, pull and write-back."""
