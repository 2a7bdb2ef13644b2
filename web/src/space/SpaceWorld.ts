import * as THREE from "three";
import type { TransformControlsMode } from "three/examples/jsm/controls/TransformControls.js";
import { Bin, Cmd, Ev, PoseFlag } from "../net/Protocol";
import type { Shape, SharedObject } from "../net/Protocol";
import { CommandError } from "../net/SpaceConnection";
import { AvatarManager } from "../scene/AvatarManager";
import { DesktopControls } from "../scene/DesktopControls";
import { ObjectEditor } from "../scene/ObjectEditor";
import { HALF_HEIGHT, ObjectManager } from "../scene/ObjectManager";
import { SceneView } from "../scene/SceneView";
import { ScreenBoard } from "../scene/ScreenBoard";
import { ZoneOverlay } from "../scene/ZoneOverlay";
import type { MediaWorld } from "../media/MediaController";
import { Emitter } from "../util/Emitter";
import { VRButton } from "../xr/VRButton";
import { XRRig } from "../xr/XRRig";
import type { SpaceSession } from "./SpaceSession";

const _headPos = new THREE.Vector3();
const _headQuat = new THREE.Quaternion();
const _yaw = new THREE.Quaternion();
const _euler = new THREE.Euler(0, 0, 0, "YXZ");
const _v = new THREE.Vector3();
const UP = new THREE.Vector3(0, 1, 0);

