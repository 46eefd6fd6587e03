"""The CLI's shared pieces: the app and its command groups, options, messages, exit codes.

Exit codes: 0 success, 2 bad input (message on stderr), 3 infeasible scenario, 130 Ctrl-C.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.core import TyperGroup

from redeploy.errors import InfeasibleAllocationError, RedeployError

if TYPE_CHECKING:
    # Typer vendors click: its commands and groups take the vendored Context.
    from typer._click import Context


def _hide_flag_types() -> None:
    """
    Show on/off flags in --help without a value type.

    Typer 0.29 prints ``--quiet <bool>`` and ``--help <bool>``, as if the flags took a
    value (``--quiet true`` is refused). Only the help text changes; with a Typer that
    lacks the method nothing is patched.
    """
    option = getattr(typer.core, "TyperOption", None)
    show = getattr(option, "display_type_rich", None)
    if show is None or getattr(show, "_redeploy", False):
        return

    def display_type_rich(self: typer.core.TyperOption, ctx: Context) -> str | None:
        flag = getattr(self, "is_flag", False) and not getattr(self, "secondary_opts", None)
        if flag or getattr(self, "count", False):  # -v, -vv: no value either
            return None
        shown: str | None = show(self, ctx)
        return shown

    display_type_rich._redeploy = True  # type: ignore[attr-defined]
    assert option is not None  # it has the method
    option.display_type_rich = display_type_rich


_hide_flag_types()


#: Characters that can steer a terminal (C0 and C1 controls, ESC and DEL, bidirectional
#: overrides) and are shown escaped: ``\x1b``, ``\u202e``. Newline and tab are kept
#: in running text; `terminal_text` escapes them too with ``newlines=False``.
_STEERING = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_STEERING}]")
_UNSAFE_LINE = re.compile(f"[{_STEERING}\\n\\t]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str, *, newlines: bool = True) -> str:
    """
    Return `text` (from a file, a path, a message) safe to print on a terminal.

    Control characters, escape sequences (ESC, CSI) and bidirectional overrides, which
    could retitle the terminal, move the cursor or hide text, are shown escaped
    (``\\x1b``, ``\\u202e``); with ``newlines=False`` newlines and tabs are too.
    """
    return (_UNSAFE if newlines else _UNSAFE_LINE).sub(_escaped, text)


def exit_with(message: str, code: int) -> NoReturn:
    """Print `message` on stderr, made `terminal_text`, and exit with `code` (no traceback).

    Typer vendors its own click, so a `click.ClickException` raised here would not be
    caught by typer's main loop; `typer.Exit` is.
    """
    click.echo(terminal_text(message), err=True)
    raise typer.Exit(code)


class _Group(TyperGroup):
    """Top-level group that turns redeploy's errors into exit codes 2 and 3."""

    def invoke(self, ctx: Context) -> object:
        try:
            return super().invoke(ctx)
        except InfeasibleAllocationError as err:
            exit_with(f"infeasible scenario: {err}", 3)
        except RedeployError as err:
            exit_with(f"error: {err}", 2)
        except OSError as err:  # a file or network error no layer below turned into a message
            where = f"{err.filename}: " if getattr(err, "filename", None) else ""
            exit_with(f"error: {where}{err.strerror or err}", 2)
        except MemoryError as err:  # a step the model could not size in advance
            reason = f" ({err})" if str(err) else ""
            exit_with(
                f"error: not enough memory{reason}; the inputs are too large for this "
                "machine: use fewer features or a machine with more memory",
                2,
            )
        except KeyboardInterrupt:
            exit_with(
                "interrupted: every file is replaced only once complete, so no output "
                "is half-written.",
                130,
            )


app = typer.Typer(
    cls=_Group,
    name="redeploy",
    help="Map where U.S. strategic capacity freed by allied burden-sharing could go.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode="markdown",
)


layers_app = typer.Typer(
    help="List, validate, describe and export data layers.", no_args_is_help=True
)


app.add_typer(layers_app, name="layers")
scenarios_app = typer.Typer(help="List, show and describe scenario files.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")


class SafeConsole(Console):
    """A rich console that shows every string it renders (printed, or in a table) as
    `terminal_text`: text from files and paths can never steer the terminal."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Render `text` as rich does, once its control characters are shown escaped."""
        return super().render_str(terminal_text(text), **kwargs)


stdout = SafeConsole(highlight=False)


stderr = SafeConsole(stderr=True, highlight=False)


def _print_version(value: bool) -> None:
    if value:
        from redeploy._version import __version__

        stdout.print(f"redeploy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print redeploy's version and exit.",
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="Diagnostics of the `redeploy` logger on stderr: -v stage timings and "
            "files read, -vv solver and cache details.",
        ),
    ] = 0,
) -> None:
    """Map where U.S. strategic capacity freed by allied burden-sharing could go."""
    from redeploy.cli.diagnostics import configure_logging, unwrap_off_terminal

    configure_logging(verbose)
    unwrap_off_terminal(stdout, stderr)


def complete_scenario(incomplete: str) -> list[str]:
    """Shell completion of --scenario: the shipped scenarios' names."""
    from redeploy.scenario import list_scenarios

    return [name for name in list_scenarios() if name.startswith(incomplete)]


