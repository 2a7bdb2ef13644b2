import type * as THREE from "three";
import type { Role } from "../net/Protocol";
import type { DesktopControls } from "../scene/DesktopControls";
import type { SpaceState } from "../state/SpaceState";
import type { SceneView } from "../scene/SceneView";

/** What a kind module gets when a space of its kind is entered. */
export interface KindContext {
  readonly view: SceneView;
  readonly scene: THREE.Scene;
  readonly state: SpaceState;
  /** A slot in the space page for kind-specific panels (empty for the generic kinds). */
  readonly panel: HTMLElement;
  readonly title: string;
  /** The space's name (its URL slug, as the REST routes take it). */
  readonly spaceName: string;
  /** Sends a command of this kind; resolves on ack, rejects with the server's refusal. */
  command(name: string, args: Record<string, unknown>): Promise<number>;
  /** Desktop navigation (a kind may pause it, e.g. while the camera follows someone). */
  readonly controls: DesktopControls | null;
  /** The own role and user id in this space (both may change while inside). */
  myRole(): Role;
  myUserId(): number | null;
  /** Non-event messages from the server (e.g. `job.progress`); returns an unsubscribe function. */
  onMessage(cb: (msg: Record<string, unknown>) => void): () => void;
  /** A remote participant's head pose in world space, by user id; false when unknown. */
  headPose(userId: number, position: THREE.Vector3, quaternion: THREE.Quaternion): boolean;
  /** The display name of someone in the space, by user id (null when not here). */
  displayName(userId: number): string | null;
}

/** A kind's content in one open space. */
export interface KindInstance {
  update?(dt: number, time: number): void;
  dispose(): void;
}

/** A kind of space on the client side: adds its own content and UI to the generic space view. */
export interface SpaceKind {
  readonly name: string;
  readonly title: string;
  mount(ctx: KindContext): KindInstance;
}
