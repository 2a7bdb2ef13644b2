"""``medverse physiology``: run scenarios, validate against published physiology.

Only click and the standard library are imported at module level, so ``medverse --help``
stays fast and works without the ``physiology`` extra.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click


def _need_extra() -> None:
    from medverse.errors import optional_import

    for mod in ("numpy", "yaml", "jsonschema"):
        optional_import(mod, "physiology")


@click.group()
def physiology() -> None:
    """Virtual-patient physiology engine: scenarios, validation, waveforms."""


@physiology.command("list-scenarios")
def list_scenarios() -> None:
    """List the example scenarios shipped with the package."""
    _need_extra()
    from .scenario import builtin_scenarios, load_scenario

    for name, path in builtin_scenarios().items():
        sc = load_scenario(path)
        click.echo(f"{name:28s} {sc.duration_s / 60:6.1f} min  {sc.description[:70]}")


def _resolve(scenario: str) -> Path:
    from .scenario import builtin_scenarios

    p = Path(scenario)
    if p.exists():
        return p
    builtin = builtin_scenarios()
    if scenario in builtin:
        return builtin[scenario]
    raise click.BadParameter(
        f"no file {scenario!r} and no example scenario of that name (examples: {', '.join(builtin)})", param_hint="SCENARIO"
    )


@physiology.command("run")
@click.argument("scenario")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="CSV of the trends.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), help="PNG plot of the vitals.")
@click.option(
    "--waveforms",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the monitor waveforms (ECG 500 Hz; ABP, pleth, CO2 100 Hz) as .npz.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run_cmd(scenario: str, out: Path | None, plot_path: Path | None, waveforms: Path | None, quiet: bool) -> None:
    """Run SCENARIO (a YAML/JSON file or an example name) faster than real time."""
    _need_extra()
    from .errors import PhysiologyError
    from .scenario import load_scenario
    from .simulation import run

    path = _resolve(scenario)
    try:
        sc = load_scenario(path)
    except PhysiologyError as exc:
        raise click.ClickException(str(exc)) from None
    t0 = time.perf_counter()
    if quiet:
        res = run(sc, waveforms=waveforms is not None)
    else:
        with click.progressbar(length=1000, label=f"{sc.name} ({sc.duration_s / 60:.1f} min)", file=sys.stderr) as bar:
            done = [0]

            def progress(frac: float) -> None:
                k = int(frac * 1000)
                bar.update(k - done[0])
                done[0] = k

            res = run(sc, waveforms=waveforms is not None, progress=progress)
    wall = time.perf_counter() - t0
    click.echo(f"simulated {sc.duration_s:g} s in {wall:.2f} s ({sc.duration_s / max(wall, 1e-9):.0f}x real time)")
    last = res.data[-1]
    names = ("hr", "sbp", "dbp", "map", "spo2", "rr", "etco2", "blood_volume", "ph", "lactate")
    from . import layout as L

    click.echo("final: " + ", ".join(f"{n}={last[L.OUT_NAMES.index(n)]:.3g}" for n in names))
    for e in res.events:
        if e.kind != "end":
            click.echo(f"  {e.time_s:8.0f} s  {e.name}{' ' + e.detail if e.detail else ''}")
    if out:
        res.to_csv(out)
        click.echo(f"wrote {out}")
    if plot_path:
        res.plot(plot_path)
        click.echo(f"wrote {plot_path}")
    if waveforms and res.ecg_mv is not None and res.waves is not None:
        import numpy as np

        from .waveforms import ECG_HZ, SLOW_WAVE_HZ

        np.savez_compressed(
            waveforms,
            ecg_ii_mv=res.ecg_mv,
            arterial_pressure_mmhg=res.waves[0],
            pleth=res.waves[1],
            capnogram_mmhg=res.waves[2],
            ecg_hz=ECG_HZ,
            wave_hz=SLOW_WAVE_HZ,
        )
        click.echo(f"wrote {waveforms}")


@physiology.command("validate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("docs/physiology-validation.md"),
    show_default=True,
    help="Markdown report to write.",
)
def validate_cmd(out: Path) -> None:
    """Run every validation scenario and write the report (green/yellow/red per check)."""
    _need_extra()
    from .validation import render_markdown, run_validation

    t0 = time.perf_counter()
    rows = run_validation()
    text = render_markdown(rows, wall_s=time.perf_counter() - t0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    counts = {c: sum(1 for r in rows if r.grade == c) for c in ("green", "yellow", "red")}
    n_pred = sum(1 for r in rows if r.kind == "predicted")
    click.echo(
        f"{n_pred} predicted checks: {counts['green']} green, {counts['yellow']} yellow, {counts['red']} red "
        f"({len(rows) - n_pred} input rows, not graded) -> {out}"
    )
