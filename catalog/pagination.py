"""Page arithmetic shared by the products API and the products page."""

import math
from dataclasses import dataclass


class PageOutOfRange(Exception):
    """The requested page does not exist (past the end, zero, not a number)."""


@dataclass(frozen=True)
class PageWindow:
    number: int
    size: int
    count: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        """1-based index of the first item on the page (0 when empty)."""
        return 0 if self.count == 0 else self.offset + 1

    @property
    def end_index(self) -> int:
        return min(self.offset + self.size, self.count)

    def page_numbers(self, *, around: int = 2) -> list[int | None]:
        """Page numbers to offer, ``None`` standing for a gap ("…")."""
        wanted = {1, self.num_pages}
        wanted.update(
            range(
                max(1, self.number - around),
                min(self.num_pages, self.number + around) + 1,
            )
        )
        numbers: list[int | None] = []
        previous = 0
        for number in sorted(wanted):
            if number - previous > 1:
                numbers.append(None)
            numbers.append(number)
            previous = number
        return numbers


def page_window(*, page: str | int | None, size: int, count: int) -> PageWindow:
    """The page ``page`` (a number or ``"last"``) of ``count`` items.

    Raises :class:`PageOutOfRange` for anything that is not an existing
    page; page 1 always exists, even when nothing matches.
    """
    num_pages = max(1, math.ceil(count / size))
    if page in (None, ""):
        number = 1
    elif page == "last":
        number = num_pages
    else:
        try:
            number = int(page)
        except (TypeError, ValueError):
            raise PageOutOfRange
    if not 1 <= number <= num_pages:
        raise PageOutOfRange
    return PageWindow(number=number, size=size, count=count)
