"""The audit trail (``record``) and its staff-facing list (``routes``)."""

from service.audit.service import record

__all__ = ["record"]
