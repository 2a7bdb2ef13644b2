import { describe, expect, it } from "vitest";
import { AnatomyEv, Msg } from "../../../src/net/Protocol";
import type { WireEvent } from "../../../src/net/Protocol";
import { AnatomyState } from "../../../src/kinds/anatomy/AnatomyState";
import type { AnatomyKindState, Study } from "../../../src/kinds/anatomy/AnatomyState";

const STUDY: Study = {
  id: "abdomen",
  title: "Abdomen CT",
  modality: "CT",
  credit: "TCIA",
  has_volume: true,
  triangles: 1200,
  structures: [
    { label: 1, name: "liver", color: [200, 90, 70], volume_ml: 1500, area_cm2: 900, triangles: 800 },
    { label: 2, name: "kidney_right", color: [180, 60, 60], volume_ml: 150, area_cm2: null, triangles: 400 },
  ],
};

/** The kind's initial state (src/medverse/anatomy/rules.py initial()). */
function initial(): AnatomyKindState {
  return {
    library: {},
    study: null,
    visible: {},
    opacity: {},
    clips: AnatomyState.noClips(),
    highlight: null,
    measures: {},
    slices: AnatomyState.noSlices(),
    preset: "soft_tissue",
    follow: false,
    quiz: null,
  };
}

let seq = 0;
function ev(name: string, data: object): WireEvent {
  seq++;
  return { type: Msg.EVENT, seq, name, data: data as Record<string, unknown>, actor: 1, cmd: null, ts: seq };
}

function loaded(): AnatomyState {
  const a = new AnatomyState();
  a.load(initial());
  a.apply(ev(AnatomyEv.STUDY_LOADED, { study: STUDY }));
  return a;
}

describe("AnatomyState", () => {
  it("loads a snapshot's kind state without sharing it", () => {
    const k: AnatomyKindState = { ...initial(), study: STUDY, visible: { "1": false }, leader: 4, follow: true };
    const a = new AnatomyState();
    a.load(k);
    expect(a.study?.id).toBe("abdomen");
    expect(a.isVisible(1)).toBe(false);
    expect(a.isVisible(2)).toBe(true);
    expect(a.leader).toBe(4);
    a.visible["2"] = false;
    expect(k.visible["2"]).toBeUndefined();
  });

  it("reads a state saved before libraries and leaders existed", () => {
    const { library: _l, ...old } = initial();
    const a = new AnatomyState();
    a.load(old);
    expect(a.library).toEqual({});
    expect(a.leader).toBeNull();
  });

  it("loading a study clears the dissection but keeps the library and who leads", () => {
    const a = loaded();
    a.apply(ev(AnatomyEv.FOLLOW_SET, { on: true, leader: 1 }));
    a.apply(ev(AnatomyEv.VISIBILITY_SET, { label: 1, visible: false }));
    a.apply(ev(AnatomyEv.CLIP_SET, { index: 1, enabled: true, normal: [0, 0, 1], offset_m: 0.05 }));
    a.apply(ev(AnatomyEv.STUDY_LOADED, { study: { ...STUDY, id: "head", title: "Head MR" } }));
    expect(a.study?.id).toBe("head");
    expect(a.isVisible(1)).toBe(true);
    expect(a.clips[1].enabled).toBe(false);
    expect(a.follow).toBe(true);
    expect(a.leader).toBe(1);
    expect(Object.keys(a.library).sort()).toEqual(["abdomen", "head"]);
  });

  it("applies the dissection events", () => {
    const a = loaded();
    a.apply(ev(AnatomyEv.OPACITY_SET, { label: 2, opacity: 0.4 }));
    a.apply(ev(AnatomyEv.HIGHLIGHTED, { label: 2 }));
    a.apply(ev(AnatomyEv.SLICE_SET, { plane: "axial", enabled: true, position_mm: -120 }));
    a.apply(ev(AnatomyEv.PRESET_SET, { preset: "bone" }));
    a.apply(ev(AnatomyEv.MEASURED, { id: "m-1", a: [0, 0, 0], b: [0, 0.1, 0], mm: 100, by: 2 }));
    expect(a.opacityOf(2)).toBe(0.4);
    expect(a.highlight).toBe(2);
    expect(a.slices.axial).toEqual({ enabled: true, position_mm: -120 });
    expect(a.preset).toBe("bone");
    expect(a.measures["m-1"].mm).toBe(100);
    a.apply(ev(AnatomyEv.MEASURE_DELETED, { id: "m-1" }));
    a.apply(ev(AnatomyEv.ALL_SHOWN, {}));
    expect(a.measures).toEqual({});
    expect(a.opacityOf(2)).toBe(1);
    a.apply(ev(AnatomyEv.STUDY_UNLOADED, {}));
    expect(a.study).toBeNull();
    expect(a.highlight).toBeNull();
  });

  it("runs a quiz round as a student sees it: others' answers hidden until the reveal", () => {
    const a = loaded();
    a.apply(ev(AnatomyEv.QUIZ_STARTED, { round: 1, label: 1, name: "liver" }));
    a.apply(ev(AnatomyEv.QUIZ_ANSWERED, { round: 1, user_id: 2, display_name: "Sam", label: 2, name: "kidney_right", correct: false }));
    a.apply(ev(AnatomyEv.QUIZ_ANSWERED, { round: 1, user_id: 3, display_name: "Kim" }));
    expect(a.quiz?.answers["2"]).toEqual({ label: 2, name: "kidney_right", correct: false, display_name: "Sam" });
    expect(a.quiz?.answers["3"]).toEqual({ display_name: "Kim", hidden: true });
    const all = {
      "2": { label: 2, name: "kidney_right", correct: false, display_name: "Sam" },
      "3": { label: 1, name: "liver", correct: true, display_name: "Kim" },
    };
    a.apply(ev(AnatomyEv.QUIZ_REVEALED, { round: 1, answers: all }));
    expect(a.quiz?.revealed).toBe(true);
    expect(a.quiz?.answers).toEqual(all);
    a.apply(ev(AnatomyEv.QUIZ_ENDED, {}));
    expect(a.quiz).toBeNull();
  });

  it("leaves other events to others", () => {
    expect(new AnatomyState().apply(ev("object.created", {}))).toBe(false);
  });

  it("prettifies structure names", () => {
    expect(AnatomyState.prettyName("kidney_right")).toBe("Kidney right");
    expect(AnatomyState.prettyName("")).toBe("");
  });
});
