import { KindRegistry } from "../kinds/KindRegistry";
import type { KindButton, KindContext, KindInstance } from "../kinds/SpaceKind";
import type { ServerMessages } from "../net/Protocol";
import type { Toaster } from "../ui/Toaster";
import { h } from "../ui/dom";
import type { SpaceSession } from "./SpaceSession";
import type { SpaceWorld } from "./SpaceWorld";

/** Where a kind's UI goes on the page. */
export interface KindSlots {
  /** Over the 3D view. */
  readonly panel: HTMLElement;
  /** In the space's header bar. */
  readonly buttons: HTMLElement;
}

/**
 * Mounts the client module of the space's kind (from the KindRegistry) when the first welcome
 * says which kind the space is, and gives it its KindContext; unmounts it with the page.
 */
export class KindHost {
  private instance: KindInstance | null = null;
  private readonly owned: (() => void)[] = [];
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly session: SpaceSession,
    private readonly world: SpaceWorld,
    private readonly slots: KindSlots,
    private readonly toaster: Toaster,
  ) {
    this.unsubscribe = [
      session.events.on("welcome", ({ welcome, first }) => {
        if (first) this.mount(welcome.space.kind, welcome.space.title || welcome.space.name);
      }),
    ];
  }

  /** The mounted kind's name (null before the first welcome). */
  kindName: string | null = null;

  private mount(kindName: string, title: string): void {
    const kind = KindRegistry.get(kindName);
    this.kindName = kind.name;
    this.instance = kind.mount(this.context(title));
    this.owned.push(this.world.view.onFrame((dt, time) => this.instance?.update?.(dt, time)));
  }

  private context(title: string): KindContext {
    const { session, world, slots, toaster } = this;
    const own = (off: () => void): (() => void) => {
      this.owned.push(off);
      return off;
    };
    return {
      title,
      spaceName: session.spaceName,
      view: world.view,
      scene: world.view.scene,
      controls: world.controls,
      state: session.state,
      command: (name, args) => session.send(name, args),
      onReset: (cb) => own(session.state.events.on("reset", cb)),
      onEvent: (cb) => own(session.state.events.on("applied", cb)),
      onMessage: <T extends keyof ServerMessages>(type: T, cb: (msg: ServerMessages[T]) => void) =>
        own(
          session.connection.events.on("message", (msg) => {
            if (msg.type === type) cb(msg as ServerMessages[T]);
          }),
        ),
      onStream: (cb) => own(session.connection.events.on("stream", cb)),
      myRole: () => session.role,
      myUserId: () => session.myUserId,
      canEdit: () => session.canEdit(),
      participants: () => [...session.participants.values()].map((p) => ({ ...p })),
      displayName: (userId) => session.displayName(userId),
      headPose: (userId, position, quaternion) => world.avatars.headPose(userId, position, quaternion),
      panel: slots.panel,
      addButton: (b: KindButton) => {
        const el = h(`button.btn.btn-ghost.kind-button#${b.id}`, { type: "button", title: b.title, onclick: () => b.onClick() }, b.label) as HTMLButtonElement;
        slots.buttons.append(el);
        own(() => el.remove());
        return el;
      },
      toast: (message, kind = "info") => void toaster.show(message, kind),
    };
  }

  dispose(): void {
    this.unsubscribe.forEach((u) => u());
    this.instance?.dispose();
    this.instance = null;
    this.owned.forEach((off) => off());
    this.owned.length = 0;
  }
}
