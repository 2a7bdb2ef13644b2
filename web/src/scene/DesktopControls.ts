import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";

const SPEED = 2.5; // metres per second
const _forward = new THREE.Vector3();
const _right = new THREE.Vector3();
const _move = new THREE.Vector3();
const UP = new THREE.Vector3(0, 1, 0);

/** True when a key press belongs to a text field (so shortcuts must ignore it). */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  return t.isContentEditable || t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT";
}

/**
 * Desktop and touch navigation: OrbitControls (mouse drag orbits, right-drag pans, wheel zooms;
 * one finger orbits, two fingers pinch and pan) plus W A S D to walk and Q / E to go down / up.
 */
export class DesktopControls {
  readonly orbit: OrbitControls;
  private readonly keys = new Set<string>();
  private readonly onKeyDown = (e: KeyboardEvent): void => {
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if ("wasdqe".includes(k) && k.length === 1) {
      this.keys.add(k);
      e.preventDefault();
    }
    if (e.key === "Shift") this.keys.add("shift");
  };
  private readonly onKeyUp = (e: KeyboardEvent): void => {
    this.keys.delete(e.key.toLowerCase());
    if (e.key === "Shift") this.keys.delete("shift");
  };
  private readonly onBlur = (): void => this.keys.clear();

  constructor(
    private readonly camera: THREE.PerspectiveCamera,
    dom: HTMLElement,
  ) {
    this.orbit = new OrbitControls(camera, dom);
    this.orbit.target.set(0, 1.1, 0);
    this.orbit.enableDamping = true;
    this.orbit.dampingFactor = 0.12;
    this.orbit.minDistance = 0.4;
    this.orbit.maxDistance = 30;
    this.orbit.maxPolarAngle = Math.PI * 0.52;
    this.orbit.touches = { ONE: THREE.TOUCH.ROTATE, TWO: THREE.TOUCH.DOLLY_PAN };
    this.orbit.update();
    window.addEventListener("keydown", this.onKeyDown);
    window.addEventListener("keyup", this.onKeyUp);
    window.addEventListener("blur", this.onBlur);
  }

  set enabled(on: boolean) {
    this.orbit.enabled = on;
    if (!on) this.keys.clear();
  }

  get enabled(): boolean {
    return this.orbit.enabled;
  }

  /** Looks at a point from the current direction, at a comfortable distance. */
  focus(point: THREE.Vector3, distance = 2.2): void {
    const dir = _move.copy(this.camera.position).sub(this.orbit.target).normalize();
    this.orbit.target.copy(point);
    this.camera.position.copy(point).addScaledVector(dir, distance);
    this.orbit.update();
  }

  update(dt: number): void {
    if (!this.orbit.enabled) return;
    if (this.keys.size) {
      this.camera.getWorldDirection(_forward);
      _forward.y = 0;
      if (_forward.lengthSq() < 1e-6) _forward.set(0, 0, -1);
      _forward.normalize();
      _right.crossVectors(_forward, UP).normalize();
      _move.set(0, 0, 0);
      if (this.keys.has("w")) _move.add(_forward);
      if (this.keys.has("s")) _move.sub(_forward);
      if (this.keys.has("d")) _move.add(_right);
      if (this.keys.has("a")) _move.sub(_right);
      if (this.keys.has("e")) _move.y += 1;
      if (this.keys.has("q")) _move.y -= 1;
      if (_move.lengthSq() > 0) {
        _move.normalize().multiplyScalar(SPEED * dt * (this.keys.has("shift") ? 3 : 1));
        this.camera.position.add(_move);
        this.orbit.target.add(_move);
        const below = Math.max(0.15 - this.camera.position.y, 0 - this.orbit.target.y, 0);
        this.camera.position.y += below;
        this.orbit.target.y += below;
      }
    }
    this.orbit.update();
  }

  dispose(): void {
    window.removeEventListener("keydown", this.onKeyDown);
    window.removeEventListener("keyup", this.onKeyUp);
    window.removeEventListener("blur", this.onBlur);
    this.orbit.dispose();
  }
}
