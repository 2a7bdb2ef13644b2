"""Trend plot of a scenario run (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .simulation import Result

# (title, left-axis series, right-axis series); a series is (trend, label, colour, scale)
_PANELS = [
    ("Heart and breathing rates (/min)", [("hr", "HR", "tab:red", 1.0), ("rr", "RR", "tab:blue", 1.0)], []),
    (
        "Arterial and central venous pressure (mmHg)",
        [
            ("sbp", "SBP", "darkred", 1.0),
            ("map", "MAP", "tab:red", 1.0),
            ("dbp", "DBP", "salmon", 1.0),
            ("cvp", "CVP", "tab:purple", 1.0),
        ],
        [],
    ),
    ("Oxygen", [("spo2", "SpO2 (%)", "tab:cyan", 100.0)], [("pao2", "PaO2 (mmHg)", "tab:green", 1.0)]),
    ("Carbon dioxide (mmHg)", [("etco2", "EtCO2", "goldenrod", 1.0), ("paco2", "PaCO2", "tab:brown", 1.0)], []),
    (
        "Cardiac output (L/min) and volumes (L)",
        [
            ("co", "CO", "tab:orange", 1.0),
            ("blood_volume", "blood volume", "darkred", 0.001),
            ("vt", "tidal volume", "tab:blue", 0.001),
        ],
        [],
    ),
    (
        "Acid-base",
        [("lactate", "lactate (mmol/L)", "tab:olive", 1.0), ("base_excess", "base excess (mmol/L)", "tab:gray", 1.0)],
        [("ph", "pH", "black", 1.0)],
    ),
]


def plot_result(res: Result, path: str | Path) -> None:
    """Six panels of vitals over time (minutes); actions as numbered dashed lines (legend
    below the panels) and cardiac arrest shaded red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = res.time_s / 60.0
    fig, axes = plt.subplots(3, 2, figsize=(14, 12), sharex=True)
    fig.suptitle(res.scenario.name, fontsize=14, fontweight="bold")
    arrest = res["rhythm"].round().astype(int)
    in_arrest = (arrest >= 3) | ((arrest == 2) & (res["map"] < 40))
    for ax, (title, left, right) in zip(axes.flat, _PANELS, strict=False):
        handles = []
        for name, label, color, scale in left:
            (h,) = ax.plot(t, res[name] * scale, label=label, color=color, lw=1.5)
            handles.append(h)
        if right:
            ax2 = ax.twinx()
            for name, label, color, scale in right:
                (h,) = ax2.plot(t, res[name] * scale, label=label, color=color, lw=1.5, ls="-.")
                handles.append(h)
                ax2.set_ylabel(label, fontsize=9)
        ax.set_title(title, fontsize=11)
        ax.grid(alpha=0.3)
        ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.8)
        if in_arrest.any():
            ax.fill_between(t, 0, 1, where=in_arrest, color="red", alpha=0.12, transform=ax.get_xaxis_transform(), label="arrest")
        for k, (at, _desc, _note) in enumerate(res.log):
            ax.axvline(at / 60.0, color="0.35", ls="--", lw=0.8)
            ax.text(at / 60.0, 0.98, f" {k + 1}", transform=ax.get_xaxis_transform(), fontsize=8, color="0.2", va="top")
    for ax in axes[-1]:
        ax.set_xlabel("time (min)")
    legend = [f"{k + 1}: {at / 60:.1f} min {desc}" for k, (at, desc, _n) in enumerate(res.log)]
    if in_arrest.any():
        legend.append("red band: cardiac arrest")
    cols = 3
    lines = ["     ".join(legend[i : i + cols]) for i in range(0, len(legend), cols)]
    fig.text(0.01, 0.005, "\n".join(lines[:6]), fontsize=8, family="monospace", va="bottom")
    fig.tight_layout(rect=(0, 0.03 + 0.018 * min(len(lines), 6), 1, 0.97))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_before_after(
    title: str,
    time_s: tuple[object, object],
    data: tuple[object, object],
    panels: list[tuple[str, list[tuple[str, str, float]]]],
    path: str | Path,
    notes: str = "",
) -> None:
    """Overlay two runs of one scenario (e.g. before and after a model change).

    Parameters
    ----------
    title : str
    time_s : (ndarray (T1,), ndarray (T2,))
        Trend times in s of the "before" and "after" runs.
    data : (ndarray (T1, N_OUT), ndarray (T2, N_OUT))
        Their trend rows (columns named in ``layout.OUT_NAMES``).
    panels : list of (panel title, [(trend, label, scale), ...])
        One panel per entry; "before" dashed grey-toned, "after" solid.
    path : str or Path
        PNG to write.
    notes : str
        Text under the panels (the protocol, the actions).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .layout import OUT_NAMES

    n = len(panels)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(12, 3.4 * rows + 0.8), sharex=True, squeeze=False)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    colors = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    for ax, (ptitle, series) in zip(axes.flat, panels, strict=False):
        for k, (name, label, scale) in enumerate(series):
            j = OUT_NAMES.index(name)
            c = colors[k % len(colors)]
            ax.plot(time_s[0] / 60.0, data[0][:, j] * scale, color=c, lw=1.2, ls="--", alpha=0.6, label=f"{label} before")  # type: ignore[index, operator]
            ax.plot(time_s[1] / 60.0, data[1][:, j] * scale, color=c, lw=1.6, label=f"{label} after")  # type: ignore[index, operator]
        ax.set_title(ptitle, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best", framealpha=0.8)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("time (min)")
    if notes:
        fig.text(0.01, 0.005, notes, fontsize=8, family="monospace", va="bottom")
    fig.tight_layout(rect=(0, 0.04 if notes else 0, 1, 0.96))
    fig.savefig(path, dpi=80)
    plt.close(fig)
