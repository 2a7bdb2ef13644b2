// The simulation bay's kind state on the client: a mirror of src/medverse/simbay/rules.py's
// appliers. Students receive redacted events ({redacted: true}) for what they may not see.

export interface Who {
  user_id: number;
  display_name: string;
}

export interface SimPatient {
  id: string;
  label: string;
  patient: { sex: string; age_yr: number; height_cm: number; weight_kg: number; copd: number; chronic_anemia: number };
  seed: number;
  triage: string | null;
}

export interface SimAction {
  id: string;
  patient: string;
  at_s: number;
  name: string;
  fields: Record<string, unknown>;
  label: string;
  by: Who | null;
  source: "script" | "instructor" | "team";
  hidden: boolean;
}

export interface Expected {
  id: string;
  label: string;
  action: string;
  match: Record<string, string>;
  after: string | null;
  within_s: number | null;
}

export interface SimCase {
  id: string;
  title: string;
  summary: string;
  duration_s: number;
  story: string;
  objectives: string[];
  patient: SimPatient["patient"];
  expected?: Expected[];
  critical?: { id: string; label: string }[];
  outcome?: { label: string; measure: string; op: string; value: number }[];
}

export interface Clock {
  running: boolean;
  speed: number;
  sim_s: number;
  wall_ts: number;
}

export interface Lab {
  id: string;
  patient: string;
  at_s: number;
  ready_s: number;
  by: Who;
  results: Record<string, number> | null;
}

export interface FindingEntry {
  id: string;
  patient: string;
  what: string;
  at_s: number;
  by: Who;
  text: string | null;
}

export interface Checkpoint {
  at_s: number;
  vitals: Record<string, Record<string, number>>;
}

export interface Score {
  expected: Record<string, { status: string; at_s: number; by: Who | null }>;
  critical: { id: string; label: string; at_s: number; by: Who; action: string }[];
}

export interface SimKindState {
  case: SimCase | null;
  patients: SimPatient[];
  clock: Clock;
  finished: { at_s: number; outcome: { label: string; observed: number; met: boolean }[] } | null;
  actions: SimAction[];
  labs: Lab[];
  findings: FindingEntry[];
  said: { patient: string; text: string; at_s: number }[];
  notes: { text: string; at_s: number; by: Who }[];
  checkpoints: Checkpoint[];
  score: Score | null;
  /** The past moment (s) the instructor shows everyone, or null: live. */
  replay: number | null;
}

export function initialSim(): SimKindState {
  return {
    case: null,
    patients: [],
    clock: { running: false, speed: 1, sim_s: 0, wall_ts: 0 },
    finished: null,
    actions: [],
    labs: [],
    findings: [],
    said: [],
    notes: [],
    checkpoints: [],
    score: { expected: {}, critical: [] },
    replay: null,
  };
}

/** The simulation time at wall time `wallS` (seconds since the epoch). */
export function simNow(clock: Clock, wallS: number): number {
  if (!clock.running) return clock.sim_s;
  return clock.sim_s + Math.max(0, wallS - clock.wall_ts) * clock.speed;
}

export function formatSimTime(s: number): string {
  const t = Math.max(0, Math.floor(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, "0")}`;
}

function scriptActions(kind: SimKindState, patient: SimPatient, c: SimCase & { script?: { at_s: number; name: string; fields: Record<string, unknown> }[] }): void {
  for (const a of c.script ?? []) {
    kind.actions.push({ id: `a${kind.actions.length + 1}`, patient: patient.id, at_s: a.at_s, name: a.name, fields: { ...a.fields }, label: a.name.replace(/_/g, " "), by: null, source: "script", hidden: true });
  }
}

/** Applies one `sim.*` event; false when the event is not the bay's. */
export function applySimEvent(kind: SimKindState, name: string, d: Record<string, unknown>): boolean {
  if (d.redacted) return name.startsWith("sim.");
  switch (name) {
    case "sim.case_loaded": {
      Object.assign(kind, initialSim());
      kind.case = d.case as SimCase;
      kind.patients = (d.patients as SimPatient[]).map((p) => ({ ...p }));
      if (kind.score === null) kind.score = { expected: {}, critical: [] };
      for (const p of kind.patients) scriptActions(kind, p, kind.case);
      return true;
    }
    case "sim.patient_added": {
      const p = { ...(d.patient as SimPatient) };
      kind.patients.push(p);
      if (kind.case) scriptActions(kind, p, kind.case);
      return true;
    }
    case "sim.clock":
      kind.clock = d as unknown as Clock;
      return true;
    case "sim.action":
      kind.actions.push({ ...(d as unknown as SimAction) });
      return true;
    case "sim.revealed": {
      for (const a of d.actions as SimAction[]) {
        const mine = kind.actions.find((x) => x.id === a.id);
        if (mine) mine.hidden = false;
        else kind.actions.push({ ...a });
      }
      kind.actions.sort((x, y) => x.at_s - y.at_s || Number(x.id.slice(1)) - Number(y.id.slice(1)));
      return true;
    }
    case "sim.labs_drawn":
      kind.labs.push({ ...(d as unknown as Lab) });
      return true;
    case "sim.lab_result": {
      const lab = kind.labs.find((l) => l.id === d.id);
      if (lab) lab.results = { ...(d.results as Record<string, number>) };
      return true;
    }
    case "sim.examined":
      kind.findings.push({ ...(d as unknown as FindingEntry) });
      return true;
    case "sim.finding": {
      const f = kind.findings.find((x) => x.id === d.id);
      if (f) f.text = d.text as string;
      return true;
    }
    case "sim.said":
      kind.said.push(d as unknown as SimKindState["said"][number]);
      kind.said.splice(0, Math.max(0, kind.said.length - 50));
      return true;
    case "sim.noted":
      kind.notes.push(d as unknown as SimKindState["notes"][number]);
      return true;
    case "sim.triaged": {
      const p = kind.patients.find((x) => x.id === d.patient);
      if (p) p.triage = (d.tag as string | null) ?? null;
      return true;
    }
    case "sim.checkpoint":
      kind.checkpoints.push(d as unknown as Checkpoint);
      kind.checkpoints.splice(0, Math.max(0, kind.checkpoints.length - 3000));
      return true;
    case "sim.expected_met":
      if (kind.score) kind.score.expected[d.id as string] = { status: d.status as string, at_s: d.at_s as number, by: d.by as Who };
      return true;
    case "sim.expected_missed":
      if (kind.score && !kind.score.expected[d.id as string]) kind.score.expected[d.id as string] = { status: "missed", at_s: d.at_s as number, by: null };
      return true;
    case "sim.critical_error":
      kind.score?.critical.push(d as unknown as Score["critical"][number]);
      return true;
    case "sim.replay_set":
      kind.replay = (d.at_s as number | null) ?? null;
      return true;
    case "sim.ended":
      kind.finished = { at_s: d.at_s as number, outcome: d.outcome as { label: string; observed: number; met: boolean }[] };
      return true;
    default:
      return false;
  }
}

/** A deep copy of a snapshot's kind state (null: none yet). */
export function simFrom(raw: unknown): SimKindState {
  const base = initialSim();
  if (!raw || typeof raw !== "object") return base;
  return { ...base, ...(JSON.parse(JSON.stringify(raw)) as Partial<SimKindState>) };
}
