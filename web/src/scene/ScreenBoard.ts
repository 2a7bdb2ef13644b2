import * as THREE from "three";
import { LabelSprite } from "./LabelSprite";

/** Where the board hangs: above the room's centre, turned towards each viewer (people stand all
 * around the centre, so a board on one wall would be behind half of them). */
export const BOARD_POSITION = new THREE.Vector3(0, 2.9, 0);
const MAX_WIDTH = 3.6;
const MAX_HEIGHT = 2.0;
const _target = new THREE.Vector3();

/**
 * A board in the space that shows a shared screen to everyone, at its own aspect ratio; hidden
 * while nobody shares.
 */
export class ScreenBoard {
  readonly group = new THREE.Group();
  private readonly screen: THREE.Mesh<THREE.PlaneGeometry, THREE.MeshBasicMaterial>;
  private readonly frame: THREE.Mesh;
  private readonly label: LabelSprite;
  private texture: THREE.VideoTexture | null = null;
  video: HTMLVideoElement | null = null;

  constructor(scene: THREE.Scene) {
    this.group.name = "screen-board";
    this.group.position.copy(BOARD_POSITION);
    this.screen = new THREE.Mesh(new THREE.PlaneGeometry(1, 1), new THREE.MeshBasicMaterial({ color: 0xffffff, toneMapped: false }));
    this.frame = new THREE.Mesh(new THREE.BoxGeometry(1, 1, 0.05), new THREE.MeshStandardMaterial({ color: 0x11161d, roughness: 0.6 }));
    this.frame.position.z = -0.03;
    this.label = new LabelSprite(["Screen"], { lineHeight: 0.2 });
    this.group.add(this.frame, this.screen, this.label);
    this.group.visible = false;
    scene.add(this.group);
  }

  /** Shows `video` (null: nobody shares; the board hides) with a caption such as "Sam's screen". */
  show(video: HTMLVideoElement | null, caption: string): void {
    if (video === this.video) {
      this.label.setLines([caption]);
      return;
    }
    this.texture?.dispose();
    this.texture = null;
    this.video = video;
    this.group.visible = video !== null;
    if (!video) return;
    this.texture = new THREE.VideoTexture(video);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.screen.material.map = this.texture;
    this.screen.material.needsUpdate = true;
    this.label.setLines([caption]);
    this.fit();
  }

  /** Once a frame: turns the board (about the vertical) towards the viewer at `eye`. */
  face(eye: THREE.Vector3): void {
    if (!this.group.visible) return;
    _target.set(eye.x, this.group.position.y, eye.z);
    if (_target.distanceToSquared(this.group.position) > 1e-4) this.group.lookAt(_target);
    this.fit();
  }

  /** Keeps the board at the video's aspect ratio (it is known once frames arrive). */
  fit(): void {
    const v = this.video;
    const aspect = v && v.videoWidth > 0 && v.videoHeight > 0 ? v.videoWidth / v.videoHeight : 16 / 9;
    const w = Math.min(MAX_WIDTH, MAX_HEIGHT * aspect);
    const hgt = w / aspect;
    this.screen.scale.set(w, hgt, 1);
    this.frame.scale.set(w + 0.12, hgt + 0.12, 1);
    this.label.position.set(0, -(hgt / 2 + 0.32), 0);
  }

  dispose(): void {
    this.texture?.dispose();
    this.group.removeFromParent();
  }
}
