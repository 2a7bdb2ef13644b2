import type { KindContext, KindInstance, SpaceKind } from "../SpaceKind";
import { AnatomyLab } from "./AnatomyLab";
import "./anatomy.css";

/** The "anatomy" space kind: a shared, dissectable body built from a CT or MRI study. */
export class AnatomyKind implements SpaceKind {
  readonly name = "anatomy";
  readonly title = "Anatomy lab";

  mount(ctx: KindContext): KindInstance {
    return new AnatomyLab(ctx);
  }
}