def complete_layer_kind(incomplete: str) -> list[str]:
    """Shell completion of --layer and --add-layer: ``KIND=`` for each layer kind."""
    from redeploy.schemas import LayerKind

    return [f"{k.value}=" for k in LayerKind if f"{k.value}=".startswith(incomplete)]


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]


LayersOpt = Annotated[
    Path | None,
    typer.Option(
        "--layers",
        help="Folder of layer files named KIND.EXT (or one GeoPackage) "
        "replacing the shipped layers; kinds missing there come from the shipped "
        "ones.",
        show_default=False,
    ),
]


LayerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--layer",
        help="Replace one layer: KIND=PATH (repeatable).",
        show_default=False,
        autocompletion=complete_layer_kind,
        metavar="KIND=PATH",
    ),
]


AddLayerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--add-layer",
        help="Add the features of FILE to the layer KIND, keeping its own (repeatable; "
        "ids must be new; empty columns take documented defaults and mark the feature "
        "'estimate': docs/own-layers.md). The run is named SCENARIO_with_FILE-STEM.",
        show_default=False,
        metavar="KIND=FILE",
        autocompletion=complete_layer_kind,
    ),
]


def parse_layer_additions(values: list[str] | None) -> dict[str, list[Path]]:
    """Parse ``--add-layer KIND=FILE`` options into ``{kind: [file, ...]}`` (given order)."""
    from redeploy.schemas import LayerKind

    out: dict[str, list[Path]] = {}
    known = [k.value for k in LayerKind if k is not LayerKind.BASEMAP]
    for value in values or []:
        kind, sep, path = value.partition("=")
        if not sep or kind not in known or not path:
            msg = f"expected KIND=FILE with KIND one of {', '.join(known)}, got {value!r}"
            raise typer.BadParameter(msg, param_hint="--add-layer")
        out.setdefault(kind, []).append(Path(path))
    return out


def _crs_option(value: str | None) -> str | None:
    """Refuse a --crs that pyproj cannot read, before any layer is opened."""
    if value is None:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    from redeploy.validation import crs_problem

    try:
        parsed = CRS.from_user_input(value)
    except CRSError as err:
        reason = str(err).strip().splitlines()[0]
        msg = f"{value!r} is not a CRS pyproj knows ({reason}); give e.g. EPSG:4326"
        raise typer.BadParameter(msg, param_hint="--crs") from None
    problem = crs_problem(parsed)
    if problem is not None:
        raise typer.BadParameter(problem, param_hint="--crs")
    return value


CrsOpt = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="CRS to assume for files that declare none (e.g. EPSG:4326).",
        show_default=False,
        callback=_crs_option,
    ),
]


ScenarioOpt = Annotated[
    str,
    typer.Option(
        "--scenario",
        "-s",
        autocompletion=complete_scenario,
        help="Shipped scenario name (see `redeploy scenarios list`) or path of a .toml file.",
    ),
]


TilesOpt = Annotated[
    str | None,
    typer.Option(
        "--tiles",
        help="Add web tiles under the map from an xyzservices provider, e.g. "
        "OpenStreetMap.Mapnik (needs network to view); by default the map is offline.",
        show_default=False,
    ),
]


OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).")]


def parse_layer_overrides(values: list[str] | None) -> dict[str, Path]:
    """Parse ``--layer KIND=PATH`` options into ``{kind: path}``."""
    from redeploy.schemas import LayerKind

    out: dict[str, Path] = {}
    for value in values or []:
        kind, sep, path = value.partition("=")
        known = [k.value for k in LayerKind]
        if not sep or kind not in known:
            msg = f"expected KIND=PATH with KIND one of {', '.join(known)}, got {value!r}"
            raise typer.BadParameter(msg, param_hint="--layer")
        out[kind] = Path(path)
    return out


def layer_options(
    layers: Path | None, layer: list[str] | None, add_layer: list[str] | None, quiet: bool
) -> tuple[dict[str, Path], dict[str, list[Path]]]:
    """Parse ``--layer`` and ``--add-layer``, say which kinds ``--layers DIR`` leaves to the
    shipped set, and return (overrides, additions)."""
    overrides = parse_layer_overrides(layer)
    additions = parse_layer_additions(add_layer)
    note_shipped_layers(layers, overrides, quiet)
    return overrides, additions


def note_shipped_layers(layers: Path | None, overrides: dict[str, Path], quiet: bool) -> None:
    """Say on stderr which kinds come from the shipped set because --layers DIR lacks them."""
    if layers is None or quiet:
        return
    from redeploy.layers import shipped_fallbacks

    kinds = shipped_fallbacks(layers, overrides=overrides)
    if kinds:
        stderr.print(
            f"note: layers not in {display_path(layers)}, read from the shipped set: "
            f"{', '.join(kinds)}",
            soft_wrap=True,
        )


def check_tiles(tiles: str | None) -> None:
    from redeploy.render.maps import check_tiles as check

    try:
        check(tiles)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--tiles") from None


def display_path(path: Path) -> str:
    """Return `path` for printing with rich markup on: relative to the working folder where
    it lies below it, its characters shown as they are (never read as markup or escapes)."""
    try:
        text = str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        text = str(path)
    return escape(terminal_text(text, newlines=False))
