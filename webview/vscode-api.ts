/** The webview side of the typed protocol: acquireVsCodeApi() once, typed post/state, validated incoming messages. */

interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

/** A typed channel to the extension: `post` accepts only `Out`, `onMessage` delivers only what `parse` accepts. */
export function connect<Out, In, State>(parse: (value: unknown) => In | undefined, onMessage: (message: In) => void): {
  post(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
} {
  const api = acquireVsCodeApi<State>();
  window.addEventListener("message", (event: MessageEvent<unknown>) => {
    const message = parse(event.data);
    if (message) onMessage(message);
    else console.warn("Deepfake Studio: ignored a malformed message", event.data);
  });
  return {
    post: (message) => api.postMessage(message),
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}

/** document.createElement with attributes and children; text is set as text, never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Record<string, string | number | boolean | undefined>, ...children: Array<Node | string>): HTMLElementTagNameMap[K];
export function h(tag: string, attributes?: Record<string, string | number | boolean | undefined>, ...children: Array<Node | string>): HTMLElement;
export function h(tag: string, attributes: Record<string, string | number | boolean | undefined> = {}, ...children: Array<Node | string>): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children);
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** document.createElementNS for SVG, attributes set as attributes (no inline style: the CSP forbids it). */
export function svg(tag: string, attributes: Record<string, string | number> = {}, ...children: Array<Node | string>): SVGElement {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** 0.1234 → "12.3%". */
export function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
