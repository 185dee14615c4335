"""The MAX adapter (maxapi): the national messenger where Russian schools work since 2025."""

from messengers.max.adapter import MaxAdapter

__all__ = ["MaxAdapter"]
