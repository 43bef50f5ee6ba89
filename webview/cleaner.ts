/**
 * The Cleaner view (fastai's ImageClassifierCleaner, done right): pick a category and a split, review the images
 * by loss (highest first), choose Keep / Delete / another label per image. Choices are kept per file, so they
 * survive switching category or split; Apply sends them all, the extension (core) applies them.
 * Keyboard: arrows move between thumbnails, k keeps, d or Delete deletes, 1–9 picks the n-th category.
 * "Where it looked" lays the run's activation map over each thumbnail (drawn here with the studio's own
 * cam/draw-overlay.ts) and marks the cards whose map lies mostly outside the face.
 */
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-radio/index.js";
import "@vscode-elements/elements/dist/vscode-radio-group/index.js";
import "@vscode-elements/elements/dist/vscode-badge/index.js";
import { drawCamOverlay } from "../src/core/cam/draw-overlay";
import { resizeBilinear } from "../src/core/cam/resize-map";
import {
  assertNever,
  parseCleanerToWebview,
  type CleanerFromWebview,
  type CleanerItem,
  type CleanerMap,
  type CleanerMaps,
  type CleanerState,
  type CleanerToWebview,
  type Choice,
  type Split,
} from "../src/shared/protocol";
import { connect, h, percent } from "./vscode-api";

/** What survives hiding the view or reloading the window. */
interface SavedState {
  category?: string;
  split: Split;
  choices: Array<[string, Choice]>;
  showMaps?: boolean;
}

/** Side of the drawn map in pixels; the canvas is stretched over the thumbnail. */
const MAP_SIDE = 112;

const app = document.getElementById("app") as HTMLElement;
let state: CleanerState | undefined;
let busy: string | undefined;
let status: { ok: boolean; message: string } | undefined;
let focusedFile: string | undefined;

const channel = connect<CleanerFromWebview, CleanerToWebview, SavedState>(parseCleanerToWebview, receive);
const saved = channel.getState();
let category = saved?.category;
let split: Split = saved?.split ?? "train";
const choices = new Map<string, Choice>(saved?.choices ?? []);
let showMaps = saved?.showMaps ?? false;
let maps: CleanerMaps | undefined;
let mapsByFile = new Map<string, CleanerMap>();
/** Drawn overlays, per file of the current maps: a re-render (every choice) does not draw them again. */
let drawn = new Map<string, ImageData>();
let mapsRequested = false;

function save(): void {
  channel.setState({ category, split, choices: [...choices], showMaps });
}

/** Asks for the shown run's maps once, when the toggle is on and they are missing. */
function requestMaps(): void {
  if (!showMaps || !state?.runId || mapsRequested || maps?.runId === state.runId) return;
  mapsRequested = true;
  channel.post({ type: "cleaner/maps" });
}

function receive(message: CleanerToWebview): void {
  switch (message.type) {
    case "cleaner/state":
      // A new run's losses make the last apply/undo message stale ("Restored 2 image(s)" under a new run misleads).
      if (state && state.runId !== message.state.runId) status = undefined;
      state = message.state;
      busy = undefined;
      // Choices for images that are gone (applied, moved) no longer mean anything.
      for (const file of [...choices.keys()]) if (!state.items.some((item) => item.file === file)) choices.delete(file);
      if (!category || !state.labels.includes(category)) category = state.labels[0];
      if (maps && maps.runId !== state.runId) setMaps(undefined);
      save();
      render();
      requestMaps();
      break;
    case "cleaner/maps":
      mapsRequested = false;
      setMaps(message.maps);
      render();
      break;
    case "cleaner/busy":
      busy = message.message;
      render();
      break;
    case "cleaner/show":
      if (state?.labels.includes(message.category) || !state) {
        category = message.category;
        save();
        render();
      }
      break;
    case "cleaner/result":
      busy = undefined;
      status = { ok: message.ok, message: message.message };
      if (message.clearChoices) choices.clear();
      save();
      render();
      break;
    default:
      assertNever(message);
  }
}

function setMaps(next: CleanerMaps | undefined): void {
  maps = next;
  mapsByFile = new Map((next?.items ?? []).map((item) => [item.file, item]));
  drawn = new Map();
}

