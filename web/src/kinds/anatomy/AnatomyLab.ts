import * as THREE from "three";
import { AnatomyCmd, AnatomyEv, Cmd, Ev, JobState, Msg } from "../../net/Protocol";
import type { WireEvent } from "../../net/Protocol";
import { isTyping } from "../../scene/DesktopControls";
import { h } from "../../ui/dom";
import type { KindContext, KindInstance } from "../SpaceKind";
import type { AnatomyKindState, Measurement, Plane, Vec3 } from "./AnatomyState";
import { AnatomyState } from "./AnatomyState";
import { BodyModel } from "./BodyModel";
import { BodyPicker } from "./BodyPicker";
import type { PickHit } from "./BodyPicker";
import { ClipPanel } from "./ClipPanel";
import { ClipPlanes } from "./ClipPlanes";
import { FollowMe } from "./FollowMe";
import { ImportPanel } from "./ImportPanel";
import { MeasureTool } from "./MeasureTool";
import { QuizPanel } from "./QuizPanel";
import { SlicePanel } from "./SlicePanel";
import { SliceView } from "./SliceView";
import { StructureList } from "./StructureList";
import { VRBodyGrab } from "./VRBodyGrab";

type Tab = "study" | "structures" | "cut" | "slices" | "quiz" | "measure";
const TABS: [Tab, string][] = [
  ["study", "Study"],
  ["structures", "Structures"],
  ["cut", "Cut"],
  ["slices", "Slices"],
  ["quiz", "Quiz"],
  ["measure", "Measure"],
];

interface Timings {
  jobDone: number | null;
  studyEvent: number | null;
  glbLoaded: number | null;
  rendered: number | null;
}

const _dir = new THREE.Vector3();
const _q = new THREE.Quaternion();

/**
 * One open anatomy lab: mirrors the shared kind state, shows the study's body with its clip planes,
 * slices and measurements, and the lab's panel (study import, structures, cut, slices, quiz,
 * measure). Every shared change goes out as a command and comes back as an event; only the own
 * selection, hover, follow release and a VR grab are local.
 */
export class AnatomyLab implements KindInstance {
  readonly anatomy = new AnatomyState();
  private model: BodyModel | null = null;
  private clips: ClipPlanes | null = null;
  private slicesView: SliceView | null = null;
  private measure: MeasureTool | null = null;
  private loadingStudy: string | null = null;
  private loadError: string | null = null;
  private selected: number | null = null;
  private role = "observer";
  private bounds: number[][] | null = null;
  private readonly timings: Timings = { jobDone: null, studyEvent: null, glbLoaded: null, rendered: null };
  private readonly unsubscribe: (() => void)[] = [];
  private readonly root: HTMLElement;
  private readonly card: HTMLElement;
  private readonly bodyEl: HTMLElement;
  private readonly statusEl = h("div.an-status#anatomy-status", { role: "status" });
  private readonly selectedEl = h("div.an-selected#anatomy-selected", { hidden: true });
  private readonly tooltip = h("div.an-tooltip#anatomy-tooltip", { hidden: true, role: "tooltip" });
  private readonly quizBanner = h("div.an-quiz-banner#anatomy-quiz-banner", { hidden: true });
  private readonly tabButtons = new Map<Tab, HTMLButtonElement>();
  private readonly sections = new Map<Tab, HTMLElement>();
  private readonly importPanel: ImportPanel;
  private readonly structureList: StructureList;
  private readonly clipPanel: ClipPanel;
  private readonly slicePanel: SlicePanel;
  private readonly quizPanel: QuizPanel;
  private readonly measureSlot = h("div.an-measure-slot");
  private readonly picker: BodyPicker;
  private readonly follow: FollowMe;
  private readonly vr: VRBodyGrab;
  /** Escape clears the own selection (and stops measuring). */
  private readonly onKey = (e: KeyboardEvent): void => {
    if (e.key !== "Escape" || isTyping(e)) return;
    if (this.measure?.active) this.measure.setActive(false);
    else if (this.selected !== null) this.select(null, true);
  };

