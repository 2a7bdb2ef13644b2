import * as THREE from "three";
import type { App } from "../App";
import { Close, Cmd, ErrorCode, Ev } from "../net/Protocol";
import type { EditPolicy, Participant, Role, Welcome } from "../net/Protocol";
import { isTyping } from "../scene/DesktopControls";
import type { AvatarManager } from "../scene/AvatarManager";
import { MediaController } from "../media/MediaController";
import { KindHost } from "../space/KindHost";
import { SpaceSession } from "../space/SpaceSession";
import { SpaceWorld } from "../space/SpaceWorld";
import { TestHook } from "../util/TestHook";
import { ChatPanel } from "./ChatPanel";
import { ConnectionBanner } from "./ConnectionBanner";
import { HelpOverlay } from "./HelpOverlay";
import { MediaBar } from "./MediaBar";
import { ObjectToolbar } from "./ObjectToolbar";
import type { Page } from "./Page";
import { ParticipantPanel } from "./ParticipantPanel";
import { SpaceLayout } from "./SpaceLayout";
import { VideoStrip } from "./VideoStrip";
import { ROLE_LABEL } from "./dom";

const _eye = new THREE.Vector3();

/**
 * One space: a SpaceSession (connection and state), its SpaceWorld (the 3D view), the page
 * around them (SpaceLayout with chat, people, the object toolbar), and the kind's client module
 * (mounted by a KindHost; kinds never reach into this page).
 */
export class SpacePage implements Page {
  readonly el: HTMLElement;
  readonly session: SpaceSession;
  private readonly layout: SpaceLayout;
  private readonly chat: ChatPanel;
  private readonly people: ParticipantPanel;
  private readonly toolbar: ObjectToolbar;
  private readonly banner: ConnectionBanner;
  private readonly help = new HelpOverlay();
  private world: SpaceWorld | null = null;
  private kinds: KindHost | null = null;
  /** Voice, camera and screen share (null until the 3D world exists). */
  media: MediaController | null = null;
  private mediaBar: MediaBar | null = null;
  private videoStrip: VideoStrip | null = null;
  private testHook: TestHook | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly onKey = (e: KeyboardEvent): void => this.key(e);
  private readonly onKeyUp = (e: KeyboardEvent): void => {
    if (e.key === "v" || e.key === "V") this.media?.setTalking(false);
  };

  constructor(
    private readonly app: App,
    readonly spaceName: string,
  ) {
    this.session = new SpaceSession(spaceName, async () => (await app.api.me().catch(() => app.me)) !== null);
    const send = (name: string, args: Record<string, unknown>): Promise<number> => this.session.send(name, args);
    this.banner = new ConnectionBanner(() => this.session.connection.reconnectNow());
    this.chat = new ChatPanel((text) => send(Cmd.CHAT_SEND, { text }));
    this.people = new ParticipantPanel({
      mute: (user_id, muted) => void send(Cmd.MEMBER_MUTE, { user_id, muted }).catch(() => undefined),
      remove: (user_id, name) => {
        if (window.confirm(`Remove ${name} from this space? They will be sent back to the lobby.`)) void send(Cmd.MEMBER_REMOVE, { user_id }).catch(() => undefined);
      },
      setRole: (user_id, role) => void send(Cmd.MEMBER_SET_ROLE, { user_id, role }).catch(() => this.renderPeople()),
      lock: (locked) => void send(Cmd.SPACE_LOCK, { locked }).catch(() => undefined),
      setPolicy: (edit) => void send(Cmd.SPACE_SET_POLICY, { edit }).catch(() => this.renderPeople()),
      voiceMute: (user_id, muted) => void send(Cmd.VOICE_MUTE, { user_id, muted }).catch(() => undefined),
      voiceMuteAll: (muted) => void send(Cmd.VOICE_MUTE_ALL, { muted }).catch(() => undefined),
      voiceLock: (locked) => void send(Cmd.VOICE_LOCK, { locked }).catch(() => this.renderPeople()),
      giveFloor: (user_id, allowed) => void send(Cmd.VOICE_GIVE_FLOOR, { user_id, allowed }).catch(() => undefined),
      broadcast: (on) => void send(Cmd.VOICE_BROADCAST, { on }).catch(() => this.renderPeople()),
      addZone: () => this.addZone(),
      removeZone: (id) => {
        const zones = this.session.state.voice.zones.filter((z) => z.id !== id);
        void send(Cmd.VOICE_SET_ZONES, { zones }).catch(() => undefined);
      },
    });
    this.toolbar = new ObjectToolbar({
      place: (shape, label, color) => this.world?.place(shape, label, color),
      setMode: (mode) => {
        this.world?.setMode(mode);
        this.toolbar.setMode(mode);
      },
      setLabel: (id, label) => void send(Cmd.OBJECT_UPDATE, { id, label }).catch(() => undefined),
      setColor: (id, color) => void send(Cmd.OBJECT_UPDATE, { id, color }).catch(() => this.toolbar.showSelection(this.session.state.objects.get(id) ?? null)),
      remove: (id) => void send(Cmd.OBJECT_DELETE, { id }).catch(() => undefined),
      deselect: () => this.world?.editor.select(null),
    });
    this.layout = new SpaceLayout(spaceName, {
      banner: this.banner.el,
      toolbar: this.toolbar.el,
      help: this.help.el,
      people: this.people.el,
      chat: this.chat.el,
      onHelp: () => this.help.toggle(),
    });
    this.el = this.layout.el;
    this.toolbar.setEditable(false, "connecting…");
  }

