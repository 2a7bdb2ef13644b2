"""Actions: conditions the instructor starts and interventions the learners perform.

Every action has a name and typed fields (a dimension with its allowed units and range, or a
choice). :func:`make_action` checks and converts raw fields (``{value, unit}``) into an
:class:`Action`; :meth:`ActionApplier.apply` turns an action into changes of one patient's
``inputs``/``state`` rows. Anything unknown, out of range or in the wrong unit raises
:class:`InvalidAction` naming the field, what arrived and what was expected.

Documented physiological consequences rather than errors:

* a drug given IV/IO in cardiac arrest stays in the venous transit compartment until chest
  compressions or a returning circulation carry it to the central circulation;
* a tourniquet or pressure on a site that is not bleeding, needle decompression of a side
  without a pneumothorax, and a shock on a non-shockable rhythm do nothing (a note is returned);
* pressure cannot stop internal (chest, abdomen, pelvis) bleeding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import layout as L
from .drugs import ALIASES, drug_index
from .errors import InvalidAction
from .units import DIMENSIONS, convert

if TYPE_CHECKING:  # pragma: no cover
    from .engine import PatientBatch

LIMBS = ("left_arm", "right_arm", "left_leg", "right_leg")
JUNCTIONAL = ("neck", "left_groin", "right_groin", "left_axilla", "right_axilla", "scalp")
INTERNAL = ("chest", "abdomen", "pelvis", "internal")
SITES = LIMBS + JUNCTIONAL + INTERNAL
SIDES = ("left", "right")
RHYTHMS = {name: code for code, name in enumerate(L.RHYTHM_NAMES)}
RHYTHMS.update({"af": L.RH_AF, "vt": L.RH_VT, "vf": L.RH_VF, "sinus_rhythm": L.RH_SINUS})
PLACEMENTS = {
    "tracheal": L.AW_TRACHEAL,
    "esophageal": L.AW_ESOPHAGEAL,
    "right_mainstem": L.AW_RIGHT_MAINSTEM,
    "left_mainstem": L.AW_LEFT_MAINSTEM,
}
O2_DEVICES = {  # device: (default flow L/min, min, max)
    "none": (0.0, 0.0, 0.0),
    "nasal_cannula": (5.0, 1.0, 6.0),
    "simple_mask": (8.0, 5.0, 10.0),
    "non_rebreather": (15.0, 10.0, 15.0),
}
FLUIDS = ("saline", "lactated_ringers", "packed_red_cells", "whole_blood", "plasma")
ROUTES = ("IV", "IO", "IM")


@dataclass(frozen=True)
class F:
    """A field of an action: a dimension (unit checked) or a choice."""

    kind: str  # a units.DIMENSIONS key, "choice", "severity" or "drug"
    required: bool = True
    lo: float = -math.inf
    hi: float = math.inf
    default: Any = None
    choices: tuple[str, ...] = ()
    lo_open: bool = False


SEV = F("severity", lo=0.0, hi=1.0)
SPECS: dict[str, dict[str, F]] = {
    "hemorrhage": {
        "site": F("choice", False, default="right_leg", choices=SITES),
        "rate": F("flow", False, 0.0, 2000.0),
        "severity": F("severity", False, 0.0, 1.0),
    },
    "stop_hemorrhage": {"site": F("choice", False, default="all", choices=(*SITES, "all"))},
    "tourniquet": {"site": F("choice", choices=LIMBS)},
    "direct_pressure": {"site": F("choice", choices=SITES)},
    "tension_pneumothorax": {"side": F("choice", choices=SIDES), "severity": SEV},
    "open_pneumothorax": {"side": F("choice", choices=SIDES), "severity": SEV},
    "needle_decompression": {"side": F("choice", choices=SIDES)},
    "chest_seal": {"side": F("choice", choices=SIDES)},
    "asthma_attack": {"severity": SEV},
    "anaphylaxis": {"severity": SEV},
    "sepsis": {"severity": SEV},
    "airway_obstruction": {"severity": SEV},
    "apnea": {"severity": SEV},
    "opioid_overdose": {"severity": SEV},
    "set_rhythm": {"rhythm": F("choice", choices=tuple(RHYTHMS))},
    "oxygen": {"device": F("choice", choices=tuple(O2_DEVICES)), "flow": F("flow", False, 0.0, 15000.0)},
    "bag_valve_mask": {
        "rate": F("frequency", False, 4.0, 40.0, {"value": 12, "unit": "1/min"}),
        "pressure": F("pressure_cmh2o", False, 2.0, 60.0, {"value": 9.3, "unit": "cmH2O"}),
        "fio2": F("fraction", False, 0.21, 1.0, 0.21),
    },
    "stop_bag_valve_mask": {},
    "intubate": {"placement": F("choice", False, default="tracheal", choices=tuple(PLACEMENTS))},
    "extubate": {},
    "ventilator": {
        "mode": F("choice", False, default="VC", choices=("VC", "PC")),
        "rate": F("frequency", False, 4.0, 60.0, {"value": 12, "unit": "1/min"}),
        "tidal_volume": F("volume", False, 50.0, 2000.0, {"value": 500, "unit": "mL"}),
        "pressure": F("pressure_cmh2o", False, 2.0, 60.0, {"value": 15, "unit": "cmH2O"}),
        "peep": F("pressure_cmh2o", False, 0.0, 30.0, {"value": 5, "unit": "cmH2O"}),
        "fio2": F("fraction", False, 0.21, 1.0, 0.4),
        "ie_ratio": F("fraction", False, 0.1, 2.0, 0.5),
    },
    "ventilator_off": {},
    "drug_bolus": {
        "drug": F("drug"),
        "dose": F("dose", True, 0.0, 5e5, lo_open=True),
        "route": F("choice", False, default="IV", choices=ROUTES),
    },
    "drug_infusion": {"drug": F("drug"), "rate": F("dose_rate", True, 0.0, 1e4)},
    "fluid_infusion": {
        "fluid": F("choice", choices=FLUIDS),
        "volume": F("volume", True, 0.0, 10000.0, lo_open=True),
        "rate": F("flow", False, 0.0, 1000.0, {"value": 100, "unit": "mL/min"}, lo_open=True),
    },
    "cpr": {
        "rate": F("frequency", False, 60.0, 150.0, {"value": 110, "unit": "1/min"}),
        "depth": F("length", False, 1.0, 8.0, {"value": 5.5, "unit": "cm"}),
    },
    "stop_cpr": {},
    "defibrillate": {"energy": F("energy", False, 1.0, 400.0, {"value": 200, "unit": "J"})},
}


@dataclass(frozen=True)
class Action:
    """A checked action at ``at_s`` seconds; ``fields`` hold canonical values."""

    at_s: float
    name: str
    fields: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """Short human-readable label, e.g. ``drug_bolus epinephrine 1000 ug IV``."""
        parts = [self.name]
        for v in self.fields.values():
            parts.append(f"{v:g}" if isinstance(v, float) else str(v))
        return " ".join(parts)


def make_action(name: str, raw: dict[str, Any], at_s: float, weight_kg: float) -> Action:
    """Check and convert one action's raw fields.

    Parameters
    ----------
    name : str
        One of ``SPECS``.
    raw : dict
        Field name -> ``{value, unit}``, a number (severity, fraction) or a string (choice).
    at_s : float
        Time of the action in s (>= 0).
    weight_kg : float
        Patient weight, for per-kg units.
    """
    if not isinstance(name, str) or name not in SPECS:
        raise InvalidAction(f"unknown action {name!r}; expected one of: {', '.join(sorted(SPECS))}")
    if isinstance(at_s, bool) or not isinstance(at_s, (int, float)) or not math.isfinite(at_s) or at_s < 0:
        raise InvalidAction(f"action time must be >= 0 s (got {at_s!r})")
    spec = SPECS[name]
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise InvalidAction(f"{name}: unknown field {unknown[0]!r}; expected: {', '.join(spec) or 'no fields'}")
    out: dict[str, Any] = {}
    for fname, f in spec.items():
        v = raw.get(fname, f.default)
        if v is None:
            if f.required:
                raise InvalidAction(f"{name}: missing field {fname!r}")
            continue
        out[fname] = _field(name, fname, f, v, weight_kg)
    if name == "hemorrhage" and "rate" not in out and "severity" not in out:
        raise InvalidAction("hemorrhage: give a 'rate' ({value, unit: mL/min}) or a 'severity' 0-1")
    if name == "oxygen" and "flow" in out:
        _dflt, lo, hi = O2_DEVICES[out["device"]]
        flow = out["flow"] / 1000.0
        if not lo <= flow <= hi:
            rng = "takes no flow" if hi == 0.0 else f"delivers {lo:g}-{hi:g} L/min"
            raise InvalidAction(f"oxygen.flow: a {out['device'].replace('_', ' ')} {rng} (got {flow:g} L/min)")
    return Action(float(at_s), name, out)


def _field(action: str, fname: str, f: F, v: Any, weight_kg: float) -> Any:
    where = f"{action}.{fname}"
    if f.kind == "choice":
        if not isinstance(v, str) or v not in f.choices:
            raise InvalidAction(f"{where} must be one of {', '.join(f.choices)} (got {v!r})")
        return v
    if f.kind == "drug":
        if not isinstance(v, str) or v.strip().lower() not in ALIASES:
            raise InvalidAction(f"{where}: unknown drug {v!r}; expected one of {', '.join(sorted(ALIASES))}")
        return L.DRUG_NAMES[drug_index(v)]
    dim = "fraction" if f.kind == "severity" else f.kind
    if dim not in DIMENSIONS:  # pragma: no cover - spec error
        raise AssertionError(dim)
    val = convert(v, dim, where, weight_kg)
    if val < f.lo or val > f.hi or (f.lo_open and val <= f.lo):
        unit = next(iter(DIMENSIONS[dim]))
        lo = f"> {f.lo:g}" if f.lo_open else f">= {f.lo:g}"
        raise InvalidAction(f"{where} must be {lo} and <= {f.hi:g} {unit} (got {val:g} {unit})")
    return val


class ActionApplier:
    """Keeps per-patient bookkeeping (bleeding sites, oxygen) and applies actions to a batch."""

    def __init__(self, batch: PatientBatch) -> None:
        self.batch = batch
        self.bleeds: list[dict[str, float]] = [{} for _ in range(batch.n)]
        self.o2_fio2 = [0.21] * batch.n
        self.vent_fio2 = [0.21] * batch.n

    def apply(self, i: int, a: Action) -> str:
        """Apply ``a`` to patient ``i``; returns a note ('' or what happened instead)."""
        inp = self.batch.inputs[i]
        s = self.batch.state[i]
        f = a.fields
        n = a.name
        note = ""
        if n == "hemorrhage":
            rate = f.get("rate", 250.0 * f.get("severity", 0.0))
            self.bleeds[i][f["site"]] = rate
        elif n == "stop_hemorrhage":
            if f["site"] == "all":
                self.bleeds[i].clear()
            else:
                self.bleeds[i].pop(f["site"], None)
        elif n in ("tourniquet", "direct_pressure"):
            site = f["site"]
            if site in INTERNAL:
                note = f"{n.replace('_', ' ')} cannot stop internal bleeding ({site})"
            elif site not in self.bleeds[i]:
                note = f"no bleeding at {site}"
            else:
                del self.bleeds[i][site]
        elif n in ("tension_pneumothorax", "open_pneumothorax"):
            side = "L" if f["side"] == "left" else "R"
            inp[getattr(L, f"I_PTX_{side}")] = f["severity"]
            inp[getattr(L, f"I_PTX_{side}_OPEN")] = 1.0 if n == "open_pneumothorax" else 0.0
            inp[getattr(L, f"I_PTX_{side}_VENT")] = 0.0
            inp[getattr(L, f"I_PTX_{side}_SEAL")] = 0.0
        elif n in ("needle_decompression", "chest_seal"):
            side = "L" if f["side"] == "left" else "R"
            if s[getattr(L, f"V_PTX_{side}")] < 1.0 and inp[getattr(L, f"I_PTX_{side}")] <= 0.0:
                note = f"no pneumothorax on the {f['side']} side"
            key = "VENT" if n == "needle_decompression" else "SEAL"
            inp[getattr(L, f"I_PTX_{side}_{key}")] = 1.0
        elif n == "asthma_attack":
            inp[L.I_ASTHMA] = f["severity"]
        elif n == "anaphylaxis":
            inp[L.I_ANAPHYLAXIS] = f["severity"]
        elif n == "sepsis":
            inp[L.I_SEPSIS] = f["severity"]
        elif n == "airway_obstruction":
            inp[L.I_OBSTRUCTION] = f["severity"]
        elif n == "apnea":
            inp[L.I_APNEA] = f["severity"]
        elif n == "opioid_overdose":
            s[L.DRUG_BASE + L.D_FENTANYL * L.DRUG_STRIDE + L.DS_TRANS] += 1000.0 * f["severity"]
        elif n == "set_rhythm":
            s[L.RHYTHM] = RHYTHMS[f["rhythm"]]
            s[L.ROSC_TIMER] = 0.0
        elif n == "oxygen":
            dev = f["device"]
            dflt = O2_DEVICES[dev][0]
            flow = f.get("flow", dflt * 1000.0) / 1000.0  # inside [lo, hi]: make_action refuses others
            fio2 = {
                "none": 0.21,
                "nasal_cannula": 0.21 + 0.04 * flow,
                "simple_mask": 0.21 + 0.035 * flow,
                "non_rebreather": 0.6 + 0.02 * flow,
            }[dev]
            self.o2_fio2[i] = fio2
        elif n == "bag_valve_mask":
            inp[L.I_VENT_MODE] = L.VM_BVM
            inp[L.I_VENT_RATE] = f["rate"]
            inp[L.I_VENT_PINSP] = f["pressure"]
            inp[L.I_VENT_PEEP] = 0.0
            inp[L.I_VENT_IE] = 0.5
            self.vent_fio2[i] = f["fio2"]
        elif n in ("stop_bag_valve_mask", "ventilator_off"):
            inp[L.I_VENT_MODE] = L.VM_OFF
        elif n == "intubate":
            inp[L.I_AIRWAY] = PLACEMENTS[f["placement"]]
        elif n == "extubate":
            inp[L.I_AIRWAY] = L.AW_NATURAL
        elif n == "ventilator":
            inp[L.I_VENT_MODE] = L.VM_VC if f["mode"] == "VC" else L.VM_PC
            inp[L.I_VENT_RATE] = f["rate"]
            inp[L.I_VENT_VT] = f["tidal_volume"]
            inp[L.I_VENT_PINSP] = f["pressure"]
            inp[L.I_VENT_PEEP] = f["peep"]
            inp[L.I_VENT_IE] = f["ie_ratio"]
            self.vent_fio2[i] = f["fio2"]
            if inp[L.I_AIRWAY] == L.AW_NATURAL:
                note = "ventilator on a face mask (no tube): non-invasive ventilation"
        elif n == "drug_bolus":
            d = drug_index(f["drug"])
            b = L.DRUG_BASE + d * L.DRUG_STRIDE
            if f["route"] == "IM":
                s[b + L.DS_DEPOT] += f["dose"]
            else:
                s[b + L.DS_TRANS] += f["dose"]
                if s[L.L_CO] < 0.5 and inp[L.I_CPR_RATE] <= 0.0:
                    note = "no circulation: the drug waits in the vein until CPR or a heartbeat moves it"
        elif n == "drug_infusion":
            inp[L.INPUT_DRUG_BASE + drug_index(f["drug"])] = f["rate"]
        elif n == "fluid_infusion":
            kind = f["fluid"]
            idx = {
                "saline": (L.I_CRYST_RATE, L.REMAIN_CRYST),
                "lactated_ringers": (L.I_CRYST_RATE, L.REMAIN_CRYST),
                "packed_red_cells": (L.I_PRBC_RATE, L.REMAIN_PRBC),
                "whole_blood": (L.I_WB_RATE, L.REMAIN_WB),
                "plasma": (L.I_PLASMA_RATE, L.REMAIN_PLASMA),
            }[kind]
            inp[idx[0]] = f["rate"]
            s[idx[1]] += f["volume"]
        elif n == "cpr":
            inp[L.I_CPR_RATE] = f["rate"]
            inp[L.I_CPR_DEPTH] = f["depth"]
        elif n == "stop_cpr":
            inp[L.I_CPR_RATE] = 0.0
        elif n == "defibrillate":
            if int(s[L.RHYTHM]) not in (L.RH_VF, L.RH_VT):
                note = f"shock delivered on a non-shockable rhythm ({L.RHYTHM_NAMES[int(s[L.RHYTHM])]}): no effect"
            inp[L.I_DEFIB_J] = f["energy"]
        inp[L.I_HEM_RATE] = sum(self.bleeds[i].values())
        ventilated = inp[L.I_VENT_MODE] != L.VM_OFF
        inp[L.I_FIO2] = self.vent_fio2[i] if ventilated else self.o2_fio2[i]
        return note
