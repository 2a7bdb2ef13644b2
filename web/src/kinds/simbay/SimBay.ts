import type { WireEvent } from "../../net/Protocol";
import { h, replace } from "../../ui/dom";
import type { KindContext, KindInstance } from "../SpaceKind";
import { BedScene } from "./BedScene";
import { decodeMonitor } from "./MonitorStream";
import type { MonitorPatient } from "./MonitorStream";
import { MonitorView } from "./MonitorView";
import { applySimEvent, formatSimTime, simFrom, simNow } from "./SimState";
import type { SimAction, SimKindState } from "./SimState";

const DRUGS = ["epinephrine", "norepinephrine", "fentanyl", "morphine", "naloxone", "succinylcholine", "rocuronium"];
const FLUIDS = ["saline", "lactated_ringers", "packed_red_cells", "whole_blood", "plasma"];
const O2 = ["none", "nasal_cannula", "simple_mask", "non_rebreather"];
const EXAMS: [string, string][] = [
  ["airway", "Airway"],
  ["breath_sounds", "Breath sounds"],
  ["pulse", "Pulse"],
  ["capillary_refill", "Capillary refill"],
  ["skin", "Skin"],
  ["pupils", "Pupils"],
];
const CONDITIONS: Record<string, string[]> = {
  anaphylaxis: ["severity"],
  asthma_attack: ["severity"],
  sepsis: ["severity"],
  airway_obstruction: ["severity"],
  apnea: ["severity"],
  opioid_overdose: ["severity"],
  hemorrhage: ["site", "rate"],
  stop_hemorrhage: [],
  tension_pneumothorax: ["side", "severity"],
  open_pneumothorax: ["side", "severity"],
  set_rhythm: ["rhythm"],
};
const RHYTHM_CHOICES = ["sinus_rhythm", "atrial_fibrillation", "ventricular_tachycardia", "ventricular_fibrillation", "asystole", "pea"];
const SITES = ["right_leg", "left_leg", "right_arm", "left_arm", "abdomen", "chest", "pelvis"];
const SPEEDS = [1, 2, 5, 10, 30, 60];
type Tab = "act" | "timeline" | "case" | "console" | "debrief";

function pretty(s: string): string {
  return s.replace(/_/g, " ");
}

/**
 * The simulation bay in one open space: the patients on their beds (3D), the bedside monitor
 * (3D and in the panel), the team's actions, the case, the instructor's console and the debrief.
 * The state mirrors the server's (SimState); the monitor comes from the binary stream.
 */
export class SimBay implements KindInstance {
  private sim: SimKindState;
  private readonly monitor = new MonitorView();
  private readonly beds: BedScene;
  private readonly latest = new Map<number, MonitorPatient>();
  private current = 0; // the patient shown on the monitor (index)
  private tab: Tab = "act";
  /** Until the user picks a tab, instructors see the console and the team the actions. */
  private tabChosen = false;
  private readonly card: HTMLElement;
  private readonly clockEl = h("span.sim-clock#sim-clock", null, "--:--");
  private readonly replayBadge = h("div.sim-replay-badge#sim-replay-badge", { hidden: true, role: "status" });
  private readonly body = h("div.sim-body");
  private readonly tabsEl = h("div.sim-tabs", { role: "tablist" });
  private readonly patientsEl = h("div.sim-patients");
  private readonly alarmBtn: HTMLButtonElement;
  private cases: { id: string; title: string; summary: string }[] = [];
  private readonly off: (() => void)[] = [];
  private lastRender = 0;
  /** The moment the instructor picked on the debrief's slider (kept when the debrief is redrawn). */
  private replayPick: number | null = null;
  /** What the body's forms depend on: rebuilt only when it changes (typing is never lost). */
  private bodyKey = "";
  /** Parts of the body that follow the state without rebuilding the forms. */
  private live: { clock?: HTMLElement; score?: HTMLElement; timeline?: HTMLElement; debrief?: HTMLElement } = {};