  constructor(private readonly ctx: KindContext) {
    ctx.view.renderer.localClippingEnabled = true;
    const send = (name: string, args: Record<string, unknown>): void => void ctx.command(name, args).catch(() => undefined);
    this.importPanel = new ImportPanel(
      ctx.spaceName,
      () => send(AnatomyCmd.UNLOAD_STUDY, {}),
      (study_id) => send(AnatomyCmd.LOAD_STUDY, { study_id }),
    );
    this.structureList = new StructureList({
      select: (label) => this.select(label, true),
      setVisible: (label, visible) => send(AnatomyCmd.SET_VISIBLE, { label, visible }),
      setOpacity: (label, opacity) => send(AnatomyCmd.SET_OPACITY, { label, opacity }),
      showAll: () => send(AnatomyCmd.SHOW_ALL, {}),
    });
    this.clipPanel = new ClipPanel({
      set: (index, c) => send(AnatomyCmd.SET_CLIP, { index, enabled: c.enabled, normal: c.normal, offset_m: c.offset_m }),
      range: (normal) => (this.model ? ClipPlanes.range(this.model, normal) : [-0.5, 0.5]),
      viewNormal: () => this.viewNormal(),
    });
    this.slicePanel = new SlicePanel({
      setSlice: (plane, enabled, position_mm) => send(AnatomyCmd.SET_SLICE, { plane, enabled, position_mm }),
      setPreset: (preset) => send(AnatomyCmd.SET_PRESET, { preset }),
    });
    this.quizPanel = new QuizPanel({
      start: (label) => send(AnatomyCmd.QUIZ_START, { label }),
      answer: (label) => send(AnatomyCmd.QUIZ_ANSWER, { label }),
      reveal: () => send(AnatomyCmd.QUIZ_REVEAL, {}),
      end: () => send(AnatomyCmd.QUIZ_END, {}),
    });
    const sectionOf: Record<Tab, HTMLElement> = {
      study: this.importPanel.el,
      structures: this.structureList.el,
      cut: this.clipPanel.el,
      slices: this.slicePanel.el,
      quiz: this.quizPanel.el,
      measure: this.measureSlot,
    };
    const tabs = h("div.an-tabs", { role: "tablist" });
    for (const [t, label] of TABS) {
      const b = h("button.an-tab", { type: "button", role: "tab", id: `anatomy-tab-${t}`, onclick: () => this.showTab(t) }, label) as HTMLButtonElement;
      tabs.append(b);
      this.tabButtons.set(t, b);
      const sec = h("div.an-tabpanel", { role: "tabpanel", "data-tab": t }, sectionOf[t]);
      this.sections.set(t, sec);
    }
    const collapse = h("button.btn.btn-ghost.btn-small.an-collapse", { type: "button", "aria-label": "Fold the anatomy panel", title: "Fold / unfold", onclick: () => this.card.classList.toggle("is-folded") }, "▾");
    this.bodyEl = h("div.an-body", null, tabs, ...this.sections.values());
    this.card = h("div.an-card.kind-card#anatomy-panel", { "aria-label": "Anatomy lab" }, h("div.an-head", null, h("strong", null, "Anatomy lab"), collapse), this.statusEl, this.selectedEl, this.bodyEl);
    this.follow = new FollowMe(ctx.view.camera, ctx.controls, (id, p, q) => ctx.headPose(id, p, q));
    this.root = h("div.an-root", null, this.card, this.tooltip, this.follow.el, this.quizBanner);
    ctx.panel.append(this.root);
    this.picker = new BodyPicker(ctx.view.renderer.domElement, ctx.view.camera, this.tooltip, (l) => this.nameOf(l), (hit) => this.onClick(hit));
    this.vr = new VRBodyGrab(ctx.view.renderer, ctx.scene, this.picker, (hit) => this.onClick(hit), (l) => this.nameOf(l));
    this.showTab("study");

    this.unsubscribe.push(
      ctx.onReset(() => {
        this.anatomy.load(ctx.state.kind as AnatomyKindState);
        this.refresh();
      }),
      ctx.onEvent((ev) => this.onEvent(ev)),
      ctx.onMessage(Msg.JOB_PROGRESS, ({ job }) => {
        if (job.state === JobState.SUCCEEDED) this.timings.jobDone = performance.now();
        this.importPanel.onJob(job);
      }),
    );
    window.addEventListener("keydown", this.onKey);
    this.installHook();
    // The kind mounts on the first welcome, before the snapshot: load the state if one is in already.
    if (ctx.state.kind !== null) this.anatomy.load(ctx.state.kind as AnatomyKindState);
    this.refresh();
  }

