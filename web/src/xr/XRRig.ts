import * as THREE from "three";
import { Bin, PoseFlag } from "../net/Protocol";
import type { SceneView } from "../scene/SceneView";

interface Hand {
  index: number;
  ray: THREE.Group;
  grip: THREE.Group;
  line: THREE.Line;
  dot: THREE.Mesh;
  handedness: XRHandedness | "none";
  connected: boolean;
  selecting: boolean;
  hit: THREE.Intersection | null;
}

export interface XRRigHooks {
  /** Trigger pressed while the ray points at an object (or at nothing: null). */
  onSelect(object: THREE.Object3D | null, controller: THREE.Group): void;
  /** Trigger released. */
  onRelease(controller: THREE.Group): void;
}

const _m = new THREE.Matrix4();
const _p = new THREE.Vector3();
const _q = new THREE.Quaternion();
const _s = new THREE.Vector3();
const _dir = new THREE.Vector3();
const _camPos = new THREE.Vector3();
const _camQuat = new THREE.Quaternion();
const RAY_LENGTH = 5;

/**
 * The WebXR side of a space: moves the play area to where the desktop camera was, shows the two
 * controllers with their pointer rays, finds what each ray points at, and reports the headset and
 * controller poses for presence.
 */
export class XRRig {
  private readonly hands: Hand[] = [];
  private readonly raycaster = new THREE.Raycaster();
  private savedCamera: { position: THREE.Vector3; quaternion: THREE.Quaternion } | null = null;

  constructor(
    private readonly view: SceneView,
    private readonly hooks: XRRigHooks,
  ) {
    const xr = view.renderer.xr;
    for (let i = 0; i < 2; i++) {
      const ray = xr.getController(i);
      const grip = xr.getControllerGrip(i);
      const line = new THREE.Line(
        new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3(0, 0, -1)]),
        new THREE.LineBasicMaterial({ color: 0x5eead4, transparent: true, opacity: 0.85 }),
      );
      line.scale.z = RAY_LENGTH;
      const dot = new THREE.Mesh(new THREE.SphereGeometry(0.012, 10, 8), new THREE.MeshBasicMaterial({ color: 0x5eead4 }));
      dot.visible = false;
      ray.add(line);
      view.scene.add(dot);
      const body = new THREE.Mesh(new THREE.BoxGeometry(0.04, 0.03, 0.12), new THREE.MeshStandardMaterial({ color: 0x2b3440, roughness: 0.6 }));
      body.position.z = 0.03;
      grip.add(body);
      view.rig.add(ray, grip);
      const hand: Hand = { index: i, ray, grip, line, dot, handedness: "none", connected: false, selecting: false, hit: null };
      ray.addEventListener("connected", (e) => {
        hand.connected = true;
        hand.handedness = (e.data as XRInputSource).handedness;
      });
      ray.addEventListener("disconnected", () => {
        hand.connected = false;
      });
      ray.addEventListener("selectstart", () => {
        hand.selecting = true;
        this.hooks.onSelect(hand.hit ? hand.hit.object : null, ray);
      });
      ray.addEventListener("selectend", () => {
        hand.selecting = false;
        this.hooks.onRelease(ray);
      });
      this.hands.push(hand);
    }
  }

  /** Called when a session starts: the play area goes where the desktop camera stood. */
  begin(): void {
    const cam = this.view.camera;
    this.savedCamera = { position: cam.position.clone(), quaternion: cam.quaternion.clone() };
    const e = new THREE.Euler().setFromQuaternion(cam.quaternion, "YXZ");
    this.view.rig.position.set(cam.position.x, 0, cam.position.z);
    this.view.rig.rotation.set(0, e.y, 0);
    cam.position.set(0, 0, 0);
    cam.quaternion.identity();
  }

  end(): void {
    this.view.rig.position.set(0, 0, 0);
    this.view.rig.rotation.set(0, 0, 0);
    if (this.savedCamera) {
      this.view.camera.position.copy(this.savedCamera.position);
      this.view.camera.quaternion.copy(this.savedCamera.quaternion);
    }
    this.savedCamera = null;
    for (const h of this.hands) h.dot.visible = false;
  }

  /** Points each controller's ray at the nearest pickable object. */
  update(): void {
    if (!this.view.renderer.xr.isPresenting) return;
    for (const h of this.hands) {
      if (!h.connected) {
        h.dot.visible = false;
        continue;
      }
      h.ray.updateMatrixWorld();
      _m.identity().extractRotation(h.ray.matrixWorld);
      this.raycaster.ray.origin.setFromMatrixPosition(h.ray.matrixWorld);
      this.raycaster.ray.direction.set(0, 0, -1).applyMatrix4(_m);
      this.raycaster.far = RAY_LENGTH;
      h.hit = this.raycaster.intersectObject(this.view.pickables, true)[0] ?? null;
      h.line.scale.z = h.hit ? h.hit.distance : RAY_LENGTH;
      h.dot.visible = h.hit !== null;
      if (h.hit) h.dot.position.copy(h.hit.point);
    }
  }

  /** Writes the headset and controller poses; returns the pose flags. */
  pose(out: Float32Array): number {
    this.view.viewerPose(_camPos, _camQuat);
    writePose(out, Bin.HEAD, _camPos, _camQuat);
    let flags = PoseFlag.VR;
    let rayHand: Hand | null = null;
    for (const h of this.hands) {
      if (!h.connected) continue;
      const at = h.handedness === "left" ? Bin.LEFT : Bin.RIGHT;
      h.grip.updateMatrixWorld();
      h.grip.matrixWorld.decompose(_p, _q, _s);
      writePose(out, at, _p, _q);
      flags |= at === Bin.LEFT ? PoseFlag.LEFT : PoseFlag.RIGHT;
      if (h.selecting || h.hit) {
        if (!rayHand || h.selecting || (h.handedness === "right" && !rayHand.selecting)) rayHand = h;
      }
    }
    if (rayHand) {
      rayHand.ray.updateMatrixWorld();
      rayHand.ray.matrixWorld.decompose(_p, _q, _s);
      _dir.set(0, 0, -1).applyQuaternion(_q);
      out.set([_p.x, _p.y, _p.z, _dir.x, _dir.y, _dir.z], Bin.RAY);
      flags |= PoseFlag.RAY;
    }
    return flags;
  }

  dispose(): void {
    for (const h of this.hands) {
      h.ray.removeFromParent();
      h.grip.removeFromParent();
      h.dot.removeFromParent();
    }
  }
}

function writePose(out: Float32Array, at: number, p: THREE.Vector3, q: THREE.Quaternion): void {
  out[at] = p.x;
  out[at + 1] = p.y;
  out[at + 2] = p.z;
  out[at + 3] = q.x;
  out[at + 4] = q.y;
  out[at + 5] = q.z;
  out[at + 6] = q.w;
}
