"""Trend plot of a scenario run (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .simulation import Result


def plot_result(res: Result, path: str | Path) -> None:
    """Six panels of vitals over time (minutes) with actions as labelled vertical lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = res.time_s / 60.0
    fig, axes = plt.subplots(3, 2, figsize=(14, 11), sharex=True)
    fig.suptitle(f"{res.scenario.name}", fontsize=14, fontweight="bold")
    panels = [
        ("Heart rate and breathing", [("hr", "HR /min", "tab:red"), ("rr", "RR /min", "tab:blue")], None),
        (
            "Arterial pressure (mmHg)",
            [("sbp", "SBP", "darkred"), ("map", "MAP", "tab:red"), ("dbp", "DBP", "salmon"), ("cvp", "CVP", "tab:purple")],
            None,
        ),
        ("Oxygen", [("spo2", "SpO2 %", "tab:cyan"), ("pao2", "PaO2 mmHg", "tab:green")], 100.0),
        ("Carbon dioxide (mmHg)", [("etco2", "EtCO2", "goldenrod"), ("paco2", "PaCO2", "tab:brown")], None),
        (
            "Flow and volume",
            [
                ("co", "CO L/min", "tab:orange"),
                ("blood_volume", "Blood volume L", "darkred"),
                ("vt", "Tidal volume L", "tab:blue"),
            ],
            None,
        ),
        (
            "Acid-base",
            [
                ("ph", "pH (x10-70)", "black"),
                ("lactate", "Lactate mmol/L", "tab:olive"),
                ("base_excess", "Base excess mmol/L", "tab:gray"),
            ],
            None,
        ),
    ]
    for ax, (title, series, _pct) in zip(axes.flat, panels, strict=False):
        for name, label, color in series:
            y = res[name].copy()
            if name == "spo2":
                y = y * 100.0
            elif name in ("blood_volume", "vt"):
                y = y / 1000.0
            elif name == "ph":
                y = (y - 7.0) * 10.0
            ax.plot(t, y, label=label, color=color, lw=1.6)
        ax.set_title(title, fontsize=11)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        for at, _desc, _note in res.log:
            ax.axvline(at / 60.0, color="0.4", ls="--", lw=0.8)
    top = axes[0, 0]
    ymax = top.get_ylim()[1]
    for k, (at, desc, _note) in enumerate(res.log[:12]):
        top.annotate(
            desc[:38],
            (at / 60.0, ymax),
            xytext=(3, -10 - 11 * (k % 4)),
            textcoords="offset points",
            fontsize=7,
            color="0.25",
            rotation=0,
        )
    for ax in axes[-1]:
        ax.set_xlabel("time (min)")
    arrests = [e for e in res.events if e.name == "cardiac arrest" and e.kind == "start"]
    for e in arrests:
        for ax in axes.flat:
            ax.axvspan(e.time_s / 60.0, e.time_s / 60.0 + 0.05, color="red", alpha=0.3)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=90)
    plt.close(fig)