  constructor(private readonly ctx: KindContext) {
    this.sim = simFrom(ctx.state.kind);
    this.beds = new BedScene(ctx.scene, this.monitor.canvas);
    this.alarmBtn = h("button.btn.btn-small#silence-alarm", { type: "button", onclick: () => this.monitor.silence(), title: "Silence the audible alarm for two minutes" }, "Silence alarm") as HTMLButtonElement;
    this.card = h(
      "div.sim-card.kind-card#sim-panel",
      { "aria-label": "Simulation bay" },
      h("div.sim-head", null, h("strong.sim-title#sim-title", null, "Simulation bay"), this.clockEl),
      this.patientsEl,
      h("div.sim-monitor", null, this.monitor.canvas, this.alarmBtn, this.replayBadge),
      this.tabsEl,
      this.body,
    );
    ctx.panel.append(this.card);
    this.card.addEventListener("pointerdown", () => this.monitor.enableSound(), { once: true });
    this.off.push(
      ctx.onReset(() => {
        this.sim = simFrom(ctx.state.kind);
        this.render();
      }),
      ctx.onEvent((ev) => this.onEvent(ev)),
      ctx.onStream((data) => {
        const chunk = decodeMonitor(data);
        if (!chunk) return;
        for (const p of chunk.patients) {
          this.latest.set(p.index, p);
          if (p.index === this.current) this.monitor.push(p);
        }
      }),
    );
    (window as unknown as { __simbay?: unknown }).__simbay = {
      state: () => JSON.parse(JSON.stringify(this.sim)) as unknown,
      monitor: () => {
        const p = this.latest.get(this.current);
        return p ? { rhythm: p.rhythm, numerics: { ...p.numerics }, ecg: p.ecg.length, alarms: this.monitor.alarms.map((a) => a.text) } : null;
      },
      simTime: () => simNow(this.sim.clock, Date.now() / 1000),
    };
    this.render();
  }

  private onEvent(ev: WireEvent): void {
    if (!applySimEvent(this.sim, ev.name, ev.data)) return;
    if (ev.name === "sim.said") this.ctx.toast(`Patient: “${String(ev.data.text)}”`, "info");
    if (ev.name === "sim.finding" || ev.name === "sim.lab_result") this.ctx.toast(ev.name === "sim.finding" ? `Finding: ${String(ev.data.text)}` : "Blood gas result is ready", "info");
    if (ev.name === "sim.case_loaded") {
      this.current = 0;
      this.replayPick = null;
    }
    if (ev.name === "sim.replay_set") this.monitor.reset(); // the replayed moment, or live again, from a clean sweep
    this.render();
  }

  // ---- every frame ------------------------------------------------------------------------------

  update(dt: number): void {
    this.monitor.draw(dt);
    this.beds.update(
      dt,
      (id) => {
        const i = this.sim.patients.findIndex((p) => p.id === id);
        const p = this.latest.get(i);
        return p ? { rr: p.numerics.rr, spo2: p.numerics.spo2, map: p.numerics.map } : null;
      },
      this.monitor.dirty,
    );
    this.monitor.dirty = false;
    const t = simNow(this.sim.clock, Date.now() / 1000);
    const dur = this.sim.case?.duration_s ?? 0;
    this.clockEl.textContent = this.sim.case ? `${formatSimTime(Math.min(t, dur))} / ${formatSimTime(dur)} ${this.sim.clock.running ? `▶ x${this.sim.clock.speed}` : this.sim.finished ? "ended" : "paused"}` : "no case";
    const replay = this.sim.replay;
    this.replayBadge.hidden = replay === null;
    if (replay !== null) this.replayBadge.textContent = `Replay: the moment at ${formatSimTime(replay)}`;
    this.alarmBtn.hidden = this.monitor.alarms.length === 0;
    this.alarmBtn.textContent = this.monitor.silenced ? "Alarm silenced" : "Silence alarm";
    const now = performance.now();
    if (this.tab === "console" && now - this.lastRender > 1000) {
      this.lastRender = now;
      this.refreshLive(); // deadlines move
    }
  }

  // ---- the panel ---------------------------------------------------------------------------------

  private get instructor(): boolean {
    return this.ctx.myRole() === "instructor";
  }

  private get patientId(): string {
    return this.sim.patients[this.current]?.id ?? "p1";
  }

