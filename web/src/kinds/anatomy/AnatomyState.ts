import { AnatomyEv } from "../../net/Protocol";
import type { AnatomyEvName, WireEvent } from "../../net/Protocol";

export type Vec3 = [number, number, number];
export type Plane = "axial" | "coronal" | "sagittal";
export const PLANES: Plane[] = ["axial", "coronal", "sagittal"];
export type Preset = "soft_tissue" | "bone" | "lung" | "brain";
export const PRESETS: Preset[] = ["soft_tissue", "bone", "lung", "brain"];

/** One structure of a study, as `anatomy.study_loaded` carries it. */
export interface Structure {
  label: number;
  name: string;
  /** sRGB 0-255 (and maybe alpha). */
  color: number[];
  volume_ml: number | null;
  area_cm2: number | null;
  triangles: number;
}

export interface Study {
  id: string;
  title: string;
  modality: string | null;
  credit: string | null;
  has_volume: boolean;
  triangles: number;
  structures: Structure[];
}

export interface Clip {
  enabled: boolean;
  normal: Vec3;
  offset_m: number;
}

export interface Measurement {
  id: string;
  a: Vec3;
  b: Vec3;
  mm: number;
  by: number;
}

/** An answer as the viewer may see it: in full, or (another student's, before the reveal) only that it exists. */
export type QuizAnswerInfo =
  | { label: number; name: string; correct: boolean; display_name: string }
  | { display_name: string; hidden: true };

export interface Quiz {
  round: number;
  label: number;
  name: string;
  revealed: boolean;
  answers: Record<string, QuizAnswerInfo>;
}

export interface SliceState {
  enabled: boolean;
  position_mm: number | null;
}

/** The anatomy kind's state (`state.kind` of a snapshot; src/medverse/anatomy/rules.py). */
export interface AnatomyKindState {
  /** Absent in the state of spaces whose log predates study libraries. */
  library?: Record<string, { title: string }>;
  study: Study | null;
  visible: Record<string, boolean>;
  opacity: Record<string, number>;
  clips: Clip[];
  highlight: number | null;
  measures: Record<string, Measurement>;
  slices: Record<Plane, SliceState>;
  preset: Preset;
  follow: boolean;
  /** Set by the first `anatomy.follow_set`. */
  leader?: number | null;
  quiz: Quiz | null;
}

/** The data of each anatomy event. */
export interface AnatomyEventData {
  [AnatomyEv.STUDY_ADDED]: { id: string; title: string };
  [AnatomyEv.STUDY_LOADED]: { study: Study };
  [AnatomyEv.STUDY_UNLOADED]: Record<string, never>;
  [AnatomyEv.VISIBILITY_SET]: { label: number; visible: boolean };
  [AnatomyEv.OPACITY_SET]: { label: number; opacity: number };
  [AnatomyEv.ALL_SHOWN]: Record<string, never>;
  [AnatomyEv.CLIP_SET]: { index: number } & Clip;
  [AnatomyEv.HIGHLIGHTED]: { label: number | null };
  [AnatomyEv.MEASURED]: Measurement;
  [AnatomyEv.MEASURE_DELETED]: { id: string };
  [AnatomyEv.SLICE_SET]: { plane: Plane } & SliceState;
  [AnatomyEv.PRESET_SET]: { preset: Preset };
  [AnatomyEv.FOLLOW_SET]: { on: boolean; leader: number | null };
  [AnatomyEv.QUIZ_STARTED]: { round: number; label: number; name: string };
  /** Another student's answer before the reveal comes without label, name and correct. */
  [AnatomyEv.QUIZ_ANSWERED]: { round: number; user_id: number; display_name: string } & Partial<{ label: number; name: string; correct: boolean }>;
  [AnatomyEv.QUIZ_REVEALED]: { round: number; answers: Record<string, QuizAnswerInfo> };
  [AnatomyEv.QUIZ_ENDED]: Record<string, never>;
}

// Every anatomy event of the contract has its data typed above (a new one fails the type check here).
export type UntypedAnatomyEvents = Exclude<AnatomyEvName, keyof AnatomyEventData>;
const everyEventTyped: [UntypedAnatomyEvents] extends [never] ? true : UntypedAnatomyEvents = true;
void everyEventTyped;

function data<K extends keyof AnatomyEventData>(ev: WireEvent, _name: K): AnatomyEventData[K] {
  return ev.data as unknown as AnatomyEventData[K];
}

/**
 * The client's mirror of the anatomy kind state: loaded from the snapshot, then changed only by
 * applying the server's `anatomy.*` events, the same way the server's appliers do.
 */
export class AnatomyState {
  library: Record<string, { title: string }> = {};
  study: Study | null = null;
  visible: Record<string, boolean> = {};
  opacity: Record<string, number> = {};
  clips: Clip[] = AnatomyState.noClips();
  highlight: number | null = null;
  measures: Record<string, Measurement> = {};
  slices: Record<Plane, SliceState> = AnatomyState.noSlices();
  preset: Preset = "soft_tissue";
  follow = false;
  leader: number | null = null;
  quiz: Quiz | null = null;

  static noClips(): Clip[] {
    return [0, 1, 2].map(() => ({ enabled: false, normal: [0, -1, 0] as Vec3, offset_m: 0 }));
  }

