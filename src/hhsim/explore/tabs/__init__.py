"""The explorer's work tabs, one class per tab, in the order the page shows them."""

from __future__ import annotations

from .base import WorkTab
from .clamp import ClampTab
from .dynamics import DynamicsTab
from .network import NetworkTab
from .propagation import PropagationTab, cable_task
from .protocols import ProtocolTab

#: The work tabs, between the page's Rates and Code tabs.
WORK_TABS: tuple[type[WorkTab], ...] = (ClampTab, ProtocolTab, PropagationTab, NetworkTab, DynamicsTab)

__all__ = ["WORK_TABS", "WorkTab", "ClampTab", "ProtocolTab", "PropagationTab", "NetworkTab", "DynamicsTab",
           "cable_task"]