  private render(): void {
    const s = this.sim;
    this.beds.setPatients(s.patients);
    this.beds.devices(s.actions, s.patients);
    (this.card.querySelector("#sim-title") as HTMLElement).textContent = s.case?.title ?? "Simulation bay";
    replace(
      this.patientsEl,
      s.patients.length > 1
        ? s.patients.map((p, i) =>
            h(
              "button.btn.btn-small.sim-patient",
              { type: "button", "aria-pressed": String(i === this.current), onclick: () => this.choosePatient(i), "data-triage": p.triage ?? "" },
              p.label,
            ),
          )
        : [],
    );
    const tabs: [Tab, string][] = [
      ["act", "Act"],
      ["timeline", "Timeline"],
      ["case", "Case"],
      ...(this.instructor ? ([["console", "Console"]] as [Tab, string][]) : []),
      ["debrief", "Debrief"],
    ];
    if (!this.tabChosen) this.tab = this.instructor ? "console" : "act";
    if (!tabs.some(([t]) => t === this.tab)) this.tab = "act";
    replace(
      this.tabsEl,
      tabs.map(([t, label]) => h("button.sim-tab", { type: "button", role: "tab", id: `sim-tab-${t}`, "aria-selected": String(t === this.tab), onclick: () => this.show(t) }, label)),
    );
    this.renderBody();
  }

  private choosePatient(i: number): void {
    this.current = i;
    const p = this.latest.get(i);
    if (p) this.monitor.push(p);
    this.render();
  }

  private show(tab: Tab): void {
    this.tab = tab;
    this.tabChosen = true;
    this.render();
  }

  private renderBody(): void {
    this.lastRender = performance.now();
    const s = this.sim;
    const key = [this.tab, s.case?.id ?? "", s.patients.length, this.current, this.ctx.myRole(), this.cases.length, s.finished ? 1 : 0, this.tab === "act" ? (s.patients[this.current]?.triage ?? "") : ""].join("|");
    if (key === this.bodyKey && this.body.firstChild) {
      this.refreshLive();
      return;
    }
    this.bodyKey = key;
    this.live = {};
    if (!s.case) {
      replace(this.body, this.instructor ? this.consoleView() : h("p.muted", null, "Waiting for the instructor to pick a case."));
      return;
    }
    const views: Record<Tab, () => HTMLElement> = {
      act: () => this.actView(),
      timeline: () => this.timelineView(),
      case: () => this.caseView(),
      console: () => this.consoleView(),
      debrief: () => this.debriefView(),
    };
    replace(this.body, views[this.tab]());
    this.refreshLive();
  }

  /** Updates what follows the state (clock buttons, score, timeline, plot) in place. */
  private refreshLive(): void {
    const { clock, score, timeline, debrief } = this.live;
    const c = this.sim.clock;
    const clockKey = [c.running, c.speed, c.sim_s > 0, this.sim.finished !== null, this.sim.patients.length].join("|");
    if (clock && clock.dataset.key !== clockKey) {
      clock.dataset.key = clockKey; // rebuilt only when it changes: an open menu is never pulled away
      replace(clock, ...this.clockControls());
    }
    if (score) replace(score, ...this.scoreView());
    if (timeline) replace(timeline, ...this.timelineItems());
    if (debrief) replace(debrief, ...this.debriefItems());
  }

  private send(name: string, args: Record<string, unknown>, done?: string): void {
    this.ctx.command(name, args).then(
      () => done && this.ctx.toast(done, "success"),
      (err: { message?: string }) => this.ctx.toast(err.message ?? "refused", "error"),
    );
  }

  private act(action: string, fields: Record<string, unknown>): void {
    this.send("sim.act", { patient: this.patientId, action, fields });
  }

