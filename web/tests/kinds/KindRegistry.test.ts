import { describe, expect, it } from "vitest";
import { KindRegistry } from "../../src/kinds/KindRegistry";
import { KINDS } from "../../src/net/Protocol";

describe("KindRegistry", () => {
  it("has a client module for every kind the server has", () => {
    for (const name of Object.keys(KINDS)) expect(KindRegistry.get(name).name).toBe(name);
  });

  it("opens a space of an unknown kind as the commons", () => {
    expect(KindRegistry.get("operating-room").name).toBe("commons");
  });
});
