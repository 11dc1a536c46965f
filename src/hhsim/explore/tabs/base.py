"""What every work tab of the explorer page declares.

A work tab (voltage clamp, protocols, propagation, network, phase plane) is
built the first time it is shown, reads the page's :class:`ExplorerState`,
runs its experiment (in the page's background job when it is long) and
shows the result in its own figures.  It never changes the page's controls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..app import Explorer


class WorkTab:
    """Base of the explorer's work tabs.

    ``title`` is the tab's label on the page; ``needs`` the hhsim sub-package
    without which the tab is left out (``None``: always there); ``job_kind``
    the kind of background job whose results go to :meth:`show_result`.
    """

    title = ""
    needs: str | None = None
    job_kind: str | None = None

    def __init__(self, page: "Explorer"):
        self.page = page
        self.layout = None

    def build(self):
        """Make the tab's widgets and figures; returns its layout."""
        raise NotImplementedError

    def show_result(self, label: str, data: dict) -> None:
        """Show one finished task of this tab's background job."""
        raise NotImplementedError(f"the {self.title} tab runs no background job")

    def _error(self, text: str) -> None:
        from ...errors import HHSimError

        self.page._show_error(HHSimError(text))