  private actView(): HTMLElement {
    const num = (id: string, value: number, step = "any"): HTMLInputElement => h(`input#${id}`, { type: "number", value: String(value), step, min: "0" }) as HTMLInputElement;
    const sel = (id: string, options: string[], value?: string): HTMLSelectElement =>
      h(`select#${id}`, null, options.map((o) => h("option", { value: o, selected: o === value }, pretty(o)))) as HTMLSelectElement;
    const drug = sel("sim-drug", DRUGS);
    const dose = num("sim-dose", 0.5);
    const unit = sel("sim-dose-unit", ["mg", "ug", "mg/kg", "ug/kg", "g"]);
    const route = sel("sim-route", ["IV", "IO", "IM"], "IV");
    const fluid = sel("sim-fluid", FLUIDS);
    const volume = num("sim-volume", 500);
    const rate = num("sim-rate", 100);
    const o2 = sel("sim-o2", O2, "non_rebreather");
    const flow = num("sim-flow", 15);
    const energy = num("sim-energy", 200);
    const exam = sel("sim-exam", EXAMS.map(([k]) => k));
    const observer = this.ctx.myRole() === "observer";
    const row = (title: string, ...children: (HTMLElement | string)[]): HTMLElement => h("div.sim-row", null, h("span.sim-row-title", null, title), ...children);
    const button = (id: string, label: string, onclick: () => void): HTMLElement => h(`button.btn.btn-small#${id}`, { type: "button", onclick, disabled: observer }, label);
    const p = this.sim.patients[this.current];
    return h(
      "div.sim-act",
      null,
      observer ? h("p.muted.small", null, "Observers watch; they cannot treat.") : null,
      row("Drug", drug, dose, unit, route, button("sim-give", "Give", () => this.act("drug_bolus", { drug: drug.value, dose: { value: Number(dose.value), unit: unit.value }, route: route.value }))),
      row(
        "Fluid",
        fluid,
        volume,
        h("span.small", null, "mL at"),
        rate,
        h("span.small", null, "mL/min"),
        button("sim-fluid-start", "Start", () => this.act("fluid_infusion", { fluid: fluid.value, volume: { value: Number(volume.value), unit: "mL" }, rate: { value: Number(rate.value), unit: "mL/min" } })),
      ),
      row("Oxygen", o2, flow, h("span.small", null, "L/min"), button("sim-o2-set", "Set", () => this.act("oxygen", o2.value === "none" ? { device: "none" } : { device: o2.value, flow: { value: Number(flow.value), unit: "L/min" } }))),
      row(
        "Airway",
        button("sim-bvm", "Bag-mask", () => this.act("bag_valve_mask", { fio2: 1.0 })),
        button("sim-bvm-stop", "Stop bagging", () => this.act("stop_bag_valve_mask", {})),
        button("sim-intubate", "Intubate", () => this.act("intubate", {})),
        button("sim-needle-l", "Needle L", () => this.act("needle_decompression", { side: "left" })),
        button("sim-needle-r", "Needle R", () => this.act("needle_decompression", { side: "right" })),
      ),
      row(
        "Circulation",
        button("sim-cpr", "Start CPR", () => this.act("cpr", {})),
        button("sim-cpr-stop", "Stop CPR", () => this.act("stop_cpr", {})),
        energy,
        h("span.small", null, "J"),
        button("sim-shock", "Shock", () => this.act("defibrillate", { energy: { value: Number(energy.value), unit: "J" } })),
      ),
      row(
        "Assess",
        exam,
        button("sim-examine", "Examine", () => this.send("sim.examine", { patient: this.patientId, what: exam.value })),
        button("sim-labs", "Blood gas", () => this.send("sim.labs", { patient: this.patientId }, "Blood drawn: results in about 2 minutes")),
      ),
      this.sim.patients.length > 1
        ? row(
            "Triage",
            ...["red", "yellow", "green", "black"].map((tag) =>
              h(`button.btn.btn-small.triage-${tag}`, { type: "button", "aria-pressed": String(p?.triage === tag), onclick: () => this.send("sim.triage", { patient: this.patientId, tag }) }, tag),
            ),
          )
        : null,
    );
  }

  private who(a: { by: { display_name: string } | null; source?: string }): string {
    return a.by ? a.by.display_name : a.source === "script" ? "the case" : "";
  }

  private timelineView(): HTMLElement {
    this.live.timeline = h("ol.sim-timeline#sim-timeline");
    return this.live.timeline;
  }

