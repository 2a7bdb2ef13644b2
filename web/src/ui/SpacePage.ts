import * as THREE from "three";
import type { App } from "../App";
import { KindRegistry } from "../kinds/KindRegistry";
import type { KindInstance } from "../kinds/SpaceKind";
import { Bin, Close, Cmd, PoseFlag } from "../net/Protocol";
import type { EditPolicy, Participant, Role, Shape, SharedObject, Welcome } from "../net/Protocol";
import { CommandError, SpaceConnection } from "../net/SpaceConnection";
import { AvatarManager } from "../scene/AvatarManager";
import { DesktopControls, isTyping } from "../scene/DesktopControls";
import { ObjectEditor } from "../scene/ObjectEditor";
import { HALF_HEIGHT, ObjectManager } from "../scene/ObjectManager";
import { SceneView } from "../scene/SceneView";
import { SpaceState } from "../state/SpaceState";
import { TestHook } from "../util/TestHook";
import { VRButton } from "../xr/VRButton";
import { XRRig } from "../xr/XRRig";
import { ChatPanel } from "./ChatPanel";
import { ConnectionBanner } from "./ConnectionBanner";
import { HelpOverlay } from "./HelpOverlay";
import { ObjectToolbar } from "./ObjectToolbar";
import type { Page } from "./Page";
import { ParticipantPanel } from "./ParticipantPanel";
import { ROLE_LABEL, h } from "./dom";
import { icon } from "./icons";

const _headPos = new THREE.Vector3();
const _headQuat = new THREE.Quaternion();
const _yaw = new THREE.Quaternion();
const _euler = new THREE.Euler(0, 0, 0, "YXZ");
const _v = new THREE.Vector3();
const UP = new THREE.Vector3(0, 1, 0);

