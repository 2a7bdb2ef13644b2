"""``medverse imaging ...``: inspect, import and slice scans; list and verify samples.

Only click and the standard library are imported here at module level, so ``medverse --help``
stays fast; each command imports the engine when it runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["imaging"]


def _fail(exc: Exception) -> None:
    code = getattr(exc, "code", "error")
    raise click.ClickException(f"[{code}] {exc}")


@click.group()
def imaging() -> None:
    """Imaging engine: DICOM/NIfTI -> de-identified volume, segments, meshes (GLB), slices."""


@imaging.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--series", default=None, help="Series index, when several are present.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(path: Path, series: str | None, as_json: bool) -> None:
    """Describe a scan: series found, grid, spacing, LPS bounds, quirks.

    Series are listed by index, modality, SeriesNumber, file count and size (no descriptions or
    UIDs); a series with burned-in text is described (nothing is stored) and its quirk says so.
    """
    from medverse.imaging.errors import InvalidStudy, MixedSeries
    from medverse.imaging.io import list_series, load_volume

    try:
        listing: list[Any] = []
        if not (path.is_file() and path.name.endswith((".nii", ".nii.gz"))):
            try:
                listing = [s.to_dict() for s in list_series(path)]
            except InvalidStudy:
                listing = []
        volume = load_volume(path, series=series, allow_burned_in=True)
    except MixedSeries as exc:
        if as_json:
            click.echo(json.dumps({"error": exc.code, "series": [s.to_dict() for s in exc.series]}, indent=1))
            sys.exit(2)
        _fail(exc)
        return
    except InvalidStudy as exc:
        _fail(exc)
        return
    desc = volume.describe()
    desc["metadata"].pop("deid", None)
    if as_json:
        click.echo(json.dumps({"series": listing, "volume": desc}, indent=1, default=str))
        return
    for s in listing:
        number = f" series {s['series_number']}" if s["series_number"] is not None else ""
        click.echo(f"series [{s['index']}] {s['modality']}{number} {s['n_files']} files {s['rows']}x{s['columns']}")
    click.echo(f"shape      {desc['shape']} voxels, dtype {desc['dtype']}")
    click.echo(f"spacing    {desc['spacing_mm']} mm")
    click.echo(f"values     {desc['min']} .. {desc['max']}")
    click.echo(f"bounds     {desc['bounds_lps_mm']} (LPS mm)")
    click.echo(f"modality   {volume.modality}")
    for q in desc["metadata"].get("quirks", []) or []:
        click.echo(f"quirk      {q}")


class _Bar:
    """A one-line progress bar on stderr: stage and percent."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.last = ""

    def __call__(self, update: Any) -> None:
        if self.quiet:
            return
        filled = int(update.percent / 5)
        line = f"\r[{'#' * filled}{'.' * (20 - filled)}] {update.percent:5.1f}% {update.stage:<8}"
        if line != self.last:
            self.last = line
            click.echo(line, nl=False, err=True)