  private timelineItems(): HTMLElement[] {
    const s = this.sim;
    type Line = { t: number; text: string; kind: string };
    const lines: Line[] = [];
    for (const a of s.actions) if (!a.hidden) lines.push({ t: a.at_s, text: `${pretty(a.label)} (${this.who(a)})`, kind: a.source });
    for (const x of s.said) lines.push({ t: x.at_s, text: `Patient: “${x.text}”`, kind: "said" });
    for (const f of s.findings) lines.push({ t: f.at_s, text: `${pretty(f.what)}: ${f.text ?? "examining…"} (${f.by.display_name})`, kind: "finding" });
    for (const l of s.labs) {
      const r = l.results;
      lines.push({
        t: l.at_s,
        text: r ? `Blood gas: pH ${r.ph.toFixed(2)}, PaO2 ${r.pao2.toFixed(0)}, PaCO2 ${r.paco2.toFixed(0)} mmHg, HCO3 ${r.hco3.toFixed(0)}, BE ${r.base_excess.toFixed(1)}, lactate ${r.lactate.toFixed(1)}, Hb ${r.hb.toFixed(1)}` : `Blood gas drawn (${l.by.display_name}); result at ${formatSimTime(l.ready_s)}`,
        kind: "lab",
      });
    }
    for (const n of s.notes) lines.push({ t: n.at_s, text: `Note: ${n.text}`, kind: "note" });
    lines.sort((a, b) => a.t - b.t);
    return lines.length ? lines.map((l) => h("li", { class: `tl-${l.kind}` }, h("time", null, formatSimTime(l.t)), " ", l.text)) : [h("li.muted", null, "Nothing has happened yet.")];
  }

  private caseView(): HTMLElement {
    const c = this.sim.case;
    const p = this.sim.patients[this.current];
    if (!c) return h("p.muted", null, "No case.");
    return h(
      "div.sim-case",
      null,
      h("p", null, c.story),
      p ? h("p.small.muted", null, `${p.patient.sex}, ${Math.round(p.patient.age_yr)} years, ${Math.round(p.patient.weight_kg)} kg`) : null,
      h("h4", null, "Learning objectives"),
      h("ul", null, c.objectives.map((o) => h("li", null, o))),
    );
  }

