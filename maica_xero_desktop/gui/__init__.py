"""The desktop window (PySide6): one module per panel over the core's :class:`Service`.

Every service call goes through :class:`~maica_xero_desktop.gui.tasks.TaskRunner`; nothing here
decides business rules.
"""