function newObjectId(): string {
  return `o-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface SpaceWorldEvents {
  /** The selected shared object changed, or the selected one changed in the state (null: none). */
  selection: SharedObject | null;
}

/**
 * The 3D side of a space: the scene with avatars and shared objects, desktop navigation and the
 * object editor, VR (controllers, grabbing objects), the own pose sent to the others, and where
 * the camera starts.
 */
export class SpaceWorld {
  readonly events = new Emitter<SpaceWorldEvents>();
  readonly view: SceneView;
  readonly controls: DesktopControls;
  readonly avatars: AvatarManager;
  readonly objects: ObjectManager;
  readonly editor: ObjectEditor;
  readonly xr: XRRig;
  readonly vr: VRButton;
  /** The board that shows a shared screen. */
  readonly board: ScreenBoard;
  /** The voice zones on the floor. */
  readonly zones: ZoneOverlay;
  private poseTimer: ReturnType<typeof setInterval> | null = null;
  private poseCount = 0;
  private readonly pose = new Float32Array(Bin.POSE_FLOATS);
  private grabbed: { id: string; controller: THREE.Group } | null = null;
  private pendingSelect: string | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    container: HTMLElement,
    private readonly session: SpaceSession,
  ) {
    const view = new SceneView(container);
    this.view = view;
    this.controls = new DesktopControls(view.camera, view.renderer.domElement);
    this.avatars = new AvatarManager(view.scene, view.pickables);
    this.objects = new ObjectManager(view.scene, view.pickables);
    this.board = new ScreenBoard(view.scene);
    this.zones = new ZoneOverlay(view.scene);
    this.editor = new ObjectEditor(view, this.objects, this.controls, {
      canEdit: () => session.canEdit(),
      update: (id, changes) => session.send(Cmd.OBJECT_UPDATE, { id, ...changes }),
      onSelect: () => this.syncSelection(),
    });
    this.xr = new XRRig(view, {
      onSelect: (object, controller) => this.vrGrab(object, controller),
      onRelease: (controller) => this.vrRelease(controller),
    });
    this.vr = new VRButton(
      view.renderer,
      () => {
        this.xr.begin();
        this.editor.refresh();
      },
      () => {
        this.xr.end();
        this.editor.refresh();
      },
    );
    view.onFrame((dt) => {
      if (!view.renderer.xr.isPresenting) this.controls.update(dt);
      this.xr.update();
      this.avatars.update();
    });
    this.wire();
  }

  private wire(): void {
    const session = this.session;
    const c = session.connection.events;
    const s = session.state.events;
    this.unsubscribe.push(
      session.events.on("welcome", ({ welcome, first }) => {
        this.avatars.myPid = welcome.you.pid;
        this.avatars.setPresenceHz(welcome.presence_hz);
        if (first) this.placeCamera(welcome.you.pid);
      }),
      session.events.on("people", () => this.avatars.setParticipants([...session.participants.values()])),
      c.on("synced", () => this.startPoses()),
      c.on("ended", () => this.stopPoses()),
      c.on("outdated", () => this.stopPoses()),
      c.on("poses", (batch) => this.avatars.onBatch(batch)),
      s.on("voice", ({ name }) => {
        if (name === Ev.VOICE_ZONES_SET) this.zones.show(session.state.voice.zones);
      }),
      s.on("reset", () => {
        this.zones.show(session.state.voice.zones);
        this.objects.reset(session.state.objects.values());
        this.editor.refresh();
        this.syncSelection();
      }),
      s.on("objectCreated", (o) => {
        this.objects.upsert(o);
        if (this.pendingSelect === o.id) {
          this.pendingSelect = null;
          this.editor.select(o.id);
        }
      }),
      s.on("objectUpdated", (o) => {
        this.objects.upsert(o);
        if (this.editor.selected === o.id) this.syncSelection();
      }),
      s.on("objectDeleted", (id) => {
        this.objects.remove(id);
        this.editor.refresh();
      }),
    );
    // Keep a grabbed object's label on it while it moves with the controller.
    this.view.onFrame(() => {
      if (!this.grabbed) return;
      const v = this.objects.views.get(this.grabbed.id);
      if (v) this.objects.placeLabel(v);
    });
  }

  // ---- shared objects -----------------------------------------------------------------------

  /** Places a new shared object in front of the camera and selects it once the server made it. */
  place(shape: Shape, label: string, color: string): void {
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
    this.session.send(Cmd.OBJECT_CREATE, args).catch((err: unknown) => {
      this.pendingSelect = null;
      if (!(err instanceof CommandError)) throw err;
    });
  }

  setMode(mode: TransformControlsMode): void {
    this.editor.setMode(mode);
  }

  /** Moves the camera to look at the selected object. */
  focusSelected(): void {
    const sel = this.editor.selected;
    const v = sel ? this.objects.views.get(sel) : undefined;
    if (v) this.controls.focus(v.root.position.clone());
  }

  private syncSelection(): void {
    const id = this.editor.selected;
    this.events.emit("selection", id ? (this.session.state.objects.get(id) ?? null) : null);
  }

  // ---- VR grabbing ------------------------------------------------------------------------

  private vrGrab(object: THREE.Object3D | null, controller: THREE.Group): void {
    const id = this.objects.idOf(object);
    this.editor.select(id);
    if (!id || !this.session.canEdit()) return;
    const v = this.objects.views.get(id);
    if (!v) return;
    this.objects.hold(id);
    controller.attach(v.root);
    this.grabbed = { id, controller };
  }

  private vrRelease(controller: THREE.Group): void {
    const g = this.grabbed;
    if (!g || g.controller !== controller) return;
    this.grabbed = null;
    const v = this.objects.views.get(g.id);
    if (!v) return;
    this.view.pickables.attach(v.root);
    const r = v.root;
    const settle = (): void => {
      this.objects.hold(null);
      this.objects.revert(g.id);
    };
    this.session
      .send(Cmd.OBJECT_UPDATE, {
        id: g.id,
        position: r.position.toArray().map((x) => Number(x.toFixed(4))),
        rotation: [r.quaternion.x, r.quaternion.y, r.quaternion.z, r.quaternion.w].map((x) => Number(x.toFixed(6))),
      })
      .then(settle, settle);
  }

  // ---- presence ---------------------------------------------------------------------------

  private startPoses(): void {
    if (this.poseTimer !== null) return;
    const hz = this.session.welcome?.client_pose_hz ?? 20;
    this.poseTimer = setInterval(() => this.sendPose(), 1000 / hz);
  }

  private stopPoses(): void {
    if (this.poseTimer !== null) clearInterval(this.poseTimer);
    this.poseTimer = null;
  }

  private sendPose(): void {
    const view = this.view;
    if (!this.session.connection.connected) return;
    const out = this.pose;
    let flags: number;
    if (view.renderer.xr.isPresenting) {
      flags = this.xr.pose(out);
    } else {
      view.viewerPose(_headPos, _headQuat);
      for (const at of [Bin.HEAD, Bin.LEFT, Bin.RIGHT]) {
        out.set([_headPos.x, _headPos.y, _headPos.z, _headQuat.x, _headQuat.y, _headQuat.z, _headQuat.w], at);
      }
      flags = 0;
      const hover = this.editor.hoverPoint();
      if (hover) {
        // Desktop pointer: a ray from the resting right hand to the object under the mouse.
        _euler.setFromQuaternion(_headQuat);
        _yaw.setFromAxisAngle(UP, _euler.y);
        const origin = _v.set(0.24, -0.62, -0.12).applyQuaternion(_yaw).add(_headPos);
        const dir = hover.clone().sub(origin).normalize();
        out.set([origin.x, origin.y, origin.z, dir.x, dir.y, dir.z], Bin.RAY);
        flags |= PoseFlag.RAY;
      } else {
        out.set([_headPos.x, _headPos.y, _headPos.z, 0, 0, -1], Bin.RAY);
      }
    }
    this.session.connection.sendPose(flags, out);
    if (++this.poseCount % 40 === 0) this.saveCamera();
  }

  // ---- the camera -------------------------------------------------------------------------

  private get cameraKey(): string {
    return `medverse.camera.${this.session.spaceName}`;
  }

  /** Where the camera starts: where it was before a reload, else a spot on a ring around the centre. */
  private placeCamera(pid: number): void {
    const cam = this.view.camera;
    const orbit = this.controls.orbit;
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.cameraKey) ?? "null") as { p: number[]; t: number[] } | null;
      if (saved && saved.p.length === 3 && saved.t.length === 3 && [...saved.p, ...saved.t].every(Number.isFinite)) {
        cam.position.fromArray(saved.p);
        orbit.target.fromArray(saved.t);
        orbit.update();
        return;
      }
    } catch {
      /* no saved view */
    }
    const a = (pid * 2.39996) % (Math.PI * 2);
    cam.position.set(Math.sin(a) * 5.5, 1.65, Math.cos(a) * 5.5);
    orbit.target.set(0, 1.0, 0);
    orbit.update();
  }

  private saveCamera(): void {
    if (this.view.renderer.xr.isPresenting) return;
    const r = (v: THREE.Vector3): number[] => v.toArray().map((x) => Math.round(x * 1000) / 1000);
    sessionStorage.setItem(this.cameraKey, JSON.stringify({ p: r(this.view.camera.position), t: r(this.controls.orbit.target) }));
  }

  // ---- for the test hook --------------------------------------------------------------------

  /** A shared object's centre in client pixels (null when unknown or behind the camera). */
  screenOf(id: string): { x: number; y: number } | null {
    const v = this.objects.views.get(id);
    if (!v) return null;
    const p = new THREE.Box3().setFromObject(v.mesh).getCenter(new THREE.Vector3()).project(this.view.camera);
    if (p.z > 1) return null;
    const r = this.view.renderer.domElement.getBoundingClientRect();
    return { x: r.left + ((p.x + 1) / 2) * r.width, y: r.top + ((1 - p.y) / 2) * r.height };
  }

  /** The camera position (the own head on desktop). */
  /** What the media layer needs: the listener's pose, avatars' heads, a frame hook. */
  mediaWorld(): MediaWorld {
    const pos = new THREE.Vector3();
    const quat = new THREE.Quaternion();
    const fwd = new THREE.Vector3();
    const up = new THREE.Vector3();
    return {
      listener: () => {
        this.view.viewerPose(pos, quat);
        fwd.set(0, 0, -1).applyQuaternion(quat);
        up.set(0, 1, 0).applyQuaternion(quat);
        return { position: [pos.x, pos.y, pos.z], forward: [fwd.x, fwd.y, fwd.z], up: [up.x, up.y, up.z] };
      },
      headOf: (pid) => this.avatars.headOf(pid),
      onFrame: (cb) => this.view.onFrame(() => cb()),
    };
  }

  cameraPosition(): [number, number, number] {
    const p = this.view.camera.position;
    return [p.x, p.y, p.z];
  }

  dispose(): void {
    this.saveCamera();
    this.stopPoses();
    this.unsubscribe.forEach((u) => u());
    this.events.clear();
    this.vr.dispose();
    this.board.dispose();
    this.zones.dispose();
    this.xr.dispose();
    this.editor.dispose();
    this.controls.dispose();
    this.avatars.dispose();
    this.objects.dispose();
    this.view.dispose();
  }
}