  private consoleView(): HTMLElement {
    const s = this.sim;
    const picker = h("select#sim-case-picker", null, this.cases.map((c) => h("option", { value: c.id, selected: c.id === s.case?.id }, c.title))) as HTMLSelectElement;
    if (this.cases.length === 0) void this.loadCases();
    // optional changes to the case's patient, applied when the case is loaded (blank: the case's)
    const sex = h("select#sim-pt-sex", { title: "sex" }, h("option", { value: "" }, "sex"), h("option", { value: "female" }, "female"), h("option", { value: "male" }, "male")) as HTMLSelectElement;
    const age = h("input#sim-pt-age", { type: "number", min: "18", max: "100", placeholder: "age", title: "age (years)" }) as HTMLInputElement;
    const weight = h("input#sim-pt-weight", { type: "number", min: "35", max: "250", placeholder: "kg", title: "weight (kg)" }) as HTMLInputElement;
    const copd = h("input#sim-pt-copd", { type: "number", min: "0", max: "1", step: "0.1", placeholder: "COPD", title: "COPD severity 0-1" }) as HTMLInputElement;
    const anemia = h("input#sim-pt-anemia", { type: "number", min: "0", max: "1", step: "0.1", placeholder: "anaemia", title: "chronic anaemia severity 0-1" }) as HTMLInputElement;
    const patientArgs = (): Record<string, unknown> | undefined => {
      const out: Record<string, unknown> = {};
      if (sex.value) out.sex = sex.value;
      if (age.value) out.age_yr = Number(age.value);
      if (weight.value) out.weight_kg = Number(weight.value);
      if (copd.value) out.copd = Number(copd.value);
      if (anemia.value) out.chronic_anemia = Number(anemia.value);
      return Object.keys(out).length ? out : undefined;
    };
    const condition = h("select#sim-condition", null, Object.keys(CONDITIONS).map((c) => h("option", { value: c }, pretty(c)))) as HTMLSelectElement;
    const severity = h("input#sim-severity", { type: "number", min: "0", max: "1", step: "0.1", value: "0.7", title: "severity 0-1" }) as HTMLInputElement;
    const choice = h("select#sim-condition-choice", null) as HTMLSelectElement;
    const fillChoice = (): void => {
      const fields = CONDITIONS[condition.value];
      const opts = fields.includes("rhythm") ? RHYTHM_CHOICES : fields.includes("site") ? SITES : fields.includes("side") ? ["left", "right"] : [];
      replace(choice, opts.map((o) => h("option", { value: o }, pretty(o))));
      choice.hidden = opts.length === 0;
      severity.hidden = !fields.includes("severity") && !fields.includes("rate");
    };
    condition.addEventListener("change", fillChoice);
    fillChoice();
    const delay = h("input#sim-inject-in", { type: "number", min: "0", value: "0", title: "in seconds (0: now)" }) as HTMLInputElement;
    const inject = (): void => {
      const name = condition.value;
      const fields: Record<string, unknown> = {};
      for (const f of CONDITIONS[name]) {
        if (f === "severity") fields.severity = Number(severity.value);
        else if (f === "rate") fields.rate = { value: Number(severity.value) * 300, unit: "mL/min" };
        else fields[f] = choice.value;
      }
      this.send("sim.inject", { patient: this.patientId, action: name, fields, in_s: Number(delay.value) || 0 }, Number(delay.value) > 0 ? "Scheduled" : "Injected");
    };
    const say = h("input#sim-say", { type: "text", placeholder: "Speak as the patient…", maxlength: "500" }) as HTMLInputElement;
    const note = h("input#sim-note", { type: "text", placeholder: "Private note…", maxlength: "2000" }) as HTMLInputElement;
    this.live.clock = h("div.sim-row#sim-clock-controls");
    this.live.score = h("div.sim-score#sim-score");
    return h(
      "div.sim-console",
      null,
      h(
        "div.sim-row",
        null,
        picker,
        h("button.btn.btn-small#sim-load", { type: "button", onclick: () => this.send("sim.load_case", { case_id: picker.value, ...(patientArgs() ? { patient: patientArgs() } : {}) }, "Case loaded") }, s.case ? "Load (resets)" : "Load case"),
        h(
          "label.btn.btn-small#sim-upload",
          { title: "Load a case file of your own (YAML or JSON; docs/simbay.md)" },
          "Upload…",
          h("input#sim-case-file", { type: "file", accept: ".yaml,.yml,.json", hidden: true, onchange: (e: Event) => void this.upload(e.target as HTMLInputElement) }),
        ),
      ),
      h("div.sim-row.sim-patient-edit", { title: "Change the case's patient (applied on Load; blank keeps the case's)" }, h("span.sim-row-title", null, "Patient"), sex, age, weight, copd, anemia),
      s.case ? this.live.clock : null,
      s.case ? h("div.sim-row", null, h("span.sim-row-title", null, "Inject"), condition, choice, severity, delay, h("span.small", null, "s"), h("button.btn.btn-small#sim-inject", { type: "button", onclick: inject }, "Inject")) : null,
      s.case
        ? h(
            "div.sim-row",
            null,
            say,
            h("button.btn.btn-small#sim-say-send", { type: "button", onclick: () => say.value.trim() && (this.send("sim.say", { patient: this.patientId, text: say.value.trim() }), (say.value = "")) }, "Say"),
            note,
            h("button.btn.btn-small#sim-note-send", { type: "button", onclick: () => note.value.trim() && (this.send("sim.note", { text: note.value.trim() }, "Noted"), (note.value = "")) }, "Note"),
          )
        : null,
      s.case ? this.live.score : null,
    );
  }

  private clockControls(): HTMLElement[] {
    const s = this.sim;
    const speed = h("select#sim-speed", { onchange: (e: Event) => this.send("sim.set_speed", { speed: Number((e.target as HTMLSelectElement).value) }) }, SPEEDS.map((v) => h("option", { value: String(v), selected: v === s.clock.speed }, `x${v}`)));
    return [
      s.clock.running
        ? h("button.btn.btn-small#sim-pause", { type: "button", onclick: () => this.send("sim.pause", {}) }, "Pause")
        : h("button.btn.btn-primary.btn-small#sim-start", { type: "button", onclick: () => this.send("sim.start", {}), disabled: s.finished !== null }, s.clock.sim_s > 0 ? "Resume" : "Start"),
      speed,
      h("button.btn.btn-small#sim-reset", { type: "button", onclick: () => window.confirm("Start the case again from the beginning?") && this.send("sim.reset", {}) }, "Reset"),
      h("button.btn.btn-small#sim-add-patient", { type: "button", disabled: s.clock.sim_s > 0, onclick: () => this.send("sim.add_patient", { label: `Casualty ${s.patients.length + 1}` }) }, "Add patient"),
    ];
  }

