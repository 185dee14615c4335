"""Import aiogram without building a pydantic schema for every Bot API type at once.

`aiogram.types` ends by calling `model_rebuild()` on each of its ~440 models with a
namespace of all types, which builds every schema (each with copies of the models it
nests) at import: ~150 MiB and over a second before the bot has done anything
(aiogram#1513). The models are declared with `defer_build=True`, so pydantic can build
each one the first time it is used, provided the forward references resolve then. While
aiogram is imported, `model_rebuild` with that namespace instead puts the names into the
model's module, where pydantic looks when it builds the model later, and builds nothing.
Only the handful of types the bot uses are ever built (the Bot API methods still build
when their classes are created, as before); measured: the adapter process goes from ~190
to ~115 MiB. Any other call to `model_rebuild` is untouched.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


def import_aiogram() -> None:
    if "aiogram" in sys.modules:
        return  # imported already (by something else first): nothing to save any more
    original = BaseModel.__dict__["model_rebuild"]

    def resolve_later(
        cls: type[BaseModel], *, force: bool = False, _types_namespace: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> bool | None:
        if _types_namespace is None or force or cls.__pydantic_complete__:
            return original.__func__(cls, force=force, _types_namespace=_types_namespace, **kwargs)
        module = vars(sys.modules[cls.__module__])
        for name, value in _types_namespace.items():
            module.setdefault(name, value)
        return None

    BaseModel.model_rebuild = classmethod(resolve_later)  # type: ignore[assignment, method-assign]
    try:
        import aiogram.methods
        import aiogram.types  # noqa: F401
    finally:
        BaseModel.model_rebuild = original  # type: ignore[method-assign]
