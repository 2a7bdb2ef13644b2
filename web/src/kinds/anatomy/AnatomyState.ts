import type { WireEvent } from "../../net/Protocol";

export type Vec3 = [number, number, number];
export type Plane = "axial" | "coronal" | "sagittal";
export const PLANES: Plane[] = ["axial", "coronal", "sagittal"];
export type Preset = "soft_tissue" | "bone" | "lung" | "brain";
export const PRESETS: Preset[] = ["soft_tissue", "bone", "lung", "brain"];

export interface Structure {
  label: number;
  name: string;
  color: number[];
  volume_ml?: number;
  area_mm2?: number;
  area_cm2?: number;
  triangles?: number;
}

export interface Study {
  id: string;
  title: string;
  modality?: string;
  credit?: string;
  has_volume?: boolean;
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

export interface QuizAnswerInfo {
  label: number;
  name: string;
  correct: boolean;
  display_name: string;
}

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

/**
 * The client's mirror of the anatomy kind state (`state.kind`, see src/medverse/anatomy/kind.py):
 * loaded from the snapshot, then changed only by applying the server's `anatomy.*` events, the
 * same way the server's appliers do.
 */
export class AnatomyState {
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

  /** Replaces everything with the snapshot's `state.kind` (or the initial state when absent). */
  load(raw: unknown): void {
    const k = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
    this.study = (k.study as Study | null) ?? null;
    this.visible = { ...((k.visible as Record<string, boolean>) ?? {}) };
    this.opacity = { ...((k.opacity as Record<string, number>) ?? {}) };
    const clips = Array.isArray(k.clips) ? (k.clips as Clip[]) : [];
    this.clips = AnatomyState.noClips().map((c, i) => (clips[i] ? { ...clips[i], normal: [...clips[i].normal] as Vec3 } : c));
    this.highlight = typeof k.highlight === "number" ? k.highlight : null;
    this.measures = { ...((k.measures as Record<string, Measurement>) ?? {}) };
    this.slices = { ...AnatomyState.noSlices(), ...((k.slices as Record<Plane, SliceState>) ?? {}) };
    this.preset = (k.preset as Preset) ?? "soft_tissue";
    this.follow = Boolean(k.follow);
    this.leader = typeof k.leader === "number" ? k.leader : null;
    this.quiz = k.quiz ? (JSON.parse(JSON.stringify(k.quiz)) as Quiz) : null;
  }

  /** Applies one event; returns true when it was an anatomy event. */
  apply(ev: WireEvent): boolean {
    const d = (ev.data ?? {}) as Record<string, unknown>;
    switch (ev.name) {
      case "anatomy.study_loaded": {
        const follow = this.follow;
        const leader = this.leader;
        this.load({ study: d.study });
        this.follow = follow;
        this.leader = leader;
        return true;
      }
      case "anatomy.study_unloaded": {
        const follow = this.follow;
        const leader = this.leader;
        this.load({});
        this.follow = follow;
        this.leader = leader;
        return true;
      }
      case "anatomy.visibility_set":
        this.visible[String(d.label)] = Boolean(d.visible);
        return true;
      case "anatomy.opacity_set":
        this.opacity[String(d.label)] = Number(d.opacity);
        return true;
      case "anatomy.all_shown":
        this.visible = {};
        this.opacity = {};
        return true;
      case "anatomy.clip_set":
        this.clips[Number(d.index)] = { enabled: Boolean(d.enabled), normal: [...(d.normal as number[])] as Vec3, offset_m: Number(d.offset_m) };
        return true;
      case "anatomy.highlighted":
        this.highlight = typeof d.label === "number" ? d.label : null;
        return true;
      case "anatomy.measured":
        this.measures[String(d.id)] = d as unknown as Measurement;
        return true;
      case "anatomy.measure_deleted":
        delete this.measures[String(d.id)];
        return true;
      case "anatomy.slice_set":
        this.slices[d.plane as Plane] = { enabled: Boolean(d.enabled), position_mm: typeof d.position_mm === "number" ? d.position_mm : null };
        return true;
      case "anatomy.preset_set":
        this.preset = d.preset as Preset;
        return true;
      case "anatomy.follow_set":
        this.follow = Boolean(d.on);
        this.leader = typeof d.leader === "number" ? d.leader : null;
        return true;
      case "anatomy.quiz_started":
        this.quiz = { round: Number(d.round), label: Number(d.label), name: String(d.name), revealed: false, answers: {} };
        return true;
      case "anatomy.quiz_answered":
        if (this.quiz) {
          this.quiz.answers[String(d.user_id)] = { label: Number(d.label), name: String(d.name), correct: Boolean(d.correct), display_name: String(d.display_name ?? "") };
        }
        return true;
      case "anatomy.quiz_revealed":
        if (this.quiz) this.quiz.revealed = true;
        return true;
      case "anatomy.quiz_ended":
        this.quiz = null;
        return true;
      default:
        return false;
    }
  }
}