  private scoreView(): HTMLElement[] {
    const s = this.sim;
    const score = s.score;
    if (!score || !s.case) return [];
    const expected = s.case.expected ?? [];
    const t = simNow(s.clock, Date.now() / 1000);
    const onset = (name: string | null): number | null => {
      if (!name) return null;
      const times = s.actions.filter((a: SimAction) => a.name === name && a.source !== "team").map((a) => a.at_s);
      return times.length ? Math.min(...times) : null;
    };
    return [
      h("h4", null, "Expected actions"),
      h(
        "ul",
        null,
        expected.map((e) => {
          const got = score.expected[e.id];
          const start = onset(e.after);
          const due = start !== null && e.within_s !== null ? start + e.within_s : null;
          const status = got?.status ?? (due !== null && t > due ? "missed" : "pending");
          const when = got ? ` at ${formatSimTime(got.at_s)}${got.by ? ` by ${got.by.display_name}` : ""}` : due !== null ? ` (due by ${formatSimTime(due)})` : "";
          return h("li", { class: `score-${status}`, "data-expected": e.id }, h("span.score-status", null, status), ` ${e.label}${when}`);
        }),
      ),
      ...(score.critical.length ? [h("h4", null, "Critical errors"), h("ul", null, score.critical.map((c) => h("li.score-critical", null, `${c.label} at ${formatSimTime(c.at_s)} by ${c.by.display_name}`)))] : []),
      h("p.small.muted", null, `Score: ${Object.values(score.expected).filter((x) => x.status === "done").length} of ${expected.length} in time, ${score.critical.length} critical error(s)`),
    ];
  }

  /** Sends a case file to the server, which checks it whole before loading it. */
  private async upload(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    if (file.size > 200_000) {
      this.ctx.toast("A case file may be at most 200 kB", "error");
      return;
    }
    const r = await fetch(`/api/spaces/${encodeURIComponent(this.ctx.spaceName)}/simbay/case`, { method: "POST", body: await file.text(), credentials: "same-origin", headers: { "Content-Type": "application/yaml" } });
    if (r.ok) this.ctx.toast(`Loaded “${((await r.json()) as { title: string }).title}”`, "success");
    else this.ctx.toast(((await r.json().catch(() => ({}))) as { detail?: string }).detail ?? `The case was refused (${r.status})`, "error");
  }

  private async loadCases(): Promise<void> {
    const r = await fetch("/api/simbay/cases", { credentials: "same-origin" });
    if (!r.ok) return;
    this.cases = (await r.json()) as { id: string; title: string; summary: string }[];
    if (this.tab === "console" || !this.sim.case) this.renderBody();
  }

  private debriefView(): HTMLElement {
    this.live.debrief = h("div.sim-debrief#sim-debrief");
    return this.live.debrief;
  }