/** The map of `file` when the toggle is on and the run's maps are here. */
function mapOf(file: string): CleanerMap | undefined {
  return showMaps && maps && maps.runId === state?.runId ? mapsByFile.get(file) : undefined;
}

/** The overlay of one thumbnail: the map resized to MAP_SIDE and drawn as heat (and the face box) on transparency. */
function overlay(item: CleanerMap): HTMLCanvasElement {
  let image = drawn.get(item.file);
  if (!image) {
    const map = resizeBilinear(item.map, maps!.height, maps!.width, MAP_SIDE, MAP_SIDE);
    image = new ImageData(drawCamOverlay({ map, height: MAP_SIDE, width: MAP_SIDE, face: maps!.face }), MAP_SIDE, MAP_SIDE);
    drawn.set(item.file, image);
  }
  const canvas = h("canvas", { class: "cam-map", width: MAP_SIDE, height: MAP_SIDE, "aria-hidden": "true" });
  canvas.getContext("2d")?.putImageData(image, 0, 0);
  return canvas;
}

/** The images of the current category and split, highest loss first (the extension sent them sorted). */
function visibleItems(): CleanerItem[] {
  return (state?.items ?? []).filter((item) => item.label === category && item.split === split);
}

function choiceOf(file: string): Choice {
  return choices.get(file) ?? { action: "keep" };
}

function choiceValue(choice: Choice): string {
  return choice.action === "relabel" ? `relabel:${choice.label}` : choice.action;
}

function parseChoiceValue(value: string): Choice {
  if (value.startsWith("relabel:")) return { action: "relabel", label: value.slice("relabel:".length) };
  return value === "delete" ? { action: "delete" } : { action: "keep" };
}

function setChoice(item: CleanerItem, choice: Choice): void {
  if (state?.readOnly) return;
  if (choice.action === "keep" || (choice.action === "relabel" && choice.label === item.label)) choices.delete(item.file);
  else choices.set(item.file, choice);
  focusedFile = item.file;
  save();
  render();
}

function render(): void {
  const focusWasInGrid = document.activeElement?.closest?.(".grid") !== null && document.activeElement !== document.body;
  app.replaceChildren();
  app.removeAttribute("aria-busy");
  if (!state) {
    app.append(h("p", { class: "notice" }, "Loading…"));
    return;
  }
  if (state.labels.length === 0 || (state.items.length === 0 && state.notice)) {
    app.append(h("p", { class: "notice", id: "notice" }, state.notice ?? "Nothing to clean."));
    if (state.labels.length > 0 && !state.runId && !state.readOnly) {
      const train = h("vscode-button", { id: "train" }, "Train a model");
      train.addEventListener("click", () => channel.post({ type: "cleaner/train" }));
      app.append(train);
    }
    app.append(footer());
    return;
  }
  app.append(toolbar(), summary(), mapsNote(), grid(), footer());
  if (focusWasInGrid) focusTile(focusedFile);
}

function toolbar(): HTMLElement {
  const select = h("vscode-single-select", { id: "category", "aria-label": "Category" });
  for (const label of state!.labels) {
    const count = state!.items.filter((item) => item.label === label && item.split === split).length;
    select.append(h("vscode-option", { value: label, selected: label === category }, `${label} (${count})`));
  }
  select.addEventListener("change", () => {
    category = (select as unknown as { value: string }).value;
    save();
    render();
  });
  const radios = h("vscode-radio-group", { id: "split", "aria-label": "Split" });
  for (const value of ["train", "valid"] as const) {
    radios.append(h("vscode-radio", { name: "split", value, checked: value === split, label: value === "train" ? "Train" : "Valid" }, value === "train" ? "Train" : "Valid"));
  }
  radios.addEventListener("change", (event) => {
    const value = (event.target as { value?: string }).value;
    if (value === "train" || value === "valid") {
      split = value;
      save();
      render();
    }
  });
  // A native checkbox: it toggles on a click anywhere on its label, as a user expects.
  const input = h("input", { type: "checkbox", id: "cam-toggle", checked: showMaps, disabled: !state!.runId });
  input.addEventListener("change", () => {
    showMaps = input.checked;
    save();
    render();
    requestMaps();
  });
  const toggle = h("label", { class: "cam-toggle", for: "cam-toggle", title: "Lay the run's activation map over each picture and mark the cards whose map lies mostly outside the face" }, input, "Where it looked");
  return h("div", { class: "toolbar" }, select, radios, toggle);
}

