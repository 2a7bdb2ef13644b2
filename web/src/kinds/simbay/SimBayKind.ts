import type { KindContext, KindInstance, SpaceKind } from "../SpaceKind";
import { SimBay } from "./SimBay";
import "./simbay.css";

/** The "simbay" space kind: a team treats virtual patients while an instructor runs the case. */
export class SimBayKind implements SpaceKind {
  readonly name = "simbay";
  readonly title = "Simulation bay";

  mount(ctx: KindContext): KindInstance {
    return new SimBay(ctx);
  }
}