  mounted(): void {
    document.title = `${this.spaceName} · medverse`;
    const world = new SpaceWorld(this.layout.viewport, this.session);
    this.world = world;
    this.layout.vrSlot.appendChild(world.vr.el);
    this.kinds = new KindHost(this.session, world, { panel: this.layout.kindPanel, buttons: this.layout.kindButtons }, this.app.toaster);
    this.mountMedia(world);
    this.wire();
    window.addEventListener("keydown", this.onKey);
    window.addEventListener("keyup", this.onKeyUp);
    this.testHook = new TestHook(this);
    this.session.start();
  }

  // ---- session -> page ----------------------------------------------------------------------

  private wire(): void {
    const session = this.session;
    const c = session.connection.events;
    const s = session.state.events;
    this.unsubscribe.push(
      c.on("status", (st) => {
        this.banner.set(st);
        this.layout.setStatus(st);
        this.updatePermissions();
      }),
      c.on("error", (err) => {
        if (err.id === null && err.code === ErrorCode.BAD_MESSAGE) return; // a dropped pose frame: nothing to show
        this.app.toaster.show(err.message, "error");
      }),
      c.on("ended", ({ code, reason }) => this.onEnded(code, reason)),
      c.on("outdated", ({ message }) => this.layout.showNotice("This page needs reloading", message)),
      session.events.on("welcome", ({ welcome }) => this.onWelcome(welcome)),
      session.events.on("role", ({ role, announce }) => {
        this.layout.setRole(role);
        if (announce) this.app.toaster.show(`Your role is now ${ROLE_LABEL[role]}`, "info");
        this.updatePermissions();
      }),
      session.events.on("people", () => this.onPeopleChanged()),
      session.events.on("notice", (text) => this.chat.system(text)),
      s.on("reset", () => {
        this.chat.reset(this.session.state.chat);
        this.updatePermissions();
      }),
      s.on("chat", (e) => this.chat.add(e)),
      s.on("locked", () => this.renderPeople()),
      s.on("policy", (edit) => {
        this.updatePermissions();
        this.app.toaster.show(edit === "participant" ? "Participants may now edit objects" : "Only instructors may edit objects now", "info");
      }),
      s.on("memberMuted", ({ user_id, muted }) => {
        if (user_id === this.session.myUserId) this.app.toaster.show(muted ? "An instructor muted your chat" : "You may chat again", "info");
      }),
    );
    if (this.world) this.unsubscribe.push(this.world.events.on("selection", (o) => this.toolbar.showSelection(o)));
  }

