import type * as THREE from "three";
import type { Participant, Role, ServerMessages, WireEvent } from "../net/Protocol";
import type { DesktopControls } from "../scene/DesktopControls";
import type { SceneView } from "../scene/SceneView";
import type { SpaceState } from "../state/SpaceState";
import type { ToastKind } from "../ui/Toaster";

/** A button a kind adds to the space's header bar. */
export interface KindButton {
  /** The element id (for tests and labels). */
  id: string;
  label: string;
  /** Tooltip and accessible description. */
  title: string;
  onClick(): void;
}

/**
 * Everything a kind's client module gets when a space of its kind is entered: the 3D scene, the
 * shared state with its events and commands, who is here, and places on the page for its UI. A
 * kind needs nothing else from the space page.
 */
export interface KindContext {
  /** The space's title, and its name (its URL slug, as the REST routes take it). */
  readonly title: string;
  readonly spaceName: string;

  // ---- the 3D scene ----
  readonly view: SceneView;
  readonly scene: THREE.Scene;
  /** Desktop navigation (a kind may pause it, e.g. while the camera follows someone). */
  readonly controls: DesktopControls | null;

  // ---- the shared state ----
  /**
   * The space's state. `state.kind` is the kind's own state as the latest snapshot carried it
   * (null before the first one): a kind mirrors it by applying its events (`onEvent`).
   */
  readonly state: SpaceState;
  /** Sends a command (the kind's or a core one); resolves on ack, rejects with the server's refusal. */
  command(name: string, args: Record<string, unknown>): Promise<number>;
  /** A snapshot replaced the whole state (`state.kind` is new). Returns the unsubscribe function. */
  onReset(cb: () => void): () => void;
  /** Every event, core and the kind's, after the space state applied it. */
  onEvent(cb: (ev: WireEvent) => void): () => void;
  /** Server messages that are not events (e.g. `job.progress`), by type. */
  onMessage<T extends keyof ServerMessages>(type: T, cb: (msg: ServerMessages[T]) => void): () => void;
  /** The kind's binary stream chunks (ephemeral, e.g. a bedside monitor). */
  onStream(cb: (data: ArrayBuffer) => void): () => void;

  // ---- who is here ----
  /** The own role and user id in this space (both may change while inside). */
  myRole(): Role;
  myUserId(): number | null;
  /** Whether the own role may change shared things under the space's edit policy. */
  canEdit(): boolean;
  /** Everyone connected to the space (the own connection included). */
  participants(): Participant[];
  /** The display name of someone in the space, by user id (null when not here). */
  displayName(userId: number): string | null;
  /** A remote participant's head pose in world space, by user id; false when unknown. */
  headPose(userId: number, position: THREE.Vector3, quaternion: THREE.Quaternion): boolean;

  // ---- the page ----
  /** A slot over the 3D view for the kind's panels. */
  readonly panel: HTMLElement;
  /** Adds a button to the space's header bar; removed when the kind is unmounted. */
  addButton(button: KindButton): HTMLButtonElement;
  /** A short message at the top of the page. */
  toast(message: string, kind?: ToastKind): void;
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