/** What the overlay shows (or why there is none), while the toggle is on. */
function mapsNote(): HTMLElement | string {
  if (!showMaps) return "";
  const text = maps && maps.runId === state?.runId ? maps.note : "Drawing where the model looked…";
  return h("p", { class: "cam-note", id: "cam-note" }, text);
}

function summary(): HTMLElement {
  const shown = visibleItems().length;
  const deletes = [...choices.values()].filter((choice) => choice.action === "delete").length;
  const relabels = choices.size - deletes;
  const pending = choices.size > 0 ? ` · ${choices.size} pending: ${deletes} delete, ${relabels} relabel` : "";
  return h("p", { class: "summary", id: "summary" }, `Run ${state!.runId ?? "?"} · ${shown} image${shown === 1 ? "" : "s"}, highest loss first${pending}`);
}

function grid(): HTMLElement {
  const items = visibleItems();
  const list = h("div", { class: "grid", role: "listbox", id: "grid", "aria-label": `${category ?? ""} ${split} images, highest loss first. Arrows move; k keep, d delete, 1–9 pick a category.` });
  if (items.length === 0) list.append(h("p", { class: "notice" }, `No ${split === "train" ? "training" : "validation"} images of ${category ?? "this category"} in this run.`));
  if (!items.some((item) => item.file === focusedFile)) focusedFile = items[0]?.file;
  items.forEach((item, index) => list.append(tile(item, index)));
  return list;
}

function tile(item: CleanerItem, index: number): HTMLElement {
  const choice = choiceOf(item.file);
  const wrong = item.predicted !== item.label;
  const name = item.file.split("/").pop() ?? item.file;
  const map = mapOf(item.file);
  const elsewhere = map?.elsewhere === true;
  const element = h("div", {
    class: `tile choice-${choice.action}${wrong ? " wrong" : ""}${elsewhere ? " looks-elsewhere" : ""}`,
    role: "option",
    tabindex: item.file === focusedFile ? 0 : -1,
    "data-file": item.file,
    "data-index": index,
    "aria-selected": item.file === focusedFile,
    "aria-label": `${index + 1}: ${name}, predicted ${item.predicted} ${percent(item.confidence)}, loss ${item.loss.toFixed(2)}, ${describeChoice(choice)}${elsewhere ? ", the model looked mostly off the face" : ""}`,
  });
  const img = h("img", { src: item.src, alt: `${item.label}: ${name}`, loading: "lazy", draggable: "false" });
  // The label may wrap; the confidence has its own line so a long label never hides it.
  const meta = h(
    "div",
    { class: "meta" },
    h("span", { class: "predicted", title: `predicted: ${item.predicted}` }, item.predicted),
    h("span", { class: "scores" }, h("span", { class: "confidence", title: "confidence of the prediction" }, percent(item.confidence)), " · ", h("span", { class: "loss", title: "loss" }, `loss ${item.loss.toFixed(2)}`)),
  );
  const select = h("vscode-single-select", { class: "choice", "aria-label": `Choice for ${name}`, disabled: state!.readOnly, "data-file": item.file });
  select.append(h("vscode-option", { value: "keep", selected: choice.action === "keep" }, "Keep"));
  select.append(h("vscode-option", { value: "delete", selected: choice.action === "delete" }, "Delete"));
  for (const label of state!.labels) {
    if (label === item.label) continue;
    select.append(h("vscode-option", { value: `relabel:${label}`, selected: choice.action === "relabel" && choice.label === label }, `→ ${label}`));
  }
  select.addEventListener("change", () => setChoice(item, parseChoiceValue((select as unknown as { value: string }).value)));
  const badge = h("span", { class: "badge", "aria-hidden": "true" }, badgeText(choice));
  // With its map, the picture is shown squished to a square as the model saw it, so the map lies where it was computed.
  const thumb = map ? h("div", { class: "thumb with-map" }, img, overlay(map), badge) : h("div", { class: "thumb" }, img, badge);
  if (elsewhere) thumb.append(h("span", { class: "elsewhere-mark", title: `${Math.round((map?.faceShare ?? 0) * 100)}% of the map lies inside the face` }, "Looks off the face"));
  element.append(thumb, meta, select);
  element.addEventListener("focus", () => {
    focusedFile = item.file;
  });
  element.addEventListener("click", (event) => {
    if ((event.target as HTMLElement).closest("vscode-single-select")) return;
    focusedFile = item.file;
    element.focus();
  });
  element.addEventListener("keydown", (event) => onTileKey(event, item, index));
  return element;
}