  // ---- state ------------------------------------------------------------------------------

  private onEvent(ev: WireEvent): void {
    if (!this.anatomy.apply(ev)) {
      // Who may measure follows the space's edit policy.
      if (ev.name === Ev.SPACE_POLICY_CHANGED) this.refresh();
      return;
    }
    if (ev.name === AnatomyEv.STUDY_LOADED) {
      this.timings.studyEvent = performance.now();
      // The same study again: the body on screen is already it.
      this.timings.rendered = this.model && this.model.studyId === this.anatomy.study?.id ? this.timings.studyEvent : null;
    }
    if (ev.name === AnatomyEv.STUDY_UNLOADED) this.timings.rendered = null;
    if (ev.name === AnatomyEv.QUIZ_STARTED && this.role !== "instructor") {
      this.selected = null;
      this.model?.setSelected(null, this.anatomy);
      this.showTab("quiz");
    }
    this.refresh();
  }

  private refresh(): void {
    const s = this.anatomy;
    this.role = this.ctx.myRole();
    const instructor = this.role === "instructor";
    const study = s.study;
    if (study && this.model?.studyId !== study.id && this.loadingStudy !== study.id) void this.loadModel(study.id);
    if (!study && this.model) this.unloadModel();
    if (this.selected !== null && !s.structure(this.selected)) this.selected = null;
    this.importPanel.setInstructor(instructor);
    this.importPanel.setStudy(study);
    this.importPanel.setLibrary(s.library, study?.id ?? null);
    this.structureList.render(s, instructor, this.selected);
    this.clipPanel.render(s.clips, instructor);
    this.slicePanel.render(s.slices, s.preset, Boolean(study?.has_volume), instructor);
    this.quizPanel.render(s, instructor, this.ctx.myUserId(), this.selected);
    this.follow.set(s.follow, s.leader, this.ctx.myUserId(), s.leader === null ? "" : (this.ctx.displayName(s.leader) ?? ""));
    if (this.model) {
      this.model.applyState(s);
      this.model.setSelected(this.selected, s);
      this.clips?.set(s.clips);
      this.slicesView?.set(s.slices, s.preset);
      this.measure?.render(s.measures);
      this.measure?.refreshPermission();
    }
    this.renderStatus();
    this.renderSelected();
    this.renderQuizBanner();
  }

  private renderStatus(): void {
    const s = this.anatomy;
    const parts: Node[] = [];
    if (this.loadError) parts.push(h("span.an-error", null, this.loadError));
    else if (this.loadingStudy) parts.push(h("span", null, "Loading the body…"));
    else if (!s.study) parts.push(h("span", null, this.role === "instructor" ? "Import a study to start (Study tab)." : "Waiting for the instructor to load a study."));
    if (this.role === "instructor" && s.study) {
      const btn = h("button.btn.btn-small#anatomy-follow-toggle", { type: "button", onclick: () => void this.ctx.command(AnatomyCmd.FOLLOW, { on: !s.follow }).catch(() => undefined) }, s.follow ? "Stop leading" : "Follow me");
      btn.classList.toggle("btn-primary", s.follow);
      parts.push(btn);
    }
    this.statusEl.replaceChildren(...parts);
    this.statusEl.hidden = parts.length === 0;
  }

