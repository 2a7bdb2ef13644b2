import * as THREE from "three";
import { Bin, PoseFlag } from "../net/Protocol";
import { LabelSprite } from "./LabelSprite";

const RAY_LENGTH = 4;
const _q = new THREE.Quaternion();
const _yaw = new THREE.Quaternion();
const _e = new THREE.Euler(0, 0, 0, "YXZ");
const _v = new THREE.Vector3();
const _dir = new THREE.Vector3();
const UP = new THREE.Vector3(0, 1, 0);
const FORWARD = new THREE.Vector3(0, 0, -1);

/**
 * A participant's avatar: a head with a visor (facing -Z like a camera), a torso that follows the
 * head's heading, two hands (tracked in VR, resting otherwise), a pointer ray and a name tag.
 */
export class Avatar extends THREE.Group {
  readonly head = new THREE.Group();
  readonly torso: THREE.Mesh;
  readonly leftHand: THREE.Mesh;
  readonly rightHand: THREE.Mesh;
  readonly ray: THREE.Line;
  readonly rayDot: THREE.Mesh;
  readonly nameTag: LabelSprite;
  private readonly materials: THREE.Material[] = [];
  /** A ring over the head that glows while the person speaks. */
  private readonly speakingRing: THREE.Mesh;
  private videoPanel: THREE.Mesh<THREE.PlaneGeometry, THREE.MeshBasicMaterial> | null = null;
  private videoTexture: THREE.VideoTexture | null = null;
  flags = 0;

