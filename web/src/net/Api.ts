import type { KindInfo, LobbySpace, Role, User } from "./Protocol";

/** A failed REST call, carrying the server's problem JSON (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail || title || `HTTP ${status}`);
    this.name = "ApiError";
  }
}

/** One line of the audit log (`GET /api/audit`). */
export interface AuditEntry {
  id: number;
  /** Unix time in seconds. */
  ts: number;
  actor_id: number | null;
  /** The actor's username (null for the server itself). */
  actor: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
}

export interface SpaceMemberInput {
  username: string;
  role: Role;
}

/** The REST API under /api (docs/protocol.md, "REST"). */
export class Api {
  /** Called when any request answers 401 (the session expired or was revoked). */
  onUnauthorized: (() => void) | null = null;

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`/api${path}`, {
        method,
        credentials: "same-origin",
        headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json", Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", "Network error", "the server cannot be reached");
    }
    if (response.status === 204) return undefined as T;
    let payload: unknown = null;
    const text = await response.text();
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = null;
      }
    }
    if (!response.ok) {
      const p = (payload ?? {}) as Record<string, unknown>;
      const err = new ApiError(
        response.status,
        String(p.code ?? `http-${response.status}`),
        String(p.title ?? response.statusText),
        String(p.detail ?? p.title ?? response.statusText),
      );
      if (response.status === 401 && path !== "/auth/login" && this.onUnauthorized) this.onUnauthorized();
      throw err;
    }
    return payload as T;
  }

  async login(username: string, password: string): Promise<User> {
    return (await this.request<{ user: User }>("POST", "/auth/login", { username, password })).user;
  }

  async logout(): Promise<void> {
    await this.request<void>("POST", "/auth/logout");
  }

  /** The signed-in user, or null when nobody is signed in. */
  async me(): Promise<User | null> {
    try {
      return (await this.request<{ user: User }>("GET", "/auth/me")).user;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  }

  async spaces(): Promise<LobbySpace[]> {
    return (await this.request<{ spaces: LobbySpace[] }>("GET", "/spaces")).spaces;
  }

  async createSpace(name: string, kind: string, title: string, members: SpaceMemberInput[]): Promise<LobbySpace> {
    const body: Record<string, unknown> = { name, kind };
    if (title) body.title = title;
    if (members.length) body.members = members;
    return (await this.request<{ space: LobbySpace }>("POST", "/spaces", body)).space;
  }

  /** `space` is the space's name (its URL slug), as the server's routes take it. */
  async setMemberRole(space: string, username: string, role: Role): Promise<void> {
    await this.request("PUT", `/spaces/${encodeURIComponent(space)}/members/${encodeURIComponent(username)}`, { role });
  }

  async users(): Promise<User[]> {
    return (await this.request<{ users: User[] }>("GET", "/users")).users;
  }

  async createUser(username: string, displayName: string, password: string, isAdmin: boolean): Promise<User> {
    return (
      await this.request<{ user: User }>("POST", "/users", {
        username,
        display_name: displayName,
        password,
        is_admin: isAdmin,
      })
    ).user;
  }

  async kinds(): Promise<KindInfo[]> {
    return (await this.request<{ kinds: KindInfo[] }>("GET", "/kinds")).kinds;
  }

  async audit(limit = 100): Promise<AuditEntry[]> {
    return (await this.request<{ entries: AuditEntry[] }>("GET", `/audit?limit=${limit}`)).entries;
  }
}