  private renderSelected(): void {
    const st = this.anatomy.structure(this.selected);
    this.selectedEl.hidden = !st;
    if (!st) return;
    const instructor = this.role === "instructor";
    const bits = st.volume_ml !== null ? `${st.volume_ml.toFixed(1)} mL` : "";
    const kids: (Node | null)[] = [
      h("span.an-swatch", { style: { background: `rgb(${st.color[0]}, ${st.color[1]}, ${st.color[2]})` } }),
      h("strong#anatomy-selected-name", null, AnatomyState.prettyName(st.name)),
      bits ? h("span.muted.small", null, bits) : null,
      instructor ? h("button.btn.btn-small.btn-ghost", { type: "button", title: "Hide it for everyone", onclick: () => void this.ctx.command(AnatomyCmd.SET_VISIBLE, { label: st.label, visible: false }).catch(() => undefined) }, "Hide") : null,
      this.lastHit && this.lastHit.label === st.label ? h("button.btn.btn-small.btn-ghost#anatomy-pin", { type: "button", title: "Place a labelled pin here (a shared object)", onclick: () => this.pin() }, "Pin label") : null,
    ];
    this.selectedEl.replaceChildren(...kids.filter((k): k is Node => k !== null));
  }

  private renderQuizBanner(): void {
    const q = this.anatomy.quiz;
    const show = q !== null && this.role !== "instructor" && !q.revealed;
    this.quizBanner.hidden = !show;
    if (show && q) this.quizBanner.textContent = `Quiz: find the ${AnatomyState.prettyName(q.name).toLowerCase()}`;
  }

  private showTab(t: Tab): void {
    for (const [k, b] of this.tabButtons) {
      b.setAttribute("aria-selected", String(k === t));
      b.classList.toggle("is-active", k === t);
    }
    for (const [k, sec] of this.sections) sec.hidden = k !== t;
    this.card.classList.remove("is-folded");
  }

  // ---- the body ---------------------------------------------------------------------------