  constructor(
    readonly pid: number,
    name: string,
    role: string,
    colour: THREE.ColorRepresentation,
  ) {
    super();
    this.name = `avatar-${pid}`;
    const skin = this.material(new THREE.MeshStandardMaterial({ color: colour, roughness: 0.55, metalness: 0.05 }));
    const dark = this.material(new THREE.MeshStandardMaterial({ color: 0x0d1117, roughness: 0.25, metalness: 0.4 }));
    const body = this.material(new THREE.MeshStandardMaterial({ color: new THREE.Color(colour).multiplyScalar(0.55), roughness: 0.8 }));

    const skull = new THREE.Mesh(new THREE.SphereGeometry(0.13, 24, 16), skin);
    skull.scale.set(1, 1.1, 1.05);
    const visor = new THREE.Mesh(new THREE.BoxGeometry(0.2, 0.07, 0.08), dark);
    visor.position.set(0, 0.015, -0.1);
    this.head.add(skull, visor);
    this.add(this.head);

    this.torso = new THREE.Mesh(new THREE.CapsuleGeometry(0.17, 0.42, 6, 16), body);
    this.add(this.torso);

    const handGeo = new THREE.SphereGeometry(0.045, 16, 12);
    this.leftHand = new THREE.Mesh(handGeo, skin);
    this.rightHand = new THREE.Mesh(handGeo, skin);
    this.add(this.leftHand, this.rightHand);

    const rayMat = this.material(new THREE.LineBasicMaterial({ color: colour, transparent: true, opacity: 0.9 }));
    this.ray = new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3(0, 0, -RAY_LENGTH)]), rayMat);
    this.ray.frustumCulled = false;
    this.ray.visible = false;
    this.rayDot = new THREE.Mesh(new THREE.SphereGeometry(0.025, 12, 8), this.material(new THREE.MeshBasicMaterial({ color: colour })));
    this.rayDot.visible = false;
    this.add(this.ray, this.rayDot);

    this.nameTag = new LabelSprite([name, role], { accent: new THREE.Color(colour).getStyle(), lineHeight: 0.17 });
    this.add(this.nameTag);

    this.speakingRing = new THREE.Mesh(
      new THREE.TorusGeometry(0.17, 0.012, 8, 32).rotateX(Math.PI / 2),
      this.material(new THREE.MeshBasicMaterial({ color: 0x5eead4, transparent: true, opacity: 0.95 })),
    );
    this.speakingRing.position.y = 0.2;
    this.speakingRing.visible = false;
    this.head.add(this.speakingRing);
  }

  /** Shows or hides the speaking ring. */
  setSpeaking(on: boolean): void {
    this.speakingRing.visible = on;
  }

  get speaking(): boolean {
    return this.speakingRing.visible;
  }

  /** Shows the person's camera on a panel beside their head (null: removes it). */
  setVideo(video: HTMLVideoElement | null): void {
    if (this.videoPanel && this.videoPanel.material.map?.image === video) return;
    if (this.videoPanel) {
      this.videoPanel.removeFromParent();
      this.videoPanel.geometry.dispose();
      this.videoPanel.material.dispose();
      this.videoTexture?.dispose();
      this.videoPanel = null;
      this.videoTexture = null;
    }
    if (!video) return;
    this.videoTexture = new THREE.VideoTexture(video);
    this.videoTexture.colorSpace = THREE.SRGBColorSpace;
    // the head looks along -Z: the panel faces the same way, so it faces whoever the person faces
    this.videoPanel = new THREE.Mesh(new THREE.PlaneGeometry(0.48, 0.27).rotateY(Math.PI), new THREE.MeshBasicMaterial({ map: this.videoTexture, toneMapped: false, side: THREE.DoubleSide }));
    this.videoPanel.position.set(-0.42, 0.05, 0);
    this.head.add(this.videoPanel);
  }

  get hasVideo(): boolean {
    return this.videoPanel !== null;
  }

  setLabel(name: string, role: string): void {
    this.nameTag.setLines([name, role]);
  }

  /**
   * Applies a pose (27 floats as on the wire). `rayLength` is where the ray ends (a hit, or the
   * default length).
   */
  applyPose(flags: number, v: ArrayLike<number>, rayLength = RAY_LENGTH): void {
    this.flags = flags;
    const h = Bin.HEAD;
    this.head.position.set(v[h], v[h + 1], v[h + 2]);
    _q.set(v[h + 3], v[h + 4], v[h + 5], v[h + 6]);
    if (_q.lengthSq() < 1e-6) _q.identity();
    this.head.quaternion.copy(_q.normalize());

    // Heading only (yaw) for the torso and resting hands.
    _e.setFromQuaternion(this.head.quaternion);
    _yaw.setFromAxisAngle(UP, _e.y);
    this.torso.position.copy(this.head.position).add(_v.set(0, -0.5, 0.04).applyQuaternion(_yaw));
    this.torso.quaternion.copy(_yaw);
    this.torso.visible = this.head.position.y > 0.6;

    this.placeHand(this.leftHand, (flags & PoseFlag.LEFT) !== 0, v, Bin.LEFT, -1);
    this.placeHand(this.rightHand, (flags & PoseFlag.RIGHT) !== 0, v, Bin.RIGHT, 1);

    const rayOn = (flags & PoseFlag.RAY) !== 0;
    this.ray.visible = rayOn;
    this.rayDot.visible = rayOn;
    if (rayOn) {
      const r = Bin.RAY;
      this.ray.position.set(v[r], v[r + 1], v[r + 2]);
      _dir.set(v[r + 3], v[r + 4], v[r + 5]);
      if (_dir.lengthSq() < 1e-6) _dir.copy(FORWARD);
      _dir.normalize();
      this.ray.quaternion.setFromUnitVectors(FORWARD, _dir);
      this.ray.scale.set(1, 1, rayLength / RAY_LENGTH);
      this.rayDot.position.copy(this.ray.position).addScaledVector(_dir, rayLength);
    }
    this.nameTag.position.copy(this.head.position).add(_v.set(0, 0.22, 0));
  }

  private placeHand(hand: THREE.Mesh, valid: boolean, v: ArrayLike<number>, at: number, side: number): void {
    if (valid) {
      hand.position.set(v[at], v[at + 1], v[at + 2]);
      hand.quaternion.set(v[at + 3], v[at + 4], v[at + 5], v[at + 6]);
      hand.scale.setScalar(1);
    } else {
      hand.position.copy(this.head.position).add(_v.set(0.24 * side, -0.62, -0.12).applyQuaternion(_yaw));
      hand.scale.setScalar(0.85);
    }
  }

  /** The world position of the head. */
  get headPosition(): THREE.Vector3 {
    return this.head.position;
  }

  private material<T extends THREE.Material>(m: T): T {
    this.materials.push(m);
    return m;
  }

  dispose(): void {
    this.setVideo(null);
    this.traverse((o) => {
      const m = o as THREE.Mesh;
      if (m.geometry) m.geometry.dispose();
    });
    for (const m of this.materials) m.dispose();
    this.nameTag.dispose();
    this.removeFromParent();
  }
}