@imaging.command(name="import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Study folder to create.")
@click.option(
    "--title", default=None, help="The study's title (default: neutral, from modality and body part; never the file name)."
)
@click.option("--series", default=None, help="Series index, when several are present.")
@click.option(
    "--labels",
    "label_map",
    type=click.Path(exists=True, path_type=Path),
    help="Use this label map (NIfTI or DICOM SEG) instead of the model-free segmentation.",
)
@click.option(
    "--names", "label_names", type=click.Path(exists=True, path_type=Path), help="Label table (TSV label<TAB>name) for --labels."
)
@click.option(
    "--modality", type=click.Choice(["CT", "MR"], case_sensitive=False), help="Override the modality (NIfTI files carry none)."
)
@click.option(
    "--keep-originals",
    is_flag=True,
    help="Also keep the series' files in originals/ (neutral names; de-identified unless --no-deid).",
)
@click.option("--no-deid", is_flag=True, help="Do not de-identify (only for data already cleared).")
@click.option(
    "--allow-burned-in",
    is_flag=True,
    help="Import a series marked BurnedInAnnotation YES (text in the pixels, which "
    "de-identification cannot remove); refused otherwise.",
)
@click.option("--budget", default=300_000, show_default=True, help="Scene triangle budget.")
@click.option("--working-mm", default=1.5, show_default=True, help="Segmentation voxel size.")
@click.option("--overwrite", is_flag=True, help="Replace an existing study folder.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_(
    path: Path,
    out_dir: Path,
    title: str | None,
    series: str | None,
    label_map: Path | None,
    label_names: Path | None,
    modality: str | None,
    keep_originals: bool,
    no_deid: bool,
    allow_burned_in: bool,
    budget: int,
    working_mm: float,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Import a scan into a study folder: read, de-identify, segment, mesh, write.

    Ctrl-C cancels cleanly: nothing is left half-written.
    """
    from medverse.imaging.jobs import start_import

    bar = _Bar(quiet)
    job = start_import(
        path,
        out_dir,
        on_update=bar,
        title=title,
        series=series,
        label_map=label_map,
        label_names=label_names,
        modality=modality,
        keep_originals=keep_originals,
        deid=not no_deid,
        allow_burned_in=allow_burned_in,
        triangle_budget=budget,
        working_mm=working_mm,
        overwrite=overwrite,
    )
    try:
        while not job.wait(0.2):
            pass
    except KeyboardInterrupt:
        job.cancel()
        job.wait()
    if not quiet:
        click.echo("", err=True)
    if job.state == "cancelled":
        click.echo("import cancelled; nothing was written", err=True)
        sys.exit(130)
    if job.state != "succeeded":
        raise click.ClickException(f"[{job.error_code}] {job.error}")
    m = job.result or {}
    click.echo(
        f"study {out_dir}: {m.get('modality')} {m.get('structures')} structures, "
        f"{m.get('triangles')} triangles, {m.get('timings_s', {}).get('total')} s"
    )


@imaging.command(name="slice")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_png", required=True, type=click.Path(path_type=Path))
@click.option("--plane", type=click.Choice(["axial", "coronal", "sagittal"]), default="axial", show_default=True)
@click.option(
    "--position",
    type=float,
    default=None,
    help="LPS mm along the plane normal (z axial, y coronal, x sagittal); centre by default.",
)
@click.option("--preset", default="soft_tissue", show_default=True, help="soft_tissue, bone, lung, brain, liver or auto.")
@click.option("--series", default=None)
def slice_(path: Path, out_png: Path, plane: str, position: float | None, preset: str, series: str | None) -> None:
    """Render a slice of a scan (or of a study folder's volume) as PNG; prints its placement."""
    from medverse.imaging.errors import InvalidStudy
    from medverse.imaging.io import load_volume
    from medverse.imaging.slices import render_slice

    try:
        src = path / "volume.nii.gz" if (path / "volume.nii.gz").is_file() else path
        if path.is_dir() and (path / "study.json").is_file() and src == path:
            raise InvalidStudy(f"study {path.name!r} has meshes only (no image volume to slice)")
        volume = load_volume(src, series=series)
        img = render_slice(volume, plane, position, preset=preset)  # type: ignore[arg-type]
    except InvalidStudy as exc:
        _fail(exc)
        return
    out_png.write_bytes(img.png)
    click.echo(json.dumps(img.placement(), indent=1))


@imaging.command()
@click.option("--verify", "do_verify", is_flag=True, help="Check every file's SHA-256.")
def samples(do_verify: bool) -> None:
    """List the sample-data registry and where the mirror is."""
    from medverse import samples as reg

    root = reg.samples_dir()
    click.echo(f"mirror: {root or 'none (set MEDVERSE_SAMPLES_DIR)'}")
    bad = 0
    for name in reg.names():
        s = reg.get(name)
        status = ""
        if root is not None:
            present = (root / s.relpath).exists()
            status = "present" if present else "absent"
            if present and do_verify:
                problems = reg.verify(name, root)
                status = "ok" if not problems else "DAMAGED: " + "; ".join(problems)
                bad += bool(problems)
        click.echo(f"{name:<38} {len(s.files):>3} file(s) {s.size / 1e6:7.2f} MB  {status}")
        click.echo(f"    {s.license.split(' (')[0]} - {s.source}")
    if bad:
        sys.exit(1)


@imaging.command(name="reference-body")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path))
@click.option("--budget", default=300_000, show_default=True)
@click.option("--overwrite", is_flag=True)
def reference_body(out_dir: Path, budget: int, overwrite: bool) -> None:
    """Write the HRA reference male body as a study folder (credited, CC BY 4.0)."""
    from medverse.imaging.atlas import write_reference_study

    try:
        m = write_reference_study(out_dir, triangle_budget=budget, overwrite=overwrite)
    except Exception as exc:  # reported to the user with its code
        _fail(exc)
        return
    click.echo(f"reference body {out_dir}: {m['structures']} structures, {m['triangles']} triangles\ncredit: {m['credit']}")
