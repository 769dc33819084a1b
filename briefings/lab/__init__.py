"""The Rotation Lab's data: each interactive view as JSON-ready data, computed once per version."""

from __future__ import annotations

from briefings.lab.cache import LAB_VIEWS, LabView, LabViews, UnknownLabView

__all__ = ["LAB_VIEWS", "LabView", "LabViews", "UnknownLabView"]