  private mountMedia(world: SpaceWorld): void {
    const session = this.session;
    const media = new MediaController(session, world.mediaWorld());
    this.media = media;
    const strip = new VideoStrip((pid) => session.participants.get(pid)?.display_name ?? "Someone");
    this.videoStrip = strip;
    this.mediaBar = new MediaBar(media, {
      raiseHand: (raised) => void this.send(Cmd.VOICE_RAISE_HAND, { raised }).catch(() => undefined),
      handRaised: () => session.myUserId !== null && session.state.voice.hands.includes(session.myUserId),
      canRaiseHand: () => session.role === "participant",
    });
    this.layout.viewport.append(this.mediaBar.el, strip.el);
    const showVideos = (): void => {
      const videos = media.remoteVideos();
      strip.update(videos, media.local.camera, media.local.screen);
      for (const p of session.participants.values()) {
        const cam = videos.find((v) => v.pid === p.pid && v.source === "camera");
        world.avatars.setVideo(p.pid, cam ? strip.videoFor(cam.key) : null);
      }
      const screen = videos.find((v) => v.source === "screen" && v.track.kind === "video");
      if (screen) world.board.show(strip.videoFor(screen.key), `${session.participants.get(screen.pid)?.display_name ?? "Someone"}'s screen`);
      else if (media.local.screen) world.board.show(strip.videoFor("own:screen"), "Your screen");
      else world.board.show(null, "");
    };
    this.unsubscribe.push(
      media.events.on("videos", showVideos),
      media.local.events.on("track", showVideos),
      media.events.on("speaking", (pids) => {
        this.people.setSpeaking(pids);
        world.avatars.setSpeaking(pids);
      }),
      media.events.on("notice", ({ text, kind }) => this.app.toaster.show(text, kind)),
      media.events.on("changed", () => this.renderPeople()),
      session.state.events.on("voice", ({ name, data }) => {
        this.mediaBar?.render();
        this.renderPeople();
        this.announceFloor(name, data);
      }),
      session.events.on("people", showVideos),
      world.view.onFrame(() => world.board.face(world.view.camera.getWorldPosition(_eye))),
    );
  }

  /** Adds a 5 m voice zone around where the instructor stands (named by them). */
  private addZone(): void {
    const [x, , z] = this.cameraPosition();
    const zones = this.session.state.voice.zones;
    const name = window.prompt("Name of the voice zone (its voices stay inside)", `Zone ${zones.length + 1}`);
    if (!name || !name.trim()) return;
    let n = zones.length + 1;
    while (zones.some((zone) => zone.id === `zone-${n}`)) n++;
    const round = (v: number): number => Math.round(v * 10) / 10;
    const zone = { id: `zone-${n}`, name: name.trim().slice(0, 40), rect: [round(x - 2.5), round(z - 2.5), round(x + 2.5), round(z + 2.5)] };
    void this.send(Cmd.VOICE_SET_ZONES, { zones: [...zones, zone] }).catch(() => undefined);
  }

  /** Tells the user about floor decisions that concern them. */
  private announceFloor(name: string, data: Record<string, unknown>): void {
    const me = this.session.myUserId;
    if (this.session.role === "instructor") return;
    if (name === Ev.VOICE_MUTED_ALL) this.app.toaster.show(data.muted ? "An instructor muted everyone" : "Everyone may speak again", "info");
    else if (name === Ev.VOICE_FLOOR_GIVEN && data.user_id === me) this.app.toaster.show(data.allowed ? "You have the floor: you may speak" : "The instructor took the floor back", "info");
    else if (name === Ev.VOICE_MUTED && data.user_id === me && !data.muted) this.app.toaster.show("An instructor let you speak again", "info");
  }

  private onWelcome(w: Welcome): void {
    const title = w.space.title || w.space.name;
    this.layout.setTitle(title);
    document.title = `${title} · medverse`;
  }

