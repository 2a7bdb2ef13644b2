/** A routed page: the App mounts its element and calls dispose() when navigating away. */
export interface Page {
  readonly el: HTMLElement;
  /** Called after the element is in the document. */
  mounted?(): void;
  dispose(): void;
}