  static noSlices(): Record<Plane, SliceState> {
    return { axial: { enabled: false, position_mm: null }, coronal: { enabled: false, position_mm: null }, sagittal: { enabled: false, position_mm: null } };
  }

  /** "kidney_right" -> "Kidney right". */
  static prettyName(name: string): string {
    const s = name.replace(/_/g, " ").trim();
    return s ? s[0].toUpperCase() + s.slice(1) : s;
  }

  structure(label: number | null): Structure | undefined {
    return label === null ? undefined : this.study?.structures.find((s) => s.label === label);
  }

  isVisible(label: number): boolean {
    return this.visible[String(label)] !== false;
  }

  opacityOf(label: number): number {
    return this.opacity[String(label)] ?? 1;
  }

  /** Replaces everything with a snapshot's kind state. */
  load(k: AnatomyKindState): void {
    const copy = structuredClone(k);
    this.library = copy.library ?? {};
    this.study = copy.study;
    this.visible = copy.visible;
    this.opacity = copy.opacity;
    this.clips = copy.clips;
    this.highlight = copy.highlight;
    this.measures = copy.measures;
    this.slices = copy.slices;
    this.preset = copy.preset;
    this.follow = copy.follow;
    this.leader = copy.leader ?? null;
    this.quiz = copy.quiz;
  }

  /** Back to the state of a space without a study, keeping the library and who leads the view. */
  private clear(study: Study | null): void {
    this.study = study;
    this.visible = {};
    this.opacity = {};
    this.clips = AnatomyState.noClips();
    this.highlight = null;
    this.measures = {};
    this.slices = AnatomyState.noSlices();
    this.preset = "soft_tissue";
    this.quiz = null;
  }

  /** Applies one event; returns true when it was an anatomy event. */
  apply(ev: WireEvent): boolean {
    switch (ev.name) {
      case AnatomyEv.STUDY_ADDED: {
        const { id, title } = data(ev, AnatomyEv.STUDY_ADDED);
        this.library[id] = { title };
        return true;
      }
      case AnatomyEv.STUDY_LOADED: {
        const { study } = structuredClone(data(ev, AnatomyEv.STUDY_LOADED));
        this.clear(study);
        this.library[study.id] ??= { title: study.title || study.id };
        return true;
      }
      case AnatomyEv.STUDY_UNLOADED:
        this.clear(null);
        return true;
      case AnatomyEv.VISIBILITY_SET: {
        const { label, visible } = data(ev, AnatomyEv.VISIBILITY_SET);
        this.visible[String(label)] = visible;
        return true;
      }
      case AnatomyEv.OPACITY_SET: {
        const { label, opacity } = data(ev, AnatomyEv.OPACITY_SET);
        this.opacity[String(label)] = opacity;
        return true;
      }
      case AnatomyEv.ALL_SHOWN:
        this.visible = {};
        this.opacity = {};
        return true;
      case AnatomyEv.CLIP_SET: {
        const { index, enabled, normal, offset_m } = data(ev, AnatomyEv.CLIP_SET);
        this.clips[index] = { enabled, normal: [...normal], offset_m };
        return true;
      }
      case AnatomyEv.HIGHLIGHTED:
        this.highlight = data(ev, AnatomyEv.HIGHLIGHTED).label;
        return true;
      case AnatomyEv.MEASURED: {
        const m = structuredClone(data(ev, AnatomyEv.MEASURED));
        this.measures[m.id] = m;
        return true;
      }
      case AnatomyEv.MEASURE_DELETED:
        delete this.measures[data(ev, AnatomyEv.MEASURE_DELETED).id];
        return true;
      case AnatomyEv.SLICE_SET: {
        const { plane, enabled, position_mm } = data(ev, AnatomyEv.SLICE_SET);
        this.slices[plane] = { enabled, position_mm };
        return true;
      }
      case AnatomyEv.PRESET_SET:
        this.preset = data(ev, AnatomyEv.PRESET_SET).preset;
        return true;
      case AnatomyEv.FOLLOW_SET: {
        const { on, leader } = data(ev, AnatomyEv.FOLLOW_SET);
        this.follow = on;
        this.leader = leader;
        return true;
      }
      case AnatomyEv.QUIZ_STARTED: {
        const { round, label, name } = data(ev, AnatomyEv.QUIZ_STARTED);
        this.quiz = { round, label, name, revealed: false, answers: {} };
        return true;
      }
      case AnatomyEv.QUIZ_ANSWERED: {
        const d = data(ev, AnatomyEv.QUIZ_ANSWERED);
        if (this.quiz) {
          this.quiz.answers[String(d.user_id)] =
            d.label === undefined || d.name === undefined || d.correct === undefined
              ? { display_name: d.display_name, hidden: true }
              : { label: d.label, name: d.name, correct: d.correct, display_name: d.display_name };
        }
        return true;
      }
      case AnatomyEv.QUIZ_REVEALED:
        if (this.quiz) {
          this.quiz.revealed = true;
          this.quiz.answers = structuredClone(data(ev, AnatomyEv.QUIZ_REVEALED).answers);
        }
        return true;
      case AnatomyEv.QUIZ_ENDED:
        this.quiz = null;
        return true;
      default:
        return false;
    }
  }
}
