import { PROTOCOL_VERSION } from "./contract.gen";

/**
 * Checks the protocol version a server's `welcome` names against this client's. Returns null when
 * they match, else the sentence to show: a page and a server of different versions cannot talk
 * (reconnecting would not help; reloading fetches the client that fits the server).
 */
export function protocolMismatch(server: unknown, client: number = PROTOCOL_VERSION): string | null {
  if (server === client) return null;
  if (typeof server !== "number" || !Number.isInteger(server)) {
    return `This page speaks protocol ${client} but the server did not say which protocol it speaks (an older server?): reload the page, and ask the administrator to update the server if this stays.`;
  }
  if (server > client) return `This page is out of date for the server (protocol ${client} vs ${server}): reload the page.`;
  return `This page is newer than the server (protocol ${client} vs ${server}): reload the page; if this stays, the server needs updating.`;
}
