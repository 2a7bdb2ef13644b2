import type * as THREE from "three";
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
  /** Sends a command of this kind; resolves on ack, rejects with the server's refusal. */
  command(name: string, args: Record<string, unknown>): Promise<number>;
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
