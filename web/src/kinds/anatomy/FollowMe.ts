import * as THREE from "three";
import type { DesktopControls } from "../../scene/DesktopControls";
import { h } from "../../ui/dom";

const _pos = new THREE.Vector3();
const _quat = new THREE.Quaternion();
const _eye = new THREE.Vector3();
const _fwd = new THREE.Vector3();

/**
 * "Follow me": while the instructor leads, a student's camera glides after the leader's head
 * (from just in front of the leader's face) until the student presses
 * Release. Desktop navigation is paused meanwhile and handed back on release.
 */
export class FollowMe {
  readonly el: HTMLElement;
  private readonly text = h("span#anatomy-follow-text");
  private readonly releaseBtn: HTMLButtonElement;
  private leader: number | null = null;
  private leaderName = "";
  private released = false;
  private following = false;

  constructor(
    private readonly camera: THREE.PerspectiveCamera,
    private readonly controls: DesktopControls | null,
    private readonly headPose: (userId: number, p: THREE.Vector3, q: THREE.Quaternion) => boolean,
  ) {
    this.releaseBtn = h("button.btn.btn-small#anatomy-release", { type: "button", onclick: () => this.release() }, "Release") as HTMLButtonElement;
    const rejoin = h("button.btn.btn-small#anatomy-rejoin", { type: "button", onclick: () => this.rejoin() }, "Follow again");
    this.el = h("div.an-follow-banner#anatomy-follow", { hidden: true, role: "status" }, this.text, this.releaseBtn, rejoin);
  }

  /** The shared follow state; `me` is this user's id. */
  set(on: boolean, leader: number | null, me: number | null, leaderName: string): void {
    const leading = on && leader !== null && leader !== me;
    if (leading && leader !== this.leader) this.released = false;
    this.leader = leading ? leader : null;
    this.leaderName = leaderName;
    if (!leading) this.released = false;
    this.refresh();
  }

  get active(): boolean {
    return this.following;
  }

  release(): void {
    this.released = true;
    this.refresh();
  }

  private rejoin(): void {
    this.released = false;
    this.refresh();
  }

  private refresh(): void {
    const want = this.leader !== null && !this.released;
    if (this.following && !want) this.handBack();
    this.following = want;
    if (this.controls) this.controls.enabled = !want;
    this.el.hidden = this.leader === null;
    this.el.classList.toggle("is-released", this.released);
    this.text.textContent = this.released ? `${this.leaderName || "The instructor"} is leading the view` : `Following ${this.leaderName || "the instructor"}'s view`;
    this.releaseBtn.hidden = this.released;
    (this.el.lastElementChild as HTMLElement).hidden = !this.released;
  }

  private handBack(): void {
    if (!this.controls) return;
    this.camera.getWorldDirection(_fwd);
    this.controls.orbit.target.copy(this.camera.position).addScaledVector(_fwd, 1.5);
    this.controls.enabled = true;
    this.controls.orbit.update();
  }

  update(dt: number, presenting: boolean): void {
    if (!this.following || this.leader === null || presenting) return;
    if (!this.headPose(this.leader, _pos, _quat)) return;
    // Just in front of the leader's visor: their own avatar stays out of the picture.
    _eye.set(0, 0, -0.17).applyQuaternion(_quat).add(_pos);
    const k = 1 - Math.exp(-dt * 5);
    this.camera.position.lerp(_eye, k);
    this.camera.quaternion.slerp(_quat, k);
  }

  dispose(): void {
    if (this.controls) this.controls.enabled = true;
    this.el.remove();
  }
}
