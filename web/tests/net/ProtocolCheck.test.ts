import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/net/Protocol";
import { protocolMismatch } from "../../src/net/ProtocolCheck";

describe("protocolMismatch", () => {
  it("accepts the client's own version", () => {
    expect(protocolMismatch(PROTOCOL_VERSION)).toBeNull();
  });

  it("tells the user to reload when the server is newer", () => {
    expect(protocolMismatch(2, 1)).toBe("This page is out of date for the server (protocol 1 vs 2): reload the page.");
  });

  it("names both versions when the server is older", () => {
    expect(protocolMismatch(1, 2)).toMatch(/newer than the server \(protocol 2 vs 1\)/);
  });

  it("refuses a welcome without a protocol version", () => {
    expect(protocolMismatch(undefined, 1)).toMatch(/did not say which protocol/);
    expect(protocolMismatch("1", 1)).toMatch(/did not say which protocol/);
  });
});