function describeChoice(choice: Choice): string {
  return choice.action === "relabel" ? `relabel as ${choice.label}` : choice.action;
}

function badgeText(choice: Choice): string {
  return choice.action === "delete" ? "Delete" : choice.action === "relabel" ? `→ ${choice.label}` : "";
}

function onTileKey(event: KeyboardEvent, item: CleanerItem, index: number): void {
  if (event.target !== event.currentTarget || event.altKey || event.ctrlKey || event.metaKey) return;
  const items = visibleItems();
  const columns = gridColumns();
  const move = (to: number) => {
    const next = items[Math.max(0, Math.min(items.length - 1, to))];
    if (!next) return;
    focusedFile = next.file;
    focusTile(next.file);
  };
  switch (event.key) {
    case "ArrowRight":
      move(index + 1);
      break;
    case "ArrowLeft":
      move(index - 1);
      break;
    case "ArrowDown":
      move(index + columns);
      break;
    case "ArrowUp":
      move(index - columns);
      break;
    case "Home":
      move(0);
      break;
    case "End":
      move(items.length - 1);
      break;
    case "k":
    case "K":
      setChoice(item, { action: "keep" });
      break;
    case "d":
    case "D":
    case "Delete":
      setChoice(item, { action: "delete" });
      break;
    default: {
      const number = Number(event.key);
      const label = Number.isInteger(number) && number >= 1 ? state?.labels[number - 1] : undefined;
      if (!label) return;
      setChoice(item, label === item.label ? { action: "keep" } : { action: "relabel", label });
    }
  }
  event.preventDefault();
}

/** How many tiles fit in a row (for Up/Down). */
function gridColumns(): number {
  const tiles = [...document.querySelectorAll<HTMLElement>(".tile")];
  if (tiles.length < 2) return 1;
  const top = tiles[0].offsetTop;
  const inFirstRow = tiles.findIndex((tile) => tile.offsetTop !== top);
  return inFirstRow === -1 ? tiles.length : inFirstRow;
}

function focusTile(file: string | undefined): void {
  const tiles = [...document.querySelectorAll<HTMLElement>(".tile")];
  for (const tile of tiles) {
    const match = tile.dataset.file === file;
    tile.tabIndex = match ? 0 : -1;
    tile.setAttribute("aria-selected", String(match));
    if (match) {
      tile.focus();
      tile.scrollIntoView({ block: "nearest" });
    }
  }
}

function footer(): HTMLElement {
  const readOnly = state?.readOnly ?? true;
  const apply = h("vscode-button", { id: "apply", disabled: readOnly || choices.size === 0 || busy !== undefined }, choices.size > 0 ? `Apply ${choices.size} change${choices.size === 1 ? "" : "s"}` : "Apply");
  apply.addEventListener("click", () => {
    if (apply.hasAttribute("disabled")) return;
    channel.post({ type: "cleaner/apply", decisions: [...choices].map(([file, choice]) => ({ file, choice })) });
  });
  const undo = h("vscode-button", { id: "undo", secondary: true, disabled: readOnly || !state?.canUndo || busy !== undefined }, "Undo last apply");
  undo.addEventListener("click", () => {
    if (!undo.hasAttribute("disabled")) channel.post({ type: "cleaner/undo" });
  });
  const line = busy ?? status?.message ?? (readOnly ? "Restricted Mode: the cleaner is read-only. Trust the workspace to apply changes." : "");
  const statusLine = h("p", { class: `status${status && !status.ok ? " error" : ""}`, id: "status", role: "status", "aria-live": "polite" }, line);
  return h("div", { class: "footer" }, h("div", { class: "buttons" }, apply, undo), statusLine);
}

render();
channel.post({ type: "cleaner/ready" });
