"""Run a callback right after a module is first imported (standard library only).

Shared by the instrumentation of the sandbox: a meta path finder that, for the modules
asked for, lets the normal finder locate them and calls the callbacks once the module
has executed, so that an interpreter pays only for the modules its code really uses.
"""

from __future__ import annotations

import sys

_pending: dict = {}  # module name -> callbacks


class _AfterImport:
    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname not in _pending:
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, callbacks = spec.loader, _pending.pop(fullname)
        original = loader.exec_module

        def exec_module(module):  # type: ignore[no-untyped-def]
            original(module)
            for callback in callbacks:
                callback(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_finder = _AfterImport()


def after_import(name: str, callback) -> None:  # type: ignore[no-untyped-def]
    """``callback(module)`` now if ``name`` is imported already, else right after its import."""
    if name in sys.modules:
        callback(sys.modules[name])
        return
    _pending.setdefault(name, []).append(callback)
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