  private debriefItems(): HTMLElement[] {
    const s = this.sim;
    const canvas = h("canvas#sim-debrief-plot", { width: 460, height: 200, role: "img", "aria-label": "Vital signs over the case" }) as HTMLCanvasElement;
    drawTrends(canvas, s, this.patientId);
    const reached = s.finished ? s.finished.at_s : simNow(s.clock, Date.now() / 1000);
    const pick = Math.min(this.replayPick ?? s.replay ?? reached, reached);
    const slider = h("input#sim-replay-at", { type: "range", min: "0", max: String(Math.max(1, Math.floor(reached))), step: "1", value: String(Math.floor(pick)), "aria-label": "Moment to show" }) as HTMLInputElement;
    const label = h("span.small#sim-replay-label", null, formatSimTime(Number(slider.value)));
    slider.addEventListener("input", () => {
      this.replayPick = Number(slider.value);
      label.textContent = formatSimTime(this.replayPick);
    });
    const replayControls =
      this.instructor && !s.clock.running
        ? [
            h(
              "div.sim-row",
              null,
              h("span.sim-row-title", null, "Replay"),
              slider,
              label,
              h("button.btn.btn-small#sim-replay-show", { type: "button", onclick: () => this.send("sim.replay", { at_s: Number(slider.value) }) }, "Show everyone"),
              s.replay !== null ? h("button.btn.btn-small#sim-replay-live", { type: "button", onclick: () => this.send("sim.replay", { at_s: null }) }, "Back to live") : null,
            ),
          ]
        : this.instructor
          ? [h("p.small.muted", null, "Pause the case to show everyone a past moment.")]
          : [];
    const outcome = s.finished?.outcome ?? [];
    const name = encodeURIComponent(this.ctx.spaceName);
    return [
      canvas,
      ...replayControls,
      h("p.small.muted", null, "Heart rate (green), mean arterial pressure (red), SpO2 % (cyan); ticks: the team's actions (white) and the case's events (amber); the dashed line: the moment shown."),
      ...(outcome.length ? [h("ul.sim-outcome", null, outcome.map((o) => h("li", { class: o.met ? "score-done" : "score-missed" }, `${o.met ? "met" : "not met"}: ${o.label} (${o.observed})`)))] : []),
      h("p", null, h("a#sim-export-json", { href: `/api/spaces/${name}/simbay/record.json`, download: "" }, "Download the record (JSON)"), " · ", h("a#sim-export-csv", { href: `/api/spaces/${name}/simbay/vitals.csv`, download: "" }, "Vital signs (CSV)")),
    ];
  }

  dispose(): void {
    this.off.forEach((u) => u());
    this.beds.dispose();
    this.monitor.dispose();
    this.card.remove();
    delete (window as unknown as { __simbay?: unknown }).__simbay;
  }
}

/** The debrief's plot: the checkpoints' heart rate, MAP and SpO2 over the case, with actions. */
function drawTrends(canvas: HTMLCanvasElement, s: SimKindState, patient: string): void {
  const c = canvas.getContext("2d");
  if (!c) return;
  const w = canvas.width;
  const ht = canvas.height;
  c.fillStyle = "#0b1118";
  c.fillRect(0, 0, w, ht);
  const points = s.checkpoints.filter((p) => p.vitals[patient]);
  const end = Math.max(s.case?.duration_s ?? 60, ...points.map((p) => p.at_s));
  const x = (t: number): number => 30 + ((w - 40) * t) / end;
  const y = (v: number): number => ht - 20 - ((ht - 30) * Math.max(0, Math.min(200, v))) / 200;
  c.strokeStyle = "#334155";
  c.fillStyle = "#64748b";
  c.font = "10px system-ui, sans-serif";
  for (const v of [50, 100, 150]) {
    c.beginPath();
    c.moveTo(30, y(v));
    c.lineTo(w - 10, y(v));
    c.stroke();
    c.fillText(String(v), 4, y(v) + 3);
  }
  for (let m = 0; m <= end / 60; m += Math.max(1, Math.round(end / 60 / 8))) c.fillText(`${m}′`, x(m * 60) - 4, ht - 6);
  const series: [string, string, number][] = [
    ["hr", "#4ade80", 1],
    ["map", "#f87171", 1],
    ["spo2", "#22d3ee", 100],
  ];
  for (const [key, colour, k] of series) {
    c.strokeStyle = colour;
    c.lineWidth = 2;
    c.beginPath();
    points.forEach((p, i) => {
      const v = p.vitals[patient][key] * k;
      if (i === 0) c.moveTo(x(p.at_s), y(v));
      else c.lineTo(x(p.at_s), y(v));
    });
    c.stroke();
  }
  if (s.replay !== null) {
    c.strokeStyle = "#e2e8f0";
    c.setLineDash([4, 4]);
    c.beginPath();
    c.moveTo(x(s.replay), 10);
    c.lineTo(x(s.replay), ht - 20);
    c.stroke();
    c.setLineDash([]);
  }
  for (const a of s.actions) {
    if (a.hidden || a.patient !== patient) continue;
    c.strokeStyle = a.source === "team" ? "#e2e8f0" : "#f59e0b";
    c.beginPath();
    c.moveTo(x(a.at_s), ht - 20);
    c.lineTo(x(a.at_s), ht - 32);
    c.stroke();
  }
}