  private onEnded(code: number, reason: string): void {
    if (code === Close.UNAUTHENTICATED) {
      this.app.setMe(null);
      this.app.flash("Please sign in again.", "info");
      this.app.go(`#/signin?next=${encodeURIComponent(`#/space/${this.spaceName}`)}`);
    } else if (code === Close.NO_SPACE) {
      this.app.flash(`There is no space called “${this.spaceName}”.`, "error");
      this.app.go("#/lobby");
    } else if (code === Close.FORBIDDEN) {
      this.app.flash(reason ? `You cannot be in this space: ${reason}` : "You are not allowed in this space (you were removed, or it is locked).", "error");
      this.app.go("#/lobby");
    } else if (code === Close.PROTOCOL) {
      this.layout.showNotice("The server refused this page", `${reason || "a protocol error"}: reload the page.`);
    }
  }

  // ---- permissions ----------------------------------------------------------------------

  private updatePermissions(): void {
    const online = this.session.connection.connected;
    const role = this.session.role;
    const why = !online ? "Offline: waiting for the connection" : role === "observer" ? "Observers cannot edit objects" : "Only instructors may edit objects in this space";
    this.toolbar.setEditable(online && this.session.canEdit(), why);
    this.world?.editor.refresh();
    this.renderPeople();
  }

  private onPeopleChanged(): void {
    this.chat.setMuted(Boolean(this.session.me?.muted));
    this.renderPeople();
  }

  private renderPeople(): void {
    const s = this.session;
    this.people.update([...s.participants.values()], s.myPid, s.role === "instructor", s.state.locked, s.state.editPolicy, s.state.voice, this.media?.poor ?? new Set());
  }

  /** Sends a command exactly as the UI does (the test hook uses it). */
  send(name: string, args: Record<string, unknown>): Promise<number> {
    return this.session.send(name, args);
  }

  // ---- keyboard -----------------------------------------------------------------------------

  private key(e: KeyboardEvent): void {
    const world = this.world;
    if (e.key === "Escape") {
      if (this.help.open) this.help.hide();
      else if (isTyping(e)) (e.target as HTMLElement).blur();
      else world?.editor.select(null);
      return;
    }
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const sel = world?.editor.selected ?? null;
    switch (e.key) {
      case "?":
        this.help.toggle();
        break;
      case "Enter":
        e.preventDefault();
        this.chat.input.focus();
        break;
      case "1":
      case "2":
      case "3": {
        const mode = e.key === "1" ? "translate" : e.key === "2" ? "rotate" : "scale";
        world?.setMode(mode);
        this.toolbar.setMode(mode);
        break;
      }
      case "Delete":
      case "Backspace":
        if (sel && this.session.canEdit()) void this.send(Cmd.OBJECT_DELETE, { id: sel }).catch(() => undefined);
        break;
      case "f":
      case "F":
        world?.focusSelected();
        break;
      case "m":
      case "M":
        if (this.media?.joined) this.media.setMuted(this.media.micWanted);
        break;
      case "v":
      case "V":
        if (!e.repeat) this.media?.setTalking(true);
        break;
      default:
        break;
    }
  }

  // ---- test hook accessors ------------------------------------------------------------------

  /** Used by TestHook only. */
  debugInfo(): { avatars: ReturnType<AvatarManager["list"]>; frames: number; me: Welcome["you"] | null; role: Role; participants: Participant[]; vrReason: string; canEdit: boolean; policy: EditPolicy } {
    const s = this.session;
    return {
      avatars: this.world?.avatars.list() ?? [],
      frames: this.world?.view.frames ?? 0,
      me: s.welcome ? { ...s.welcome.you, role: s.role } : null,
      role: s.role,
      participants: [...s.participants.values()].map((p) => ({ ...p })),
      vrReason: this.world?.vr.reason ?? "",
      canEdit: s.canEdit(),
      policy: s.state.editPolicy,
    };
  }

  /** Used by TestHook only: an object's centre in client pixels (null when unknown or behind). */
  screenOf(id: string): { x: number; y: number } | null {
    return this.world?.screenOf(id) ?? null;
  }

  /** Used by TestHook only: what the screen board shows. */
  boardInfo(): { visible: boolean; width: number; height: number; time: number } {
    const board = this.world?.board;
    const v = board?.video ?? null;
    return { visible: Boolean(board?.group.visible), width: v?.videoWidth ?? 0, height: v?.videoHeight ?? 0, time: v?.currentTime ?? 0 };
  }

  /** Used by TestHook only: the camera position (the own head on desktop). */
  cameraPosition(): [number, number, number] {
    return this.world?.cameraPosition() ?? [0, 0, 0];
  }

  dispose(): void {
    window.removeEventListener("keydown", this.onKey);
    window.removeEventListener("keyup", this.onKeyUp);
    this.unsubscribe.forEach((u) => u());
    this.mediaBar?.dispose();
    this.videoStrip?.dispose();
    this.media?.dispose();
    this.session.dispose();
    this.testHook?.dispose();
    this.banner.dispose();
    this.kinds?.dispose();
    this.world?.dispose();
  }
}
