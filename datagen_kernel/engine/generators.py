"""Generators as the plan composes them: guarded, wrapped, picklable (no closures)."""

from __future__ import annotations

from datagen_kernel.api.errors import DatagenError, PluginError
from datagen_kernel.api.generation import BlockContext, Generator, GeneratorWrapper
from datagen_kernel.api.records import Records


class WrappedGenerator:
    """Another plugin's wrapper around a generator (picklable: no closure)."""

    __slots__ = ("inner", "wrapper")

    def __init__(self, wrapper: GeneratorWrapper, inner: Generator) -> None:
        self.wrapper = wrapper
        self.inner = inner

    def __call__(self, ctx: BlockContext) -> Records:
        return self.wrapper(ctx, self.inner)


class GuardedGenerator:
    """A generator that names its plugin when it fails, instead of a bare traceback."""

    __slots__ = ("entity", "fn", "owner", "what")

    def __init__(self, entity: str, fn: Generator, owner: str, what: str) -> None:
        self.entity = entity
        self.fn = fn
        self.owner = owner
        self.what = what

    def __call__(self, ctx: BlockContext) -> Records:
        try:
            return self.fn(ctx)
        except DatagenError:
            raise
        except Exception as exc:
            raise PluginError(
                f"the {self.what} of {self.entity!r} from {self.owner} failed in block {ctx.block}: "
                f"{type(exc).__name__}: {exc}",
                hint="this is a bug in that plugin; rerun with --debug for the traceback and report it",
            ) from exc