  private async loadModel(studyId: string): Promise<void> {
    this.loadingStudy = studyId;
    this.loadError = null;
    this.renderStatus();
    try {
      const model = await BodyModel.load(this.ctx.spaceName, studyId, this.ctx.view.software);
      if (this.loadingStudy !== studyId || this.anatomy.study?.id !== studyId) {
        model.dispose();
        return;
      }
      this.unloadModel();
      this.timings.glbLoaded = performance.now();
      this.model = model;
      this.clips = new ClipPlanes(model);
      this.slicesView = new SliceView(model, (plane: Plane, image, error) => this.slicePanel.image(plane, image, error));
      this.measure = new MeasureTool(model, {
        measure: (a: Vec3, b: Vec3) => void this.ctx.command(AnatomyCmd.MEASURE, { a, b }).catch(() => undefined),
        remove: (id: string) => void this.ctx.command(AnatomyCmd.DELETE_MEASURE, { id }).catch(() => undefined),
        canDelete: (m: Measurement) => this.role === "instructor" || m.by === this.ctx.myUserId(),
        canMeasure: () => this.canMeasure(),
      });
      this.measureSlot.replaceChildren(this.measure.el);
      this.picker.body = model;
      this.picker.clips = this.clips;
      this.vr.body = model;
      const first = model.meshes().find((m) => this.anatomy.isVisible(model.labelOf(m) ?? -1));
      if (first) {
        first.onAfterRender = () => {
          if (this.timings.rendered === null) this.timings.rendered = performance.now();
          first.onAfterRender = () => undefined;
        };
      }
      model.addTo(this.ctx.scene);
      if (this.anatomy.study?.has_volume) void this.loadBounds(studyId);
      else this.slicePanel.setBounds(null);
      if (!this.follow.active && !this.ctx.view.renderer.xr.isPresenting) this.lookAtBody(model);
    } catch (e) {
      if (this.loadingStudy === studyId) this.loadError = `The body could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      if (this.loadingStudy === studyId) this.loadingStudy = null;
      this.refresh();
    }
  }

  /** Puts the camera at a comfortable distance, a little above the body, keeping its side of the room. */
  private lookAtBody(model: BodyModel): void {
    const controls = this.ctx.controls;
    if (!controls) return;
    const cam = this.ctx.view.camera;
    const centre = model.worldCentre();
    const size = model.size;
    const distance = Math.max(1.0, Math.max(size.x, size.y, size.z) * 1.6);
    _dir.copy(cam.position).sub(centre);
    _dir.y = 0;
    if (_dir.lengthSq() < 1e-6) _dir.set(0, 0, 1);
    _dir.normalize().multiplyScalar(Math.cos(0.6)).setY(Math.sin(0.6));
    cam.position.copy(centre).addScaledVector(_dir, distance);
    controls.orbit.target.copy(centre);
    // The lab's panel covers the right of the view: look a little right of the body.
    const shift = _dir.set(_dir.z, 0, -_dir.x).normalize().multiplyScalar(distance * 0.16);
    cam.position.add(shift);
    controls.orbit.target.add(shift);
    controls.orbit.update();
  }

  private async loadBounds(studyId: string): Promise<void> {
    try {
      const r = await fetch(`${BodyModel.studyUrl(this.ctx.spaceName, studyId)}/study.json`, { credentials: "same-origin" });
      if (!r.ok) return;
      const j = (await r.json()) as { volume?: { bounds_lps_mm?: number[][] } };
      this.bounds = j.volume?.bounds_lps_mm ?? null;
      this.slicePanel.setBounds(this.bounds);
    } catch {
      /* the sliders keep their defaults */
    }
  }

  private unloadModel(): void {
    this.picker.body = null;
    this.picker.clips = null;
    this.vr.body = null;
    this.measure?.dispose();
    this.measure = null;
    this.measureSlot.replaceChildren(h("p.muted.small", null, "Load a study to measure on it."));
    this.slicesView?.dispose();
    this.slicesView = null;
    this.clips?.dispose();
    this.clips = null;
    this.model?.dispose();
    this.model = null;
  }

  private nameOf(label: number): string {
    const st = this.anatomy.structure(label);
    return st ? AnatomyState.prettyName(st.name) : `Structure ${label}`;
  }

  private canMeasure(): boolean {
    return this.ctx.canEdit();
  }

  /** The direction the user looks along, in the body's patient frame (a free clip normal). */
  private viewNormal(): Vec3 {
    this.ctx.view.camera.getWorldDirection(_dir);
    if (this.model) {
      this.model.patient.getWorldQuaternion(_q);
      _dir.applyQuaternion(_q.invert());
    }
    return [_dir.x, _dir.y, _dir.z].map((x) => Number(x.toFixed(5))) as Vec3;
  }

  // ---- pointing ---------------------------------------------------------------------------

  private lastHit: PickHit | null = null;

  private onClick(hit: PickHit | null): void {
    if (hit && this.measure?.active && this.model) {
      this.measure.click(this.model.patient.worldToLocal(hit.point.clone()));
      return;
    }
    this.lastHit = hit;
    this.select(hit ? hit.label : null, true);
  }

  /** Selects a structure for this user; the instructor's selection is shared as the highlight. */
  select(label: number | null, share: boolean): void {
    this.selected = label;
    if (label === null) this.lastHit = null;
    if (share && this.role === "instructor" && this.anatomy.study && label !== this.anatomy.highlight) {
      void this.ctx.command(AnatomyCmd.HIGHLIGHT, { label }).catch(() => undefined);
    }
    this.refresh();
  }

  private pin(): void {
    const hit = this.lastHit;
    if (!hit) return;
    const p = hit.point;
    const id = `o-pin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    void this.ctx
      .command(Cmd.OBJECT_CREATE, {
        id,
        shape: "pin",
        position: [p.x, p.y + 0.055, p.z].map((x) => Number(x.toFixed(4))),
        rotation: [0, 0, 0, 1],
        scale: [0.25, 0.25, 0.25],
        color: "#f59e0b",
        label: this.nameOf(hit.label),
      })
      .catch(() => undefined);
  }

  // ---- frame ------------------------------------------------------------------------------

  update(dt: number, time: number): void {
    const role = this.ctx.myRole();
    if (role !== this.role) this.refresh();
    const presenting = this.ctx.view.renderer.xr.isPresenting;
    if (!presenting) this.vr.end();
    this.vr.update(presenting);
    this.clips?.update();
    this.model?.pulse(time, this.anatomy.highlight);
    this.follow.update(dt, presenting);
  }

  // ---- test hook --------------------------------------------------------------------------

  private installHook(): void {
    const info = this.ctx.view.renderer.info;
    const hook = {
      studyId: () => this.model?.studyId ?? null,
      loading: () => this.loadingStudy,
      error: () => this.loadError,
      structureCount: () => this.model?.structures.size ?? 0,
      render: () => ({ calls: info.render.calls, triangles: info.render.triangles }),
      state: () => JSON.parse(JSON.stringify(this.anatomy)) as unknown,
      clips: () => this.anatomy.clips.map((c) => ({ ...c })),
      /** The clip planes the structure materials actually use (enabled ones, world space). */
      materialClipping: () => {
        const v = this.model ? [...this.model.structures.values()][0] : undefined;
        const planes = (v?.material.clippingPlanes ?? []) as THREE.Plane[];
        return planes.filter((p) => !BodyModel.isDisabled(p)).map((p) => ({ normal: p.normal.toArray(), constant: p.constant }));
      },
      quiz: () => (this.anatomy.quiz ? JSON.parse(JSON.stringify(this.anatomy.quiz)) : null) as unknown,
      highlight: () => this.anatomy.highlight,
      selected: () => this.selected,
      select: (label: number | null) => this.select(label, true),
      follow: () => ({ on: this.anatomy.follow, leader: this.anatomy.leader, following: this.follow.active }),
      slices: () => JSON.parse(JSON.stringify(this.anatomy.slices)) as unknown,
      measures: () => Object.values(this.anatomy.measures).map((m) => ({ ...m })),
      timings: () => ({ ...this.timings }),
      /** A structure's centre in client pixels (null when unknown or off screen). */
      screenOf: (label: number) => {
        const v = this.model?.structures.get(label);
        if (!v) return null;
        const c = new THREE.Box3().setFromObject(v.mesh).getCenter(new THREE.Vector3()).project(this.ctx.view.camera);
        if (c.z > 1) return null;
        const r = this.ctx.view.renderer.domElement.getBoundingClientRect();
        return { x: r.left + ((c.x + 1) / 2) * r.width, y: r.top + ((1 - c.y) / 2) * r.height };
      },
      /** Hides or shows the body locally (tests compare screenshots with and without it). */
      showBody: (on: boolean) => {
        if (this.model) this.model.root.visible = on;
      },
      /** The structure under a client pixel (what a click there would select). */
      pickAt: (x: number, y: number) => this.picker.pickAt(x, y)?.label ?? null,
    };
    (window as unknown as { __anatomy?: unknown }).__anatomy = hook;
  }

  dispose(): void {
    window.removeEventListener("keydown", this.onKey);
    this.unsubscribe.forEach((u) => u());
    this.picker.dispose();
    this.vr.dispose();
    this.follow.dispose();
    this.unloadModel();
    this.root.remove();
    delete (window as unknown as { __anatomy?: unknown }).__anatomy;
  }
}
