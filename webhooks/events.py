"""The one seam through which the rest of the app announces changes.

Services call :func:`event_record` inside the transaction that makes the
change; the webhooks app turns it into outbox rows that are dispatched only
after that transaction commits.
"""

from typing import Any


def event_record(*, event_type: str, data: dict[str, Any]) -> None:
    """Records that ``event_type`` happened, with ``data`` as its payload.

    Must be called inside the transaction that makes the change.
    """
    # Placeholder until the webhooks outbox lands (issue 5): recording nothing
    # is the correct behaviour while no endpoint can be configured.
    return None
