// Tiny DOM helpers: h("button.primary", {onclick}, "Send") builds elements without a framework.

type Child = Node | string | number | null | undefined | false;
type Attrs = { [key: string]: unknown };

type TagOf<S extends string> = S extends `${infer T}.${string}` ? TagOf<T> : S extends `${infer T}#${string}` ? T : S;
type ElementOf<S extends string> = TagOf<S> extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[TagOf<S>] : HTMLElement;
type Children = (Child | Children)[];

/** Creates an element. `tag` may carry classes and an id: "div.panel.chat#chat". */
export function h<S extends string>(tag: S, attrs: Attrs | null = null, ...children: Children): ElementOf<S> {
  const hash = tag.indexOf("#");
  let id = "";
  let rest: string = tag;
  if (hash >= 0) {
    const end = tag.indexOf(".", hash);
    id = tag.slice(hash + 1, end < 0 ? undefined : end);
    rest = tag.slice(0, hash) + (end < 0 ? "" : tag.slice(end));
  }
  const [name, ...classes] = rest.split(".");
  const el = document.createElement(name) as ElementOf<S>;
  if (id) el.id = id;
  for (const c of classes) if (c) el.classList.add(c);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2), value as EventListener);
      } else if (key === "class") {
        for (const c of String(value).split(/\s+/)) if (c) el.classList.add(c);
      } else if (key === "style" && typeof value === "object") {
        Object.assign(el.style, value);
      } else if (key in el && key !== "list" && key !== "form" && typeof value !== "string") {
        (el as unknown as Record<string, unknown>)[key] = value;
      } else if (value === true) {
        el.setAttribute(key, "");
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Children): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** Replaces all children of `el`. */
export function replace(el: Element, ...children: Children): void {
  el.replaceChildren();
  append(el, children);
}

/** A short relative or clock time for a unix timestamp in seconds. */
export function clock(ts: number): string {
  const d = new Date(ts * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** A stable pleasant colour for an id (avatars, participant dots). */
export function colourFor(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)}, 65%, 58%)`;
}

export const ROLE_LABEL: Record<string, string> = {
  instructor: "Instructor",
  participant: "Participant",
  observer: "Observer",
};
