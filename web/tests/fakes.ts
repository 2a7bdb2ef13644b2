// Test doubles for the browser's WebSocket: a socket the test drives by hand.
import type { ConnectionEnv, SocketLike } from "../src/net/SpaceConnection";
import type { ClientFrame } from "../src/net/Protocol";

export class FakeSocket implements SocketLike {
  binaryType: BinaryType = "blob";
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  readonly sent: (string | ArrayBuffer)[] = [];
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(readonly path: string) {}

  send(data: string | ArrayBuffer): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  // ---- what the test does ----
  open(): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }

  receive(msg: object): void {
    this.onmessage?.({ data: JSON.stringify(msg) } as MessageEvent);
  }

  /** The server (or the network) closes the socket. */
  drop(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }

  /** The JSON frames sent so far. */
  frames(): ClientFrame[] {
    return this.sent.filter((d): d is string => typeof d === "string").map((d) => JSON.parse(d) as ClientFrame);
  }
}

/** A ConnectionEnv whose sockets are FakeSockets, kept in `sockets` (newest last). */
export class FakeEnv implements ConnectionEnv {
  readonly sockets: FakeSocket[] = [];
  private online: (() => void) | null = null;

  openSocket(path: string): FakeSocket {
    const s = new FakeSocket(path);
    this.sockets.push(s);
    return s;
  }

  onOnline(cb: () => void): () => void {
    this.online = cb;
    return () => {
      this.online = null;
    };
  }

  goOnline(): void {
    this.online?.();
  }

  get last(): FakeSocket {
    const s = this.sockets.at(-1);
    if (!s) throw new Error("no socket opened yet");
    return s;
  }
}
