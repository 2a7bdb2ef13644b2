import { AnatomyKind } from "./anatomy/AnatomyKind";
import { CommonsKind } from "./CommonsKind";
import { SimBayKind } from "./simbay/SimBayKind";
import type { SpaceKind } from "./SpaceKind";

/**
 * Kind name -> client module. Later kinds (anatomy, simulation, ...) register here; an unknown
 * kind falls back to the generic `commons` content so the space still opens.
 */
export class KindRegistry {
  private static readonly kinds = new Map<string, SpaceKind>();

  static register(kind: SpaceKind): void {
    KindRegistry.kinds.set(kind.name, kind);
  }

  static get(name: string): SpaceKind {
    return KindRegistry.kinds.get(name) ?? KindRegistry.kinds.get("commons") ?? new CommonsKind();
  }

  static names(): string[] {
    return [...KindRegistry.kinds.keys()];
  }
}

KindRegistry.register(new CommonsKind());
KindRegistry.register(new AnatomyKind());
KindRegistry.register(new SimBayKind());