function newObjectId(): string {
  return `o-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * One space: the 3D view with avatars and shared objects, chat, participants, the object toolbar,
 * the VR button, and the connection that keeps it all in sync with the server.
 */
export class SpacePage implements Page {
  readonly el: HTMLElement;
  readonly state = new SpaceState();
  readonly connection: SpaceConnection;
  private readonly viewport: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly roleEl: HTMLElement;
  private readonly statusDot: HTMLElement;
  private readonly kindPanel: HTMLElement;
  private readonly vrSlot: HTMLElement;
  private readonly chat: ChatPanel;
  private readonly people: ParticipantPanel;
  private readonly toolbar: ObjectToolbar;
  private readonly banner: ConnectionBanner;
  private readonly help = new HelpOverlay();
  private readonly participants = new Map<number, Participant>();
  private view: SceneView | null = null;
  private controls: DesktopControls | null = null;
  private avatars: AvatarManager | null = null;
  private objects: ObjectManager | null = null;
  private editor: ObjectEditor | null = null;
  private xr: XRRig | null = null;
  private vr: VRButton | null = null;
  private kind: KindInstance | null = null;
  private testHook: TestHook | null = null;
  private welcome: Welcome | null = null;
  private myRole: Role = "observer";
  private hasState = false;
  private poseTimer: number | null = null;
  private poseCount = 0;
  private readonly pose = new Float32Array(Bin.POSE_FLOATS);
  private grabbed: { id: string; controller: THREE.Group } | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly onKey = (e: KeyboardEvent): void => this.key(e);
  private pendingSelect: string | null = null;

  constructor(
    private readonly app: App,
    readonly spaceName: string,
  ) {
    this.connection = new SpaceConnection(
      spaceName,
      () => (this.hasState ? this.state.seq : null),
      async () => (await app.api.me().catch(() => app.me)) !== null,
    );
    this.titleEl = h("h1.space-title", null, spaceName);
    this.roleEl = h("span.badge.role-badge#my-role", { title: "your role in this space" }, "…");
    this.statusDot = h("span.status-dot#conn-status", { role: "img", "aria-label": "connecting", title: "connecting" });
    this.vrSlot = h("div.vr-slot");
    this.kindPanel = h("div.kind-panel");
    this.banner = new ConnectionBanner(() => this.connection.reconnectNow());
    this.chat = new ChatPanel((text) => this.send(Cmd.CHAT_SEND, { text }));
    this.people = new ParticipantPanel({
      mute: (user_id, muted) => void this.send(Cmd.MEMBER_MUTE, { user_id, muted }).catch(() => undefined),
      remove: (user_id, name) => {
        if (window.confirm(`Remove ${name} from this space? They will be sent back to the lobby.`)) void this.send(Cmd.MEMBER_REMOVE, { user_id }).catch(() => undefined);
      },
      setRole: (user_id, role) => void this.send(Cmd.MEMBER_SET_ROLE, { user_id, role }).catch(() => this.renderPeople()),
      lock: (locked) => void this.send(Cmd.SPACE_LOCK, { locked }).catch(() => undefined),
      setPolicy: (edit) => void this.send(Cmd.SPACE_SET_POLICY, { edit }).catch(() => this.renderPeople()),
    });
    this.toolbar = new ObjectToolbar({
      place: (shape, label, color) => this.place(shape, label, color),
      setMode: (mode) => {
        this.editor?.setMode(mode);
        this.toolbar.setMode(mode);
      },
      setLabel: (id, label) => void this.send(Cmd.OBJECT_UPDATE, { id, label }).catch(() => undefined),
      setColor: (id, color) => void this.send(Cmd.OBJECT_UPDATE, { id, color }).catch(() => this.syncSelection()),
      remove: (id) => void this.send(Cmd.OBJECT_DELETE, { id }).catch(() => undefined),
      deselect: () => this.editor?.select(null),
    });
    this.viewport = h(
      "div.viewport#viewport",
      null,
      this.banner.el,
      this.toolbar.el,
      this.kindPanel,
      this.help.el,
      h(
        "div.about-corner",
        null,
        h(
          "details",
          null,
          h("summary", { "aria-label": "About medverse" }, icon("info", 14), " medverse"),
          h(
            "div.about-card",
            null,
            h("strong", null, "medverse 0.1"),
            h("p", null, "A self-hosted healthcare metaverse: shared 3D spaces for teaching and practice."),
            h("p.muted.small", null, "Rendering by three.js (MIT). Built with TypeScript and Vite. Licensed Apache-2.0."),
          ),
        ),
      ),
    );
    this.el = h(
      "div.page.page-space",
      null,
      h(
        "header.space-bar",
        null,
        h("a.btn.btn-ghost.back-link", { href: "#/lobby", "aria-label": "Back to the lobby", title: "Back to the lobby" }, icon("back", 16), "Lobby"),
        h("div.space-heading", null, this.titleEl, this.roleEl, this.statusDot),
        h("div.header-spacer"),
        this.vrSlot,
        h("button.btn.btn-ghost#help-button", { type: "button", "aria-label": "Show controls and shortcuts", title: "Controls (?)", onclick: () => this.help.toggle() }, icon("help", 20)),
      ),
      h("div.space-main", null, this.viewport, h("aside.sidebar", { "aria-label": "People and chat" }, this.people.el, this.chat.el)),
    );
    this.toolbar.setEditable(false, "connecting…");
  }

  mounted(): void {
    document.title = `${this.spaceName} · medverse`;
    const view = new SceneView(this.viewport);
    this.view = view;
    this.controls = new DesktopControls(view.camera, view.renderer.domElement);
    this.avatars = new AvatarManager(view.scene, view.pickables);
    this.objects = new ObjectManager(view.scene, view.pickables);
    this.editor = new ObjectEditor(view, this.objects, this.controls, {
      canEdit: () => this.canEdit(),
      update: (id, changes) => this.send(Cmd.OBJECT_UPDATE, { id, ...changes }),
      onSelect: () => this.syncSelection(),
    });
    this.xr = new XRRig(view, {
      onSelect: (object, controller) => this.vrGrab(object, controller),
      onRelease: (controller) => this.vrRelease(controller),
    });
    this.vr = new VRButton(
      view.renderer,
      () => {
        this.xr?.begin();
        this.editor?.refresh();
      },
      () => {
        this.xr?.end();
        this.editor?.refresh();
      },
    );
    this.vrSlot.appendChild(this.vr.el);
    view.onFrame((dt, time) => {
      if (!view.renderer.xr.isPresenting) this.controls?.update(dt);
      this.xr?.update();
      this.avatars?.update();
      this.kind?.update?.(dt, time);
      if (this.grabbed && this.objects) {
        const v = this.objects.views.get(this.grabbed.id);
        if (v) this.objects.placeLabel(v);
      }
    });
    this.wire();
    window.addEventListener("keydown", this.onKey);
    this.testHook = new TestHook(this);
    this.connection.start();
  }

  // ---- connection -> state -> view ----------------------------------------------------------

  private wire(): void {
    const c = this.connection.events;
    const s = this.state.events;
    this.unsubscribe.push(
      c.on("status", (st) => {
        this.banner.set(st);
        this.statusDot.dataset.status = st;
        this.statusDot.setAttribute("aria-label", st);
        this.statusDot.title = st === "open" ? "connected" : st;
        this.updatePermissions();
      }),
      c.on("welcome", (w) => this.onWelcome(w)),
      c.on("snapshot", ({ seq, state }) => {
        this.state.loadSnapshot(state, seq);
        this.hasState = true;
      }),
      c.on("synced", () => {
        this.hasState = true;
        this.startPoses();
      }),
      c.on("event", (ev) => {
        this.state.apply(ev);
      }),
      c.on("participants", (list) => {
        this.participants.clear();
        for (const p of list) this.participants.set(p.pid, { ...p });
        this.avatars?.setParticipants(list);
        this.onParticipantsChanged();
      }),
      c.on("participantJoined", (p) => {
        if (!p) return;
        this.participants.set(p.pid, { ...p });
        this.avatars?.upsert(p);
        if (p.pid !== this.welcome?.you.pid) this.chat.system(`${p.display_name} joined as ${ROLE_LABEL[p.role] ?? p.role}`);
        this.onParticipantsChanged();
      }),
      c.on("participantLeft", (p) => {
        if (!p) return;
        this.participants.delete(p.pid);
        this.avatars?.remove(p.pid);
        this.chat.system(`${p.display_name} left`);
        this.onParticipantsChanged();
      }),
      c.on("participantUpdated", (p) => {
        if (!p) return;
        this.participants.set(p.pid, { ...p });
        this.avatars?.upsert(p);
        if (p.pid === this.welcome?.you.pid) this.setMyRole(p.role);
        this.onParticipantsChanged();
      }),
      c.on("poses", (batch) => this.avatars?.onBatch(batch)),
      c.on("error", (err) => {
        if (!err.id && err.code === "bad-message") return; // a dropped pose frame: nothing to show
        this.app.toaster.show(err.message || err.code, "error");
      }),
      c.on("ended", ({ code, reason }) => this.onEnded(code, reason)),

      s.on("reset", () => {
        this.objects?.reset(this.state.objects.values());
        this.chat.reset(this.state.chat);
        this.editor?.refresh();
        this.syncSelection();
        this.updatePermissions();
      }),
      s.on("objectCreated", (o) => {
        this.objects?.upsert(o);
        if (this.pendingSelect === o.id) {
          this.pendingSelect = null;
          this.editor?.select(o.id);
        }
      }),
      s.on("objectUpdated", (o) => {
        this.objects?.upsert(o);
        if (this.editor?.selected === o.id) this.syncSelection();
      }),
      s.on("objectDeleted", (id) => {
        this.objects?.remove(id);
        this.editor?.refresh();
      }),
      s.on("chat", (e) => this.chat.add(e)),
      s.on("locked", () => this.renderPeople()),
      s.on("policy", (edit) => {
        this.updatePermissions();
        this.app.toaster.show(edit === "participant" ? "Participants may now edit objects" : "Only instructors may edit objects now", "info");
      }),
      s.on("memberMuted", ({ user_id, muted }) => {
        for (const p of this.participants.values()) if (p.user_id === user_id) p.muted = muted;
        if (user_id === this.welcome?.you.user_id) this.app.toaster.show(muted ? "An instructor muted your chat" : "You may chat again", "info");
        this.onParticipantsChanged();
      }),
      s.on("memberRole", ({ user_id, role }) => {
        for (const p of this.participants.values()) if (p.user_id === user_id) p.role = role;
        if (user_id === this.welcome?.you.user_id) this.setMyRole(role);
        for (const p of this.participants.values()) this.avatars?.upsert(p);
        this.onParticipantsChanged();
      }),
    );
  }

  private onWelcome(w: Welcome): void {
    const first = this.welcome === null;
    this.welcome = w;
    if (this.avatars) {
      this.avatars.myPid = w.you.pid;
      this.avatars.setPresenceHz(w.presence_hz);
    }
    this.titleEl.textContent = w.space.title || w.space.name;
    document.title = `${w.space.title || w.space.name} · medverse`;
    this.setMyRole(w.you.role, true);
    if (first && this.view) {
      this.placeCamera(w.you.pid);
      const kind = KindRegistry.get(w.space.kind);
      this.kind = kind.mount({
        view: this.view,
        scene: this.view.scene,
        state: this.state,
        panel: this.kindPanel,
        title: w.space.title || w.space.name,
        spaceName: this.spaceName,
        command: (name, args) => this.send(name, args),
        controls: this.controls,
        myRole: () => this.myRole,
        myUserId: () => this.welcome?.you.user_id ?? null,
        onMessage: (cb) => this.connection.events.on("message", cb),
        headPose: (userId, position, quaternion) => this.avatars?.headPose(userId, position, quaternion) ?? false,
        displayName: (userId) => [...this.participants.values()].find((p) => p.user_id === userId)?.display_name ?? null,
      });
    }
  }

  /** Where the camera starts: where it was before a reload, else a spot on a ring around the centre. */
  private placeCamera(pid: number): void {
    const controls = this.controls;
    const cam = this.view?.camera;
    if (!controls || !cam) return;
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.cameraKey) ?? "null") as { p: number[]; t: number[] } | null;
      if (saved && saved.p.length === 3 && saved.t.length === 3 && [...saved.p, ...saved.t].every(Number.isFinite)) {
        cam.position.fromArray(saved.p);
        controls.orbit.target.fromArray(saved.t);
        controls.orbit.update();
        return;
      }
    } catch {
      /* no saved view */
    }
    const a = (pid * 2.39996) % (Math.PI * 2);
    cam.position.set(Math.sin(a) * 5.5, 1.65, Math.cos(a) * 5.5);
    controls.orbit.target.set(0, 1.0, 0);
    controls.orbit.update();
  }

  private get cameraKey(): string {
    return `medverse.camera.${this.spaceName}`;
  }

  private saveCamera(): void {
    const cam = this.view?.camera;
    const controls = this.controls;
    if (!cam || !controls || this.view?.renderer.xr.isPresenting) return;
    const r = (v: THREE.Vector3): number[] => v.toArray().map((x) => Math.round(x * 1000) / 1000);
    sessionStorage.setItem(this.cameraKey, JSON.stringify({ p: r(cam.position), t: r(controls.orbit.target) }));
  }

  private onEnded(code: number, reason: string): void {
    this.stopPoses();
    if (code === Close.UNAUTHENTICATED) {
      this.app.setMe(null);
      this.app.flash("Please sign in again.", "info");
      this.app.go(`#/signin?next=${encodeURIComponent(`#/space/${this.spaceName}`)}`);
    } else if (code === Close.NO_SUCH_SPACE) {
      this.app.flash(`There is no space called “${this.spaceName}”.`, "error");
      this.app.go("#/lobby");
    } else if (code === Close.FORBIDDEN) {
      this.app.flash(reason ? `You cannot be in this space: ${reason}` : "You are not allowed in this space (you were removed, or it is locked).", "error");
      this.app.go("#/lobby");
    }
  }

  // ---- permissions ----------------------------------------------------------------------

  private setMyRole(role: Role, quiet = false): void {
    const changed = role !== this.myRole;
    this.myRole = role;
    this.roleEl.textContent = ROLE_LABEL[role] ?? role;
    this.roleEl.className = `badge role-badge role-${role}`;
    if (changed && !quiet) this.app.toaster.show(`Your role is now ${ROLE_LABEL[role] ?? role}`, "info");
    this.updatePermissions();
  }

  get isInstructor(): boolean {
    return this.myRole === "instructor";
  }

  canEdit(): boolean {
    if (this.myRole === "instructor") return true;
    return this.myRole === "participant" && this.state.editPolicy === "participant";
  }

  private updatePermissions(): void {
    const online = this.connection.connected;
    const why = !online
      ? "Offline: waiting for the connection"
      : this.myRole === "observer"
        ? "Observers cannot edit objects"
        : "Only instructors may edit objects in this space";
    this.toolbar.setEditable(online && this.canEdit(), why);
    this.editor?.refresh();
    this.renderPeople();
  }

  private onParticipantsChanged(): void {
    const me = this.welcome ? this.participants.get(this.welcome.you.pid) : undefined;
    this.chat.setMuted(Boolean(me?.muted));
    this.renderPeople();
  }

  private renderPeople(): void {
    this.people.update([...this.participants.values()], this.welcome?.you.pid ?? null, this.isInstructor, this.state.locked, this.state.editPolicy);
  }

  // ---- commands ---------------------------------------------------------------------------

  /** Sends a command; refusals are shown as toasts by the error-frame handler. */
  send(name: string, args: Record<string, unknown>): Promise<number> {
    return this.connection.command(name, args);
  }

  private place(shape: Shape, label: string, color: string): void {
    if (!this.editor) return;
    const p = this.editor.placementPoint();
    const id = newObjectId();
    const args: Record<string, unknown> = {
      id,
      shape,
      position: [Number(p.x.toFixed(3)), HALF_HEIGHT[shape], Number(p.z.toFixed(3))],
      rotation: [0, 0, 0, 1],
      scale: [1, 1, 1],
      color,
    };
    if (label) args.label = label;
    this.pendingSelect = id;
    this.send(Cmd.OBJECT_CREATE, args).catch((err: unknown) => {
      this.pendingSelect = null;
      if (!(err instanceof CommandError)) throw err;
    });
  }

  private syncSelection(): void {
    const id = this.editor?.selected ?? null;
    const o: SharedObject | null = id ? (this.state.objects.get(id) ?? null) : null;
    this.toolbar.showSelection(o);
  }

  // ---- VR grabbing ------------------------------------------------------------------------

  private vrGrab(object: THREE.Object3D | null, controller: THREE.Group): void {
    if (!this.objects || !this.editor) return;
    const id = this.objects.idOf(object);
    this.editor.select(id);
    if (!id || !this.canEdit()) return;
    const v = this.objects.views.get(id);
    if (!v) return;
    this.objects.hold(id);
    controller.attach(v.root);
    this.grabbed = { id, controller };
  }

  private vrRelease(controller: THREE.Group): void {
    const g = this.grabbed;
    if (!g || g.controller !== controller || !this.objects || !this.view) return;
    this.grabbed = null;
    const v = this.objects.views.get(g.id);
    if (!v) return;
    this.view.pickables.attach(v.root);
    const r = v.root;
    const settle = (): void => {
      this.objects?.hold(null);
      this.objects?.revert(g.id);
    };
    this.send(Cmd.OBJECT_UPDATE, {
      id: g.id,
      position: r.position.toArray().map((x) => Number(x.toFixed(4))),
      rotation: [r.quaternion.x, r.quaternion.y, r.quaternion.z, r.quaternion.w].map((x) => Number(x.toFixed(6))),
    }).then(settle, settle);
  }

  // ---- presence ---------------------------------------------------------------------------

  private startPoses(): void {
    if (this.poseTimer !== null) return;
    const hz = this.welcome?.client_pose_hz ?? 20;
    this.poseTimer = window.setInterval(() => this.sendPose(), 1000 / hz);
  }

  private stopPoses(): void {
    if (this.poseTimer !== null) clearInterval(this.poseTimer);
    this.poseTimer = null;
  }

  private sendPose(): void {
    const view = this.view;
    if (!view || !this.connection.connected) return;
    const out = this.pose;
    let flags: number;
    if (view.renderer.xr.isPresenting && this.xr) {
      flags = this.xr.pose(out);
    } else {
      view.viewerPose(_headPos, _headQuat);
      for (const at of [Bin.HEAD, Bin.LEFT, Bin.RIGHT]) {
        out.set([_headPos.x, _headPos.y, _headPos.z, _headQuat.x, _headQuat.y, _headQuat.z, _headQuat.w], at);
      }
      flags = 0;
      const hover = this.editor?.hoverPoint();
      if (hover) {
        // Desktop pointer: a ray from the resting right hand to the object under the mouse.
        _euler.setFromQuaternion(_headQuat);
        _yaw.setFromAxisAngle(UP, _euler.y);
        const origin = _v.set(0.24, -0.62, -0.12).applyQuaternion(_yaw).add(_headPos);
        const dir = hover.clone().sub(origin).normalize();
        out.set([origin.x, origin.y, origin.z, dir.x, dir.y, dir.z], Bin.RAY);
        flags |= PoseFlag.RAY_ACTIVE;
      } else {
        out.set([_headPos.x, _headPos.y, _headPos.z, 0, 0, -1], Bin.RAY);
      }
    }
    this.connection.sendPose(flags, out);
    if (++this.poseCount % 40 === 0) this.saveCamera();
  }

  // ---- keyboard -----------------------------------------------------------------------------

  private key(e: KeyboardEvent): void {
    if (e.key === "Escape") {
      if (this.help.open) this.help.hide();
      else if (isTyping(e)) (e.target as HTMLElement).blur();
      else this.editor?.select(null);
      return;
    }
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const sel = this.editor?.selected ?? null;
    switch (e.key) {
      case "?":
        this.help.toggle();
        break;
      case "Enter":
        e.preventDefault();
        this.chat.input.focus();
        break;
      case "1":
      case "2":
      case "3": {
        const mode = e.key === "1" ? "translate" : e.key === "2" ? "rotate" : "scale";
        this.editor?.setMode(mode);
        this.toolbar.setMode(mode);
        break;
      }
      case "Delete":
      case "Backspace":
        if (sel && this.canEdit()) void this.send(Cmd.OBJECT_DELETE, { id: sel }).catch(() => undefined);
        break;
      case "f":
      case "F": {
        const v = sel ? this.objects?.views.get(sel) : undefined;
        if (v) this.controls?.focus(v.root.position.clone());
        break;
      }
      default:
        break;
    }
  }

  // ---- test hook accessors ------------------------------------------------------------------

  /** Used by TestHook only. */
  debugInfo(): { avatars: ReturnType<AvatarManager["list"]>; frames: number; me: Welcome["you"] | null; role: Role; participants: Participant[]; vrReason: string; canEdit: boolean; policy: EditPolicy } {
    return {
      avatars: this.avatars?.list() ?? [],
      frames: this.view?.frames ?? 0,
      me: this.welcome?.you ? { ...this.welcome.you, role: this.myRole } : null,
      role: this.myRole,
      participants: [...this.participants.values()].map((p) => ({ ...p })),
      vrReason: this.vr?.reason ?? "",
      canEdit: this.canEdit(),
      policy: this.state.editPolicy,
    };
  }

  /** Used by TestHook only: an object's centre in client pixels (null when unknown or behind). */
  screenOf(id: string): { x: number; y: number } | null {
    const v = this.objects?.views.get(id);
    const view = this.view;
    if (!v || !view) return null;
    const p = new THREE.Box3().setFromObject(v.mesh).getCenter(new THREE.Vector3()).project(view.camera);
    if (p.z > 1) return null;
    const r = view.renderer.domElement.getBoundingClientRect();
    return { x: r.left + ((p.x + 1) / 2) * r.width, y: r.top + ((1 - p.y) / 2) * r.height };
  }

  /** Used by TestHook only: the camera position (the own head on desktop). */
  cameraPosition(): [number, number, number] {
    const p = this.view?.camera.position;
    return p ? [p.x, p.y, p.z] : [0, 0, 0];
  }

  dispose(): void {
    this.saveCamera();
    window.removeEventListener("keydown", this.onKey);
    this.stopPoses();
    this.unsubscribe.forEach((u) => u());
    this.connection.stop();
    this.testHook?.dispose();
    this.banner.dispose();
    this.kind?.dispose();
    this.vr?.dispose();
    this.xr?.dispose();
    this.editor?.dispose();
    this.controls?.dispose();
    this.avatars?.dispose();
    this.objects?.dispose();
    this.view?.dispose();
  }
}
