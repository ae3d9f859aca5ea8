"""Hook specifications: this file is the hook reference.

Plugins implement any of these with ``@datagen_kernel.hookimpl`` on a module or object
exposed through the ``datagen`` entry-point group::

    [project.entry-points.datagen]
    myplugin = "my_package.plugin"

Each ``datagen_register_*`` hook receives a ``register`` callable; call it once per thing
you provide. The kernel records which plugin and distribution registered what, and a name
registered twice is an error that names both plugins. Argument names are public API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from datagen_kernel.api.generation import RunInfo
    from datagen_kernel.api.registry import (
        EntityRegister,
        ExecutorRegister,
        GeneratorRegister,
        ScenarioRegister,
        SerializerRegister,
        SinkRegister,
        TransformRegister,
        ValidatorRegister,
    )
    from datagen_kernel.api.summary import RunSummary

hookspec = pluggy.HookspecMarker("datagen")

# --- domain: what is generated ---------------------------------------------------------------


@hookspec
def datagen_register_entities(register: EntityRegister) -> None:
    """Register entity specs with ``register(EntitySpec(...))``.

    ``register.rows(spec, make, per="customer", count=(0, 2))`` registers an entity and makes
    it one record at a time: ``make(parent, row) -> dict`` (see ``datagen_kernel.api.Row``);
    the kernel fills the UUID primary key and the foreign keys to the parent, and keeps it
    deterministic. Without ``per`` it makes one record per root (``scope=Scope.ROOT``) or
    ``count`` records once per run (``scope=Scope.GLOBAL``).

    ``register.extend(entity, *fields, fill=fn)`` appends fields to another plugin's entity;
    ``fill(record, row) -> dict`` gives each record their values (without ``fill``, a
    generator wrapper must fill them). ``register.options(namespace, options)`` declares a
    pack's own options (``-o namespace.key=value``).

    ``register.domain(DomainDefaults(...))`` declares what the kernel leaves to the pack that
    owns the root entity, each field optional:

    - ``count_flag``: the root entity's plural, e.g. ``"customers"``: ``--customers N`` and
      the config-file key ``customers`` then work as ``--count N`` and ``count``;
    - ``timezone``: the run's time zone (``RunInfo.timezone``), a fixed-offset
      ``datetime.timezone``: timestamps rendered as text (the ``json`` serializer, text sinks)
      carry its offset, naive ``--as-of`` values are read in it;
    - ``as_of``: an aware ``datetime`` where generated history ends unless ``--as-of`` says
      otherwise (without it: 2026-01-01 at midnight in the run's time zone);
    - ``install_hint``: what to suggest when no entity pack is installed (for plugins that
      bring sinks or scenarios for packs distributed separately).

    A pack that extends another declares nothing. Two plugins declaring different values for a
    field is an error naming both. With no declaration a run counts with ``--count`` only, in
    UTC, up to 2026-01-01T00:00Z. The banking pack declares:

        register.domain(DomainDefaults(count_flag="customers", timezone=SAO_PAULO,
                                       as_of=datetime(2026, 1, 1, tzinfo=SAO_PAULO)))
    """


@hookspec
def datagen_register_generators(register: GeneratorRegister) -> None:
    """Register ``register(entity_name, generator)``, one generator per entity.

    A generator is ``fn(ctx: BlockContext) -> list[dict]`` and returns all records of its
    entity for one block of the root range (the columnar fast path may return a ``Batch``).
    ``register.rows(entity_name, make, per=..., count=...)`` makes an entity registered
    elsewhere one record at a time instead. ``register.wrap(entity_name, wrapper)`` decorates
    the generator another plugin registered: ``wrapper(ctx, inner) -> list[dict]``.
    """


@hookspec
def datagen_register_validators(register: ValidatorRegister) -> None:
    """Register data-quality rules with ``register(Rule(name, entity, check))``.

    Rules run on every block of generated records; a violation fails the run, naming the
    entity, record key, field and rule. ``datagen validate DIR`` runs them on a dataset.
    Schema rules (types, enums, lengths, nullability) and foreign keys are built in.
    """


@hookspec
def datagen_register_scenarios(register: ScenarioRegister) -> None:
    """Register named presets with ``register(Scenario(...))`` (``--scenario NAME``)."""


@hookspec
def datagen_register_transforms(register: TransformRegister) -> None:
    """Register batch transforms with ``register(Transform(...))`` (``--transform NAME``).

    A transform alters, adds or drops records after validation and before serialization,
    like a Kafka Connect single message transform; poison-pill injectors and field masking
    are transforms.
    """


# --- destinations: where it goes -------------------------------------------------------------


@hookspec
def datagen_register_serializers(register: SerializerRegister) -> None:
    """Register value serializer classes (subclasses of ``Serializer``) by their ``name``."""


@hookspec
def datagen_register_sinks(register: SinkRegister) -> None:
    """Register sink classes (subclasses of ``Sink``) by their ``name`` (``--sink NAME``)."""


# --- execution: where blocks run -----------------------------------------------------------


@hookspec
def datagen_register_executors(register: ExecutorRegister) -> None:
    """Register executor classes (subclasses of ``Executor``) by their ``name`` (``--executor NAME``).

    An executor runs a plan's blocks (this process, forked workers, a cluster) and returns
    their results in block order within a bounded window; the kernel's ``local`` executor is
    registered the same way.
    """


# --- command line and lifecycle --------------------------------------------------------------


@hookspec
def datagen_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``datagen`` command group (``cli.add_command(...)``)."""


@hookspec
def datagen_run_start(run: RunInfo, entities: dict[str, Any]) -> None:
    """Called in the main process before the first record is generated."""


@hookspec
def datagen_run_end(run: RunInfo, summary: RunSummary) -> None:
    """Called in the main process after the run, with its summary (also on failure)."""


hookimpl = pluggy.HookimplMarker("datagen")
"""Decorator for hook implementations: ``@hookimpl def datagen_register_sinks(register): ...``"""
