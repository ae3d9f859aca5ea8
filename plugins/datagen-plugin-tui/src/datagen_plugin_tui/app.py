"""The Textual application: Configure, Preview, Health and Run tabs over one ``RunForm``."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    RichLog,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from datagen_kernel.api.options import Option, redacted
from datagen_kernel.engine.plan import SERIALIZER_OPTION
from datagen_plugin_tui import health
from datagen_plugin_tui.model import Catalog, Check, Component, RunForm, shown_default
from datagen_plugin_tui.preview import Preview, preview
from datagen_plugin_tui.progress import RunProcess, command_for, human_bytes, human_seconds
from datagen_plugin_tui.slider import Slider

COMMAND_FILE = "datagen-run.sh"
CONFIG_FILE = "datagen-run.toml"


def wid(text: str) -> str:
    """A widget id for a name (ids take letters, digits, - and _)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


class DatagenTui(App[int]):
    """``datagen tui``: configure a run, preview its records, check its servers, run and watch it."""

    TITLE = "datagen"
    SUB_TITLE = "configure, preview, run"
    CSS = """
    .section { text-style: bold; color: $accent; margin-top: 1; }
    .row { height: auto; }
    .row Label { width: 22; padding: 0 1 0 0; }
    .row Input { width: 30; }
    .row Select { width: 30; }
    .row Input.with-slider { width: 10; }
    .row Slider { width: 18; margin: 0 1; }
    .row Button { margin-right: 1; }
    .doc { color: $text-muted; padding: 0 1; }
    .error { color: $error; padding: 0 1; width: 1fr; }
    .sink-row Checkbox { width: 22; }
    .sink-row .doc { width: 1fr; padding: 0 1; }
    #options { height: auto; }
    .component { height: auto; border: round $panel; padding: 0 1; }
    #command, #toml { background: $boost; padding: 0 1; }
    #command-bar { dock: bottom; height: auto; max-height: 5; }
    #command { width: 1fr; }
    #command-bar Button { margin-left: 1; }
    #problems { color: $error; }
    #run-status { height: auto; }
    #run-bar { margin: 0; }
    #run-tables { height: auto; }
    #run-entities, #run-sinks, #run-rows { height: auto; max-height: 12; width: 1fr; }
    #run-summary { height: auto; }
    #run-rows { display: none; }
    #run-log { height: 8; border: round $panel; }
    #preview-table { height: 1fr; }
    #health-table { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "stop_or_quit", "Stop run / quit", priority=True),
        Binding("f2", "show('wizard')", "Configure"),
        Binding("f3", "show('preview')", "Preview"),
        Binding("f4", "show('health')", "Health"),
        Binding("f5", "show('run')", "Run"),
    ]

    def __init__(self, catalog: Catalog, form: RunForm | None = None, *,
                 launcher: Callable[[Sequence[str]], list[str]] = command_for,
                 save_dir: Path | None = None, environ: Mapping[str, str] | None = None,
                 run_cwd: str | None = None) -> None:
        super().__init__()
        self.catalog = catalog
        self.form = form or RunForm(sinks={next(iter(catalog.sinks)): ""} if "json" not in catalog.sinks
                                    else {"json": ""})
        self.launcher = launcher
        self.save_dir = save_dir or Path.cwd()
        self.environ = dict(os.environ if environ is None else environ)
        self.run_cwd = run_cwd
        self.last_check: Check = Check()
        self.process: RunProcess | None = None
        self.preview_data: Preview | None = None
        self.health_results: list[health.Health] = []
        self._option_ids: dict[str, tuple[str, str]] = {}
        self._layout: tuple[tuple[str, str], ...] = ()

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="wizard"):
            with TabPane("Configure", id="wizard"), Vertical():
                with VerticalScroll(id="wizard-scroll"):
                    yield from self._compose_wizard()
                with Horizontal(id="command-bar"):
                    yield Static("", id="command")
                    yield Button("Save command", id="save-command", compact=True)
                    yield Button("Save config", id="save-config", compact=True)
            with TabPane("Preview", id="preview"), Vertical():
                with Horizontal(classes="row"):
                    yield Button("Preview records", id="preview-go", variant="primary", compact=True)
                    yield Select[str]([], id="preview-entity", prompt="entity", allow_blank=True, compact=True)
                yield Static("", id="preview-status")
                yield DataTable(id="preview-table", zebra_stripes=True)
            with TabPane("Health", id="health"), VerticalScroll():
                yield Button("Check servers", id="health-go", variant="primary", compact=True)
                yield DataTable(id="health-table")
                yield Static("", id="health-fix")
            with TabPane("Run", id="run"), VerticalScroll():
                with Horizontal(classes="row"):
                    yield Button("Start", id="run-start", variant="success", compact=True)
                    yield Button("Stop", id="run-stop", variant="error", disabled=True, compact=True)
                yield Static("not started", id="run-status")
                yield ProgressBar(id="run-bar", total=100, show_eta=False)
                yield Static("", id="run-summary")
                with Horizontal(id="run-tables"):
                    yield DataTable(id="run-entities")
                    yield DataTable(id="run-sinks")
                yield RichLog(id="run-log", wrap=True, markup=False)
                yield DataTable(id="run-rows")
        yield Footer()

    def _compose_wizard(self) -> ComposeResult:
        cat, form = self.catalog, self.form
        yield Static("Run", classes="section")
        yield from _field_row(cat.count_flag.lstrip("-"), "count", form.count, kind="integer")
        yield from _field_row("seed", "seed", form.seed, kind="integer")
        scenarios = [(name, name) for name in cat.scenarios]
        with Horizontal(classes="row"):
            yield Label("scenario")
            yield Select(scenarios, id="scenario", prompt="(none)", allow_blank=True, compact=True,
                         value=form.scenario if form.scenario else Select.NULL)
        yield Static(self._scenario_doc(), id="scenario-doc", classes="doc")
        with Horizontal(classes="row"):
            yield Label("stream mode")
            yield Checkbox("events at --rate until stopped", form.stream, id="stream", compact=True)
        yield from _field_row("rate (events/s)", "rate", form.rate, placeholder="1000")
        yield from _field_row("duration (s)", "duration", form.duration, placeholder="until stopped")
        yield Static("Sinks", classes="section")
        selectors = [(s, s) for s in cat.selectors()]
        for name, sink in cat.sinks.items():
            with Horizontal(classes="row sink-row"):
                yield Checkbox(name, name in form.sinks, id=f"sink-{wid(name)}", compact=True)
                yield Select(selectors, id=f"selector-{wid(name)}", prompt="every entity", allow_blank=True,
                             compact=True, value=form.sinks.get(name) or Select.NULL)
                yield Static(sink.doc, classes="doc")
        yield Static("Transforms", classes="section")
        if not cat.transforms:
            yield Static("no transform is installed", classes="doc")
        for name, transform in cat.transforms.items():
            with Horizontal(classes="row sink-row"):
                yield Checkbox(name, name in form.transforms, id=f"transform-{wid(name)}", compact=True)
                yield Static(transform.doc, classes="doc")
        yield Static("Executor", classes="section")
        with Horizontal(classes="row"):
            yield Label("executor")
            yield Select([(n, n) for n in cat.executors], id="executor", allow_blank=False, value=form.executor,
                         compact=True)
        yield from _field_row("workers", "workers", form.workers, placeholder="executor default")
        yield Static("Options", classes="section")
        yield Vertical(id="options")
        yield Static("", id="problems")
        yield Static("Config file (datagen run --config FILE)", classes="section")
        yield Static("", id="toml")

    async def on_mount(self) -> None:
        for table_id, columns in (("run-entities", ("entity", "generated", "records/s")),
                                  ("run-sinks", ("sink", "acknowledged", "failed", "records/s")),
                                  ("run-rows", ("entity", "sink", "generated", "acknowledged", "failed",
                                                "records/s")),
                                  ("health-table", ("status", "component", "check", "address", "detail"))):
            self.query_one(f"#{table_id}", DataTable).add_columns(*columns)
        await self.rebuild_options()
        self.refresh_outputs()

    # -- the generated option forms -----------------------------------------------------------

    def _layout_of(self) -> tuple[tuple[str, str], ...]:
        return tuple((c.kind, c.name) for c in self.form.components(self.catalog))

    async def rebuild_options(self) -> None:
        layout = self._layout_of()
        if layout == self._layout:
            return
        self._layout = layout
        box = self.query_one("#options", Vertical)
        await box.remove_children()
        self._option_ids.clear()
        widgets: list[Widget] = []
        for comp in self.form.components(self.catalog):
            children: list[Widget] = [Static(f"{comp.label}: {comp.doc}", classes="doc")]
            if not comp.options:
                children.append(Static("no options", classes="doc"))
            for opt in comp.options:
                children.extend(self._option_row(comp, opt))
            widgets.append(Vertical(*children, classes="component"))
        await box.mount_all(widgets)

    def _option_row(self, comp: Component, opt: Option) -> list[Widget]:
        key = f"{comp.namespace}.{opt.name}"
        ident = f"opt-{wid(comp.namespace)}--{wid(opt.name)}"
        self._option_ids[ident] = (comp.namespace, opt.name)
        given = self.form.options.get(comp.namespace, {}).get(opt.name)
        default = shown_default(opt)
        editor: Widget
        if opt.type == "bool":
            value = given if given is not None else default
            editor = Checkbox("", str(value).lower() in ("1", "true", "yes", "on"), id=ident, compact=True)
        elif opt.type == "choice" or (opt.name == SERIALIZER_OPTION and comp.kind == "sink"):
            choices = opt.choices if opt.type == "choice" else tuple(self.catalog.serializers_for(comp.name))
            if opt.type != "choice":
                default = default or self.catalog.host.registry.sinks[comp.name].value.default_serializer({}) or ""
            editor = Select([(c, c) for c in choices], id=ident, allow_blank=True, prompt=f"default ({default})",
                            compact=True,
                            value=given if given in choices else Select.NULL)
        else:
            bounds = ""
            if opt.minimum is not None or opt.maximum is not None:
                low = "" if opt.minimum is None else f"{opt.minimum:g}"
                high = "" if opt.maximum is None else f"{opt.maximum:g}"
                bounds = f" [{low}..{high}]"
            editor = Input(given or "", id=ident, password=opt.secret, compact=True,
                           placeholder=("(secret)" if opt.secret and not default else default or "") + bounds)
        row: list[Widget] = [Label(opt.name), editor]
        span = slider_bounds(opt)
        if span is not None and isinstance(editor, Input):
            editor.add_class("with-slider")
            row.append(Slider(*span, _number(given or default, span[0]), id=f"slider-{ident}"))
        doc = opt.doc + (" (secret: masked, passed in the environment)" if opt.secret else "")
        return [Horizontal(*row, Static("", id=f"err-{ident}", classes="error"), classes="row"),
                Static(f"{key} ({opt.describe_type()}): {doc}", classes="doc")]

    # -- keeping the form, the errors and the outputs in step -----------------------------------

    def _scenario_doc(self) -> str:
        name = self.form.scenario
        if not name or name not in self.catalog.scenarios:
            return "no scenario: every installed entity"
        doc = self.catalog.scenarios[name].doc
        enabled = self.catalog.scenario_transforms.get(name, ())
        return doc + (f" (enables transforms: {', '.join(enabled)})" if enabled else "")

    def refresh_outputs(self) -> Check:
        self.last_check = check = self.form.check(self.catalog, self.environ)
        for field_id in ("count", "seed", "workers", "rate", "duration"):
            self.query_one(f"#err-{field_id}", Static).update(check.fields.get(field_id, ""))
        shown: set[str] = set()
        for ident, (ns, key) in self._option_ids.items():
            message = check.fields.get(f"{ns}.{key}", "")
            if message:
                shown.add(f"{ns}.{key}")
            for err in self.query(f"#err-{ident}").results(Static):
                err.update(message)
        rest = [m for k, m in check.fields.items() if "." in k and k not in shown] + check.general
        self.query_one("#problems", Static).update("\n".join(f"error: {m}" for m in rest))
        self.query_one("#command", Static).update(self.form.command_line(self.catalog))
        self.query_one("#toml", Static).update(self.form.toml(self.catalog))
        self.query_one("#scenario-doc", Static).update(self._scenario_doc())
        return check

    async def _changed(self) -> None:
        await self.rebuild_options()
        self.refresh_outputs()

    @on(Input.Changed)
    async def _input_changed(self, event: Input.Changed) -> None:
        ident = event.input.id or ""
        value = event.value
        if ident in ("count", "seed", "workers", "rate", "duration"):
            setattr(self.form, ident, value)
        elif ident in self._option_ids:
            ns, key = self._option_ids[ident]
            self.form.set_option(ns, key, value)
            for slider in self.query(f"#slider-{ident}").results(Slider):  # follows what is typed
                slider.value = slider.clamped(_number(value or slider_default(self._option(ns, key)),
                                                      slider.value))
        else:
            return
        await self._changed()

    @on(Slider.Changed)
    def _slider_changed(self, event: Slider.Changed) -> None:
        """The slider writes its value into its field: checked and shown as a typed value is."""
        ident = (event.slider.id or "").removeprefix("slider-")
        if ident in self._option_ids:
            default = slider_default(self._option(*self._option_ids[ident]))
            at_default = event.value == _number(default, float("nan"))  # the default: the field empties
            self.query_one(f"#{ident}", Input).value = "" if at_default else event.slider.text()

    @on(Checkbox.Changed)
    async def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        ident = event.checkbox.id or ""
        if ident == "stream":
            self.form.stream = event.value
        elif ident in self._option_ids:
            ns, key = self._option_ids[ident]
            opt = self._option(ns, key)
            raw = "true" if event.value else "false"
            self.form.set_option(ns, key, None if opt is not None and raw == shown_default(opt) else raw)
        elif ident.startswith("sink-"):
            name = self._named(self.catalog.sinks, ident[len("sink-"):])
            if event.value:
                selector = self.query_one(f"#selector-{wid(name)}", Select).value
                self.form.sinks[name] = selector if isinstance(selector, str) else ""
            else:
                self.form.sinks.pop(name, None)
        elif ident.startswith("transform-"):
            name = self._named(self.catalog.transforms, ident[len("transform-"):])
            if event.value and name not in self.form.transforms:
                self.form.transforms.append(name)
            elif not event.value and name in self.form.transforms:
                self.form.transforms.remove(name)
        else:
            return
        await self._changed()

    @on(Select.Changed)
    async def _select_changed(self, event: Select.Changed) -> None:
        ident = event.select.id or ""
        value = event.value if isinstance(event.value, str) else None
        if ident == "scenario":
            self.form.scenario = value
        elif ident == "executor":
            self.form.executor = value or self.form.executor
        elif ident.startswith("selector-"):
            name = self._named(self.catalog.sinks, ident[len("selector-"):])
            if name in self.form.sinks:
                self.form.sinks[name] = value or ""
        elif ident in self._option_ids:
            ns, key = self._option_ids[ident]
            self.form.set_option(ns, key, value)
        elif ident == "preview-entity":
            self._show_preview_table(value)
            return
        else:
            return
        await self._changed()

    def _option(self, ns: str, key: str) -> Option | None:
        for comp in self.form.components(self.catalog):
            if comp.namespace == ns:
                for opt in comp.options:
                    if opt.name == key:
                        return opt
        return None

    @staticmethod
    def _named(table: Mapping[str, Any], ident: str) -> str:
        return next(name for name in table if wid(name) == ident)

    # -- saving ---------------------------------------------------------------------------------

    @on(Button.Pressed, "#save-command")
    def save_command(self) -> Path:
        path = self.save_dir / COMMAND_FILE
        path.write_text("#!/bin/sh\n" + self.form.command_line(self.catalog) + "\n", encoding="utf-8")
        self.notify(f"saved {path}")
        return path

    @on(Button.Pressed, "#save-config")
    def save_config(self) -> Path:
        path = self.save_dir / CONFIG_FILE
        path.write_text(self.form.toml(self.catalog), encoding="utf-8")
        self.notify(f"saved {path} (run it with: datagen run --config {path})")
        return path

    # -- preview --------------------------------------------------------------------------------

    def action_show(self, tab: str) -> None:
        # a focused table keeps its tab in front: let go of the focus first
        self.set_focus(None)
        self.query_one(TabbedContent).active = tab

    @on(Button.Pressed, "#preview-go")
    def _preview_pressed(self) -> None:
        self.query_one("#preview-status", Static).update("generating a sample...")
        self.load_preview()

    @work(thread=True, exclusive=True, group="preview")
    def load_preview(self) -> Preview | None:
        try:
            data = preview(self.form, self.catalog)
        except Exception as exc:
            self.call_from_thread(self.query_one("#preview-status", Static).update, f"error: {exc}")
            return None
        self.call_from_thread(self._preview_loaded, data)
        return data

    def _preview_loaded(self, data: Preview) -> None:
        self.preview_data = data
        choice = self.query_one("#preview-entity", Select)
        names = list(data.tables)
        choice.set_options([(f"{n} ({len(data.tables[n][1])})", n) for n in names])
        first = next((n for n in names if data.tables[n][1]), names[0] if names else None)
        self.query_one("#preview-status", Static).update(
            f"sample of the run's plan on {data.roots} root record(s), nothing written; "
            f"{len(names)} entities")
        if first is not None:
            choice.value = first
            self._show_preview_table(first)

    def _show_preview_table(self, entity: str | None) -> None:
        table = self.query_one("#preview-table", DataTable)
        table.clear(columns=True)
        if self.preview_data is None or entity is None or entity not in self.preview_data.tables:
            return
        columns, rows = self.preview_data.tables[entity]
        table.add_columns(*columns)
        table.add_rows(rows)

    # -- health ---------------------------------------------------------------------------------

    @on(Button.Pressed, "#health-go")
    def _health_pressed(self) -> None:
        table = self.query_one("#health-table", DataTable)
        table.clear()
        self.query_one("#health-fix", Static).update("checking...")
        self.load_health()

    @work(thread=True, exclusive=True, group="health")
    def load_health(self) -> list[health.Health]:
        results = list(health.check_all(self.form, self.catalog, self.environ))
        self.call_from_thread(self._health_loaded, results)
        return results

    def _health_loaded(self, results: list[health.Health]) -> None:
        self.health_results = results
        table = self.query_one("#health-table", DataTable)
        table.clear()
        for h in results:
            table.add_row("ok" if h.ok else "NOT ANSWERING", f"{h.target.component}.{h.target.option}",
                          h.target.what, h.target.shown, h.detail)
        fixes = [f"{h.target.component}: {h.fix}" for h in results if not h.ok]
        if not results:
            text = "the chosen sinks need no server"
        elif fixes:
            text = "\n".join(fixes)
        else:
            text = "every server answers"
        self.query_one("#health-fix", Static).update(text)

    # -- run ------------------------------------------------------------------------------------

    @on(Button.Pressed, "#run-start")
    def start_run(self) -> bool:
        if self.process is not None and self.process.running:
            return False
        check = self.refresh_outputs()
        if not check.ok:
            self.notify("the configuration has errors: see the Configure tab", severity="error")
            return False
        argv = self.form.argv(self.catalog)
        log = self.query_one("#run-log", RichLog)
        log.clear()
        log.write("$ " + self.form.command_line(self.catalog))
        self.query_one("#run-summary", Static).update("")
        self.query_one("#run-bar", ProgressBar).update(total=100, progress=0)
        self.process = RunProcess(self.launcher(argv), self._on_event, self._on_log,
                                  env=self.form.secret_env(self.catalog), cwd=self.run_cwd)
        self.query_one("#run-start", Button).disabled = True
        self.query_one("#run-stop", Button).disabled = False
        self.action_show("run")
        self._follow(self.process)
        return True

    @work(exclusive=True, group="run")
    async def _follow(self, process: RunProcess) -> None:
        try:
            code = await process.run()
        except OSError as exc:
            self._on_log(f"cannot start the run: {exc}")
            code = 1
        self.query_one("#run-start", Button).disabled = False
        self.query_one("#run-stop", Button).disabled = True
        self._show_summary(process, code)

    @on(Button.Pressed, "#run-stop")
    def stop_run(self) -> bool:
        if self.process is None or (not self.process.stopping and not self.process.stop()):
            return False
        self.query_one("#run-status", Static).update("stopping: the sinks are closing...")
        return True

    def action_stop_or_quit(self) -> None:
        if self.process is not None and self.process.running:
            self.stop_run()
        else:
            self.exit(0)

    def _on_log(self, line: str) -> None:
        self.query_one("#run-log", RichLog).write(line)

    def _on_event(self, event: dict[str, Any]) -> None:
        if self.process is None:
            return
        state = self.process.state
        if event.get("event") == "error":
            self._on_log(f"error: {event.get('message')}")
        bar = self.query_one("#run-bar", ProgressBar)
        if state.percent is not None:
            bar.update(total=100, progress=float(state.percent))
        elif state.total_expected is None:
            bar.update(total=None)
        phase = "masters+events" if state.phase == "all" else state.phase
        parts = [f"phase: {phase}", f"elapsed {human_seconds(state.elapsed_s)}"]
        if state.percent is not None:
            parts.append(f"{float(state.percent):.1f}%")
        if state.eta_s is not None:
            parts.append(f"ETA {human_seconds(state.eta_s)}")
        overall = state.generated / state.elapsed_s if state.elapsed_s else 0.0
        parts.append(f"{state.generated:,} records, {overall:,.0f}/s")
        parts.append(f"memory {human_bytes(state.rss_bytes)}")
        if state.target_rate is not None or self.form.stream:
            parts.append(f"stream: target {state.target_rate or 0:,.0f}/s, actual {state.actual_rate or 0:,.0f}/s")
        self.query_one("#run-status", Static).update("  |  ".join(parts))
        entities = self.query_one("#run-entities", DataTable)
        entities.clear()
        for name, figures in state.entities.items():
            entities.add_row(name, f"{int(figures.get('generated') or 0):,}", f"{float(figures.get('rate') or 0):,.0f}")
        sinks = self.query_one("#run-sinks", DataTable)
        sinks.clear()
        for name, figures in state.sinks.items():
            sinks.add_row(name, f"{int(figures.get('acknowledged') or 0):,}", f"{int(figures.get('failed') or 0):,}",
                          f"{float(figures.get('rate') or 0):,.0f}")

    def _show_summary(self, process: RunProcess, code: int) -> None:
        summary = process.state.summary
        lines: list[str] = []
        if summary is None:
            lines.append(f"the run ended (exit status {code}) without a summary: see the log above")
        else:
            ok = bool(summary.get("ok"))
            if code == 130 or (process.stopping and not ok):
                lines.append("STOPPED: the run was interrupted; the sinks were closed, the data is NOT complete")
            elif ok and summary.get("stopped_by"):
                lines.append("DONE: the stream ended; every record emitted was acknowledged")
            elif ok:
                lines.append("DONE: every record was generated and acknowledged")
            else:
                lines.append(f"FAILED (exit status {code})")
            lines.append(f"{int(summary.get('generated') or 0):,} generated, "
                         f"{int(summary.get('acknowledged') or 0):,} acknowledged in "
                         f"{float(summary.get('elapsed_s') or 0):.1f} s "
                         f"({float(summary.get('records_per_s') or 0):,.0f} records/s), seed {summary.get('seed')}")
            if summary.get("stopped_by"):
                lines.append(f"stopped by {summary['stopped_by']}")
            lines.extend(f"error: {e}" for e in summary.get("errors") or [])
            rows = self.query_one("#run-rows", DataTable)
            rows.clear()
            for row in summary.get("rows") or []:
                rows.add_row(row.get("entity"), row.get("sink"), f"{int(row.get('generated') or 0):,}",
                             f"{int(row.get('acknowledged') or 0):,}", f"{int(row.get('failed') or 0):,}",
                             f"{float(row.get('rate') or 0):,.0f}")
            rows.display = bool(summary.get("rows"))
        lines.extend(f"error: {e}" for e in process.state.errors)
        lines.extend(self._destinations())
        self.query_one("#run-summary", Static).update("\n".join(lines))
        if summary is not None and process.state.percent is not None and not process.stopping:
            self.query_one("#run-bar", ProgressBar).update(total=100, progress=100 if summary.get("ok") else
                                                            float(process.state.percent))

    def _destinations(self) -> list[str]:
        """Where the data went: each route's sink, entities and the options that name a place."""
        plan = self.last_check.plan
        if plan is None:
            return []
        lines = ["where the data went:"]
        for route in plan.routes:
            options = list(route.sink_cls.options)
            safe = redacted(options, route.config)
            places = [f"{o.name}={safe[o.name]}" for o in options
                      if safe.get(o.name) not in (None, "", []) and (o.type == "path" or o.name in _PLACE_WORDS
                                                                     or _looks_like_address(safe[o.name]))]
            lines.append(f"  {route.label}: {len(route.entities)} entities" + (f" -> {', '.join(places)}"
                                                                             if places else ""))
        return lines

    async def on_unmount(self) -> None:
        if self.process is not None and self.process.running:
            self.process.stop()


_PLACE_WORDS = {"path", "schema", "topic_prefix", "database", "bucket", "directory"}


def slider_bounds(opt: Option) -> tuple[float, float] | None:
    """``(minimum, maximum)`` of a float option bounded on both sides (offered as a slider)."""
    if opt.type == "float" and opt.minimum is not None and opt.maximum is not None and opt.maximum > opt.minimum:
        return float(opt.minimum), float(opt.maximum)
    return None


def slider_default(opt: Option | None) -> str:
    return "" if opt is None else shown_default(opt)


def _number(text: str, fallback: float) -> float:
    """``text`` as a number, ``fallback`` when it is none (yet): ``0.``, ``-``, empty."""
    try:
        return float(text)
    except ValueError:
        return fallback


def _looks_like_address(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+:\d+(,|$)", value))


def _field_row(label: str, name: str, value: str, *, kind: str = "text", placeholder: str = "") -> ComposeResult:
    """A labelled one-line input (id ``name``) with its error beside it (id ``err-NAME``)."""
    with Horizontal(classes="row"):
        yield Label(label)
        yield Input(value, id=name, type=kind, placeholder=placeholder, compact=True)  # type: ignore[arg-type]
        yield Static("", id=f"err-{name}", classes="error")
