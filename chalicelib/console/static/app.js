// The image streams console: one ES module, no build step, no library.
//
// Everything shown comes from the public API with the signed-in user's bearer token, so the
// API's access control decides what the console can read and do. The token is kept in
// sessionStorage only (gone when the tab closes), sent as an Authorization header, never
// put in a URL. Pages are addressed by the URL's fragment (#/ns/<namespace>/...), which the
// browser never sends to the server. DOM is built with createElement and textContent only:
// the page's CSP (Trusted Types) refuses HTML written from strings.

const TOKEN_KEY = "imagestreams.console.token";
const USER_KEY = "imagestreams.console.user";
const NAMESPACES_KEY = "imagestreams.console.namespaces";
// The API's root: this module is served at <root>console/assets/app.<hash>.js.
const API_ROOT = new URL("../../", import.meta.url);
const IMAGE_API = "apis/image.openshift.io/v1";
const WATCH_SECONDS = 25; // the API answers a watch within this, or as soon as a change comes
const RETRY_MS = 5000;

const main = document.getElementById("main");
const crumbs = document.getElementById("crumbs");
const noticeBox = document.getElementById("notice");
const who = document.getElementById("who");
const signOutButton = document.getElementById("sign-out");
const dialog = document.getElementById("confirm");

// -- small helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const enc = encodeURIComponent;

// Elements with a space between each, so that screen readers and copied text keep words apart.
function spaced(elements) {
  return elements.flatMap((element, index) => (index ? [" ", element] : [element]));
}

function shortDigest(digest) {
  if (!digest) return "";
  const [algorithm, hex] = digest.includes(":") ? digest.split(":", 2) : ["", digest];
  return (algorithm ? algorithm + ":" : "") + hex.slice(0, 12);
}

// A short digest, kept on one line (a table scrolls rather than break it), the whole on hover.
function digestCode(digest, title) {
  return h("code", { class: "digest", title: title || digest }, shortDigest(digest));
}

// Each cell named by its column's title (data-label), which a narrow window shows beside
// it, each row a block of its own (console.css); the roles keep it a table for screen
// readers, which may drop a table's semantics once its rows are display: block.
function labelCells(table) {
  const titles = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  table.setAttribute("role", "table");
  for (const group of table.querySelectorAll("thead, tbody")) group.setAttribute("role", "rowgroup");
  for (const row of table.querySelectorAll("tr")) {
    row.setAttribute("role", "row");
    [...row.children].forEach((cell, index) => {
      const header = cell.tagName === "TH";
      cell.setAttribute("role", !header ? "cell" : cell.scope === "row" ? "rowheader" : "columnheader");
      if (row.parentElement.tagName === "TBODY" && titles[index]) cell.dataset.label = titles[index];
    });
  }
}

// A table in a box of its own: in a narrow window its rows become blocks; in between, a
// table too wide for the window scrolls sideways in its box, which then takes the
// keyboard's focus so that it can be scrolled without a mouse.
function tableBox(label, table) {
  const box = h("div", { class: "table-wrap", role: "region", "aria-label": label }, table);
  labelCells(table);
  const body = table.querySelector("tbody");
  if (body) new MutationObserver(() => labelCells(table)).observe(body, { childList: true });
  new ResizeObserver(() => {
    if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  }).observe(box);
  return box;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
  ["hour", 3600], ["minute", 60], ["second", 1]];

function ago(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return iso;
}

// A time as people read it, with the exact time on hover and for screen readers.
function when(iso) {
  if (!iso || Number.isNaN(Date.parse(iso))) return h("span", { class: "muted" }, "—");
  const exact = new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
  return h("time", { datetime: iso, title: exact, "aria-label": `${ago(iso)} (${exact})` }, ago(iso));
}

function size(bytes) {
  if (typeof bytes !== "number" || bytes <= 0) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes, unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

let flash = null; // a notice for the next page, the outcome of an action that led to it

function notice(message, kind) {
  noticeBox.className = "notice" + (kind ? " " + kind : "");
  noticeBox.textContent = message || "";
}

function rememberNamespace(namespace) {
  const known = new Set(JSON.parse(sessionStorage.getItem(NAMESPACES_KEY) || "[]"));
  known.add(namespace);
  sessionStorage.setItem(NAMESPACES_KEY, JSON.stringify([...known].sort()));
}

// -- the API

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `the API answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path, { method = "GET", body, signal, contentType } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = contentType || "application/json";
  const response = await fetch(new URL(path, API_ROOT), {
    method, headers, signal, cache: "no-store", credentials: "omit",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (response.status === 401) {
    signOut(`Your token was not accepted: ${(parsed && parsed.message) || "unauthorized"}. Sign in again.`);
    throw new ApiError(401, parsed);
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { body: parsed, text };
}

function ns(namespace, rest) {
  return `${IMAGE_API}/namespaces/${enc(namespace)}/${rest}`;
}

// What the user may do, asked of the API (SelfSubjectAccessReview) once per page load.
const reviews = new Map();

function may(namespace, verb, resource) {
  const key = `${namespace}|${verb}|${resource}`;
  if (!reviews.has(key)) {
    reviews.set(key, api("apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
      method: "POST",
      body: {
        apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { namespace, verb, group: "image.openshift.io", resource } },
      },
    }).then(({ body }) => Boolean(body && body.status && body.status.allowed))
      .catch((error) => { reviews.delete(key); if (error.status === 401) throw error; return false; }));
  }
  return reviews.get(key);
}

// -- signing in and out

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  sessionStorage.removeItem(NAMESPACES_KEY);
  reviews.clear();
  stopLive();
  showUser();
  renderSignIn(message);
}

function showUser() {
  const user = sessionStorage.getItem(USER_KEY);
  who.textContent = user && token() ? `Signed in as ${user}` : "";
  signOutButton.hidden = !token();
}

signOutButton.addEventListener("click", () => {
  signOut("You signed out; the token is no longer kept by this tab.");
});

function renderSignIn(message) {
  crumbs.replaceChildren();
  const input = h("input", {
    type: "password", id: "token", name: "token", autocomplete: "off", required: true,
    spellcheck: "false", "aria-describedby": "token-hint",
  });
  const error = h("p", { id: "signin-error", class: "forbidden", role: "alert", hidden: !message });
  if (message) error.textContent = message;
  const form = h("form", { class: "signin", id: "signin" },
    h("label", { for: "token" }, "Access token",
      h("span", { class: "hint", id: "token-hint" },
        "A bearer token of this service (isk_…). It is kept in this tab only, until you sign out or close it.")),
    input,
    h("p", {}, h("button", { type: "submit" }, "Sign in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const candidate = input.value.trim();
    const response = await fetch(new URL("apis/user.openshift.io/v1/users/~", API_ROOT), {
      headers: { Accept: "application/json", Authorization: `Bearer ${candidate}` },
      cache: "no-store", credentials: "omit",
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      error.hidden = false;
      error.textContent = response.status === 401
        ? `That token was not accepted: ${(body && body.message) || "unauthorized"}.`
        : `Signing in failed: ${(body && body.message) || response.status}.`;
      input.focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, candidate);
    sessionStorage.setItem(USER_KEY, body.metadata.name);
    showUser();
    notice("");
    if (!location.hash || location.hash === "#/signin") location.hash = "#/";
    else route();
  });
  main.replaceChildren(h("h1", { tabindex: "-1" }, "Sign in"), error, form);
  document.title = "Sign in · Image streams console";
  input.focus();
}

// -- the confirmation every change goes through

// `options`: controls of the change (a checkbox), shown below its text until the next one.
function confirmChange(title, lines, okLabel, options) {
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").replaceChildren(...lines.map((line) => h("p", {}, line)));
  document.getElementById("confirm-options").replaceChildren(...(options || []));
  document.getElementById("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

// -- live updates: a watch on the namespace's image streams (a long poll)

let live = null;

function stopLive() {
  if (live) live.abort();
  live = null;
}

function watchStreams(namespace, resourceVersion, fieldSelector, onChange) {
  stopLive();
  const controller = new AbortController();
  live = controller;
  const status = document.getElementById("live");
  (async () => {
    let version = resourceVersion;
    while (!controller.signal.aborted) {
      const query = new URLSearchParams({
        watch: "true", resourceVersion: version, timeoutSeconds: String(WATCH_SECONDS),
        allowWatchBookmarks: "true",
      });
      if (fieldSelector) query.set("fieldSelector", fieldSelector);
      try {
        const { text } = await api(ns(namespace, `imagestreams?${query}`), { signal: controller.signal });
        let changed = false;
        for (const line of text.split("\n")) {
          if (!line.trim()) continue;
          const event = JSON.parse(line);
          const seen = event.object && event.object.metadata && event.object.metadata.resourceVersion;
          if (seen) version = String(seen).split(".")[0];
          if (event.type !== "BOOKMARK") changed = true;
        }
        if (changed && !controller.signal.aborted) {
          if (status) status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
          await onChange();
          return; // the refreshed page starts its own watch from its new list
        }
      } catch (error) {
        if (controller.signal.aborted || error.status === 401) return;
        if (error.status === 410) { await onChange(); return; } // expired: list again
        if (status) status.textContent = `Live updates paused: ${error.message}`;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  })();
}

// -- the router: #/ns/<namespace>/streams/<stream>/tags/<tag>/<action>/<argument>

function parts() {
  return location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
}

function link(text, ...segments) {
  return h("a", { href: "#/" + segments.map(enc).join("/") }, text);
}

function setCrumbs(items) {
  crumbs.replaceChildren(h("ol", {}, items.map((item, index) => h("li", {},
    index === items.length - 1 ? h("span", { "aria-current": "page" }, item[0]) : link(item[0], ...item.slice(1))))));
}

function forbidden(what, error) {
  return h("div", { class: "forbidden", role: "alert" },
    h("strong", {}, `You may not ${what}.`), " ",
    (error && error.body && error.body.message) || "Your roles do not allow it.");
}

function problem(what, error) {
  if (error && error.status === 403) return forbidden(what, error);
  return h("div", { class: "forbidden", role: "alert" },
    h("strong", {}, `Could not ${what}: `), error ? error.message : "unknown error");
}

let rendering = 0;

// Renders a page; a refresh (live update) keeps the scroll position, focus and open details.
async function show(build, { refresh = false } = {}) {
  const mine = ++rendering;
  const scroll = window.scrollY;
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.key : undefined;
  const open = new Set([...main.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key));
  let content;
  try {
    content = await build();
  } catch (error) {
    if (error.status === 401) return;
    content = [h("h1", { tabindex: "-1" }, "Something went wrong"), problem("show this page", error)];
  }
  if (mine !== rendering) return; // the user moved on meanwhile
  main.replaceChildren(...[content].flat(Infinity));
  if (refresh) {
    for (const details of main.querySelectorAll("details[data-key]")) {
      if (open.has(details.dataset.key)) details.open = true;
    }
    const again = focused && main.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
    window.scrollTo(0, scroll);
  } else {
    const heading = main.querySelector("h1");
    if (heading) heading.focus();
  }
}

async function route() {
  if (dialog.open) dialog.close("cancel");
  if (!token()) { stopLive(); renderSignIn(); return; }
  showUser();
  stopLive();
  notice(flash ? flash.message : "", flash ? flash.kind : "");
  flash = null;
  const [first, namespace, kind, stream, sub, tag, action, argument] = parts();
  if (first !== "ns" || !namespace) return show(namespacesPage);
  rememberNamespace(namespace);
  if (!kind) return show(() => streamsPage(namespace));
  if (kind === "images" && stream) return show(() => imagePage(namespace, stream));
  if (kind !== "streams" || !stream) return show(() => streamsPage(namespace));
  if (sub === "tags" && tag) return show(() => tagPage(namespace, stream, tag, action, argument));
  return show(() => streamPage(namespace, stream));
}

window.addEventListener("hashchange", route);

// -- namespaces

async function namespacesPage() {
  setCrumbs([["Namespaces"]]);
  document.title = "Namespaces · Image streams console";
  const found = new Set(JSON.parse(sessionStorage.getItem(NAMESPACES_KEY) || "[]"));
  let note;
  try {
    // Every namespace's streams: answered to cluster roles only.
    const { body } = await api(`${IMAGE_API}/imagestreams?limit=500`);
    for (const item of body.items || []) found.add(item.metadata.namespace);
    note = h("p", { class: "muted" }, "Namespaces that hold image streams, and those you opened in this tab.");
  } catch (error) {
    if (error.status === 401) throw error;
    note = h("p", { class: "muted" },
      "Your roles are bound per namespace, and the API lists namespaces to cluster roles only: " +
      "open a namespace by its name. Those you open are listed here for this tab.");
  }
  const input = h("input", { type: "text", id: "namespace", name: "namespace", required: true,
    autocomplete: "off", spellcheck: "false", pattern: "[a-z0-9]([-a-z0-9]*[a-z0-9])?" });
  const form = h("form", { class: "inline", id: "open-namespace" },
    h("label", { for: "namespace" }, "Namespace", input),
    h("button", { type: "submit" }, "Open"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = "#/ns/" + enc(input.value.trim());
  });
  const list = [...found].sort();
  return [
    h("h1", { tabindex: "-1" }, "Namespaces"), note,
    list.length ? h("ul", { id: "namespaces" }, list.map((name) => h("li", {}, link(name, "ns", name))))
      : h("p", { class: "muted" }, "No namespace yet."),
    h("h2", {}, "Open a namespace"), form,
  ];
}

// -- a namespace's streams

function failingImports(stream) {
  return ((stream.status && stream.status.tags) || []).filter((tag) => (tag.conditions || []).some(
    (condition) => condition.type === "ImportSuccess" && condition.status === "False"));
}

function lastUpdate(stream) {
  const times = ((stream.status && stream.status.tags) || [])
    .map((tag) => tag.items && tag.items[0] && tag.items[0].created).filter(Boolean).sort();
  return times.length ? times[times.length - 1] : stream.metadata.creationTimestamp;
}

function tagNames(stream) {
  const names = new Set(((stream.spec && stream.spec.tags) || []).map((tag) => tag.name));
  for (const tag of (stream.status && stream.status.tags) || []) names.add(tag.tag);
  return [...names].sort();
}

// "app=web, tier!=db, team": each term must hold.
function matchesLabels(labels, selector) {
  return selector.split(",").map((term) => term.trim()).filter(Boolean).every((term) => {
    const negated = term.match(/^([^!=]+)!=(.*)$/);
    if (negated) return labels[negated[1].trim()] !== negated[2].trim();
    const equal = term.match(/^([^=]+)==?(.*)$/);
    if (equal) return labels[equal[1].trim()] === equal[2].trim();
    return term in labels;
  });
}

const filters = new Map(); // per namespace, kept across refreshes and visits in this tab

async function streamsPage(namespace) {
  setCrumbs([["Namespaces", ""], [namespace]]);
  document.title = `${namespace} · Image streams console`;
  let list;
  try {
    list = (await api(ns(namespace, "imagestreams"))).body;
  } catch (error) {
    if (error.status === 401) throw error;
    return [h("h1", { tabindex: "-1" }, `Image streams in ${namespace}`),
      problem(`list image streams in namespace ${namespace}`, error)];
  }
  const filter = filters.get(namespace) || { name: "", labels: "" };
  filters.set(namespace, filter);
  const body = h("tbody", {});
  const count = h("p", { class: "muted", id: "stream-count", "aria-live": "polite" });
  const fill = () => {
    const shown = (list.items || []).filter((stream) =>
      stream.metadata.name.includes(filter.name.trim()) &&
      matchesLabels(stream.metadata.labels || {}, filter.labels));
    body.replaceChildren(...shown.map((stream) => {
      const failing = new Map(failingImports(stream).map((tag) => [tag.tag, tag]));
      return h("tr", {},
        h("th", { scope: "row" }, link(stream.metadata.name, "ns", namespace, "streams", stream.metadata.name)),
        h("td", {}, spaced(tagNames(stream).map((name) => {
          const bad = failing.get(name);
          const message = bad && bad.conditions.find((c) => c.type === "ImportSuccess").message;
          return h("span", { class: "badge " + (bad ? "bad" : "plain"), title: bad ? `Import failing: ${message}` : null },
            name, bad ? " — import failing" : "");
        }))),
        h("td", {}, when(lastUpdate(stream))),
        h("td", {}, spaced(Object.entries(stream.metadata.labels || {}).map(([key, value]) =>
          h("span", { class: "badge plain" }, `${key}=${value}`)))));
    }));
    count.textContent = `${shown.length} of ${(list.items || []).length} streams shown.`;
  };
  const nameInput = h("input", { type: "search", id: "filter-name", value: filter.name, "data-key": "filter-name",
    oninput: (event) => { filter.name = event.target.value; fill(); } });
  const labelInput = h("input", { type: "search", id: "filter-labels", value: filter.labels,
    "data-key": "filter-labels", placeholder: "app=web, tier!=db",
    oninput: (event) => { filter.labels = event.target.value; fill(); } });
  fill();
  watchStreams(namespace, list.metadata.resourceVersion, "",
    () => show(() => streamsPage(namespace), { refresh: true }));
  return [
    h("h1", { tabindex: "-1" }, `Image streams in ${namespace}`),
    h("div", { class: "filters", role: "search" },
      h("label", { for: "filter-name" }, "Filter by name", nameInput),
      h("label", { for: "filter-labels" }, "Filter by labels", labelInput)),
    count,
    tableBox(`Image streams in ${namespace}`, h("table", { id: "streams" },
      h("caption", { class: "muted" }, h("span", { id: "live", class: "live" }, "Live: updates as tags move.")),
      h("thead", {}, h("tr", {}, ["Stream", "Tags", "Last update", "Labels"].map((title) => h("th", { scope: "col" }, title)))),
      body)),
  ];
}

// -- one stream

function describeSource(spec) {
  if (!spec || !spec.from) return h("span", { class: "muted" }, "pushed or mapped");
  const { kind, name, namespace } = spec.from;
  const where = namespace ? `${namespace}/` : "";
  if (kind === "ImageStreamTag") return h("span", {}, "tracks ", h("code", {}, where + name));
  if (kind === "ImageStreamImage") return h("span", {}, "image ", h("code", {}, where + name));
  return h("span", {}, spec.reference ? "references " : "imports from ", h("code", {}, name));
}

// A pinned tag (README, Pinned tags): imports, pushes and the tag it tracks leave it where it
// is; a change of its own spec still moves it.
const PINNED = "imagestreams.dev/pinned";
const NEWER_IMAGE_WAITING = "NewerImageWaiting";

function isPinned(spec) {
  return Boolean(spec && spec.annotations && spec.annotations[PINNED] === "true");
}

function pinnedBadge(spec) {
  if (!isPinned(spec)) return null;
  return h("span", { class: "badge warn pinned",
    title: "Pinned: imports, pushes and the tag it tracks do not move it; a change of its spec does." }, "pinned");
}

function conditionClass(condition) {
  if (condition.status === "False") return "bad";
  return condition.type === NEWER_IMAGE_WAITING ? "warn" : "ok"; // an image waits on a pinned tag
}

function conditionsOf(statusTag) {
  const conditions = (statusTag && statusTag.conditions) || [];
  if (!conditions.length) return h("span", { class: "muted" }, "none");
  return h("ul", { class: "plain" }, conditions.map((condition) => h("li", {},
    h("span", { class: "badge " + conditionClass(condition) },
      `${condition.type}: ${condition.status}`),
    condition.reason ? ` ${condition.reason}` : "",
    condition.message ? h("span", { class: "condition-message" }, " — ", condition.message) : "",
    condition.lastTransitionTime ? h("span", { class: "muted" }, " (", when(condition.lastTransitionTime), ")") : "")));
}

async function loadStream(namespace, name) {
  const query = new URLSearchParams({ fieldSelector: `metadata.name=${name}` });
  const [list, tags] = await Promise.all([
    api(ns(namespace, `imagestreams?${query}`)),
    api(ns(namespace, "imagestreamtags")).catch((error) => {
      if (error.status === 401) throw error;
      return { body: { items: [] } };
    }),
  ]);
  const stream = (list.body.items || [])[0];
  if (!stream) throw new ApiError(404, { message: `image stream "${name}" not found in ${namespace}` });
  const istags = new Map((tags.body.items || []).filter((item) => item.metadata.name.startsWith(name + ":"))
    .map((item) => [item.metadata.name.slice(name.length + 1), item]));
  return { stream, istags, resourceVersion: list.body.metadata.resourceVersion };
}

function specTag(stream, tag) {
  return ((stream.spec && stream.spec.tags) || []).find((item) => item.name === tag);
}

function statusTag(stream, tag) {
  return ((stream.status && stream.status.tags) || []).find((item) => item.tag === tag);
}

async function streamPage(namespace, name) {
  setCrumbs([["Namespaces", ""], [namespace, "ns", namespace], [name]]);
  document.title = `${name} · ${namespace} · Image streams console`;
  let loaded;
  try {
    loaded = await loadStream(namespace, name);
  } catch (error) {
    if (error.status === 401) throw error;
    return [h("h1", { tabindex: "-1" }, name), problem(`read image stream ${name} in namespace ${namespace}`, error)];
  }
  const { stream, istags, resourceVersion } = loaded;
  const rows = tagNames(stream).map((tag) => {
    const spec = specTag(stream, tag);
    const status = statusTag(stream, tag);
    const head = status && status.items && status.items[0];
    const image = (istags.get(tag) || {}).image || {};
    const meta = image.dockerImageMetadata || {};
    const platforms = (image.dockerImageManifests || []).map((m) => [m.os, m.architecture, m.variant].filter(Boolean).join("/"));
    return h("tr", {},
      h("th", { scope: "row" }, link(tag, "ns", namespace, "streams", name, "tags", tag),
        isPinned(spec) ? [" ", pinnedBadge(spec)] : null),
      h("td", {}, head && head.image ? digestCode(head.image)
        : head ? h("code", {}, head.dockerImageReference) : h("span", { class: "muted" }, "no image")),
      h("td", {}, head ? when(head.created) : "—"),
      h("td", {}, size(meta.Size)),
      h("td", {}, platforms.length ? platforms.join(", ") : (meta.Architecture || "—")),
      h("td", {}, describeSource(spec)),
      h("td", {}, spec && spec.importPolicy && spec.importPolicy.scheduled ? "scheduled" : "—"),
      h("td", {}, (spec && spec.referencePolicy && spec.referencePolicy.type) || "Source"),
      h("td", {}, conditionsOf(status)));
  });
  const [triggers, messages] = await Promise.all([triggersSection(namespace, name), messagesSection(namespace, name)]);
  watchStreams(namespace, resourceVersion, `metadata.name=${name}`,
    () => show(() => streamPage(namespace, name), { refresh: true }));
  if (messages) followMessages(messages, namespace, name);
  const labels = Object.entries(stream.metadata.labels || {});
  return [
    h("h1", { tabindex: "-1" }, `Image stream ${name}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Repository"), h("dd", {}, h("code", {}, (stream.status && stream.status.dockerImageRepository) || "—")),
      h("dt", {}, "Created"), h("dd", {}, when(stream.metadata.creationTimestamp)),
      h("dt", {}, "Labels"), h("dd", {}, labels.length ? spaced(labels.map(([k, v]) => h("span", { class: "badge plain" }, `${k}=${v}`))) : "—")),
    h("h2", {}, "Tags"),
    h("p", { id: "live", class: "live", "aria-live": "polite" }, "Live: updates as tags move."),
    tableBox(`Tags of ${name}`, h("table", { id: "tags" },
      h("thead", {}, h("tr", {}, ["Tag", "Image", "Created", "Size", "Architecture", "Source", "Schedule",
        "Reference policy", "Conditions"].map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows))),
    triggers,
    messages || [],
  ];
}

async function triggersSection(namespace, name) {
  const heading = h("h2", {}, "Triggers");
  try {
    const { body } = await api(ns(namespace, `imagestreams/${enc(name)}/triggers`));
    const items = body.items || [];
    if (!items.length) return [heading, h("p", { class: "muted", id: "triggers" }, "No triggers: nothing is told when a tag moves.")];
    return [heading, tableBox(`Triggers of ${name}`, h("table", { id: "triggers" },
      h("thead", {}, h("tr", {}, ["Name", "Protocol", "Endpoint", "Tags", "Changes"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, items.map((trigger) => {
        const spec = trigger.spec || {};
        const endpoint = spec.endpoint || {};
        return h("tr", {}, h("th", { scope: "row" }, trigger.metadata.name), h("td", {}, endpoint.protocol || ""),
          h("td", {}, h("code", {}, endpoint.endpoint || "")), h("td", {}, (spec.tags || []).join(", ") || "every tag"),
          h("td", {}, (spec.types || []).join(", ") || "every change"));
      }))))];
  } catch (error) {
    if (error.status === 401) throw error;
    return [heading, problem(`list the triggers of ${name}`, error)];
  }
}

// The last tag-change messages of the stream, where `make run`'s demo queue is (its app
// server keeps them: local/app_server.py). Deployed there is no such path: the section is
// left out, and not asked for again in this tab.
let demoQueue = true;
const MESSAGES_MS = 3000; // the messages come a moment after the tag moves: asked again as long as the page is open

function messagesPath(namespace, name) {
  return `local/demo-queue/namespaces/${enc(namespace)}/imagestreams/${enc(name)}/messages`;
}

function messageRows(items) {
  if (!items.length) return [h("p", { class: "muted" }, "The demo queue has had no message about this stream yet.")];
  return [tableBox("Tag-change messages",
    h("table", { id: "messages" },
      h("thead", {}, h("tr", {}, ["When", "Change", "Tag", "From", "To"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, items.map((message) => {
        const from = message.previous || {};
        const image = (digest, reference) => digest ? digestCode(digest, reference || digest)
          : h("span", { class: "muted" }, "—");
        return h("tr", {},
          h("th", { scope: "row" }, when(message.time || message.sent)),
          h("td", {}, h("span", { class: "badge " + (message.type === "Deleted" ? "warn" : "plain") }, message.type || "?")),
          h("td", {}, message.tag || ""),
          h("td", {}, image(from.image, from.dockerImageReference)),
          h("td", {}, image(message.image, message.dockerImageReference)));
      }))))];
}

async function messagesSection(namespace, name) {
  if (!demoQueue) return null;
  let items;
  try {
    items = (await api(messagesPath(namespace, name))).body.items || [];
  } catch (error) {
    if (error.status === 401) throw error;
    // A deployment: the catch-all's 404, which names no stream (a stream gone since names it).
    if (error.status === 404 && !(error.body && error.body.details)) demoQueue = false;
    return null; // nothing to show, and no error: the messages are a demo's extra
  }
  return h("section", { id: "tag-messages", "aria-labelledby": "tag-messages-title", "data-seen": JSON.stringify(items) },
    h("h2", { id: "tag-messages-title" }, "Last tag-change messages"),
    h("p", { class: "muted" }, "As the local demo queue received them from the topic, newest first."),
    h("div", { id: "tag-messages-list" }, messageRows(items)));
}

// Asks for the messages again while the section is on the page, and shows what is new.
function followMessages(section, namespace, name) {
  const signal = live && live.signal;
  const again = async () => {
    if (!section.isConnected || (signal && signal.aborted)) return;
    try {
      const items = (await api(messagesPath(namespace, name), { signal })).body.items || [];
      const seen = JSON.stringify(items);
      if (seen !== section.dataset.seen && section.isConnected) {
        section.dataset.seen = seen;
        section.querySelector("#tag-messages-list").replaceChildren(...messageRows(items));
      }
    } catch (error) {
      if (error.status === 401 || (signal && signal.aborted)) return;
    }
    setTimeout(again, MESSAGES_MS);
  };
  setTimeout(again, MESSAGES_MS);
}

// -- one tag: its history, its image, and what may be done to it

function imageFacts(image) {
  const meta = image.dockerImageMetadata || {};
  const config = meta.Config || meta.ContainerConfig || {};
  const list = (values) => (values && values.length ? h("code", {}, JSON.stringify(values)) : "—");
  const labels = Object.entries(config.Labels || {});
  const layers = image.dockerImageLayers || [];
  const manifests = image.dockerImageManifests || [];
  return h("div", { class: "image-meta" },
    h("dl", { class: "facts" },
      h("dt", {}, "Digest"), h("dd", {}, h("code", {}, image.metadata ? image.metadata.name : "")),
      h("dt", {}, "Reference"), h("dd", {}, h("code", {}, image.dockerImageReference || "—")),
      h("dt", {}, "Created"), h("dd", {}, when(meta.Created || (image.metadata && image.metadata.creationTimestamp))),
      h("dt", {}, "Size"), h("dd", {}, size(meta.Size)),
      h("dt", {}, "Platform"), h("dd", {}, [meta.Os, meta.Architecture].filter(Boolean).join("/") || "—"),
      h("dt", {}, "Entrypoint"), h("dd", {}, list(config.Entrypoint)),
      h("dt", {}, "Cmd"), h("dd", {}, list(config.Cmd)),
      h("dt", {}, "Working dir"), h("dd", {}, config.WorkingDir || "—"),
      h("dt", {}, "User"), h("dd", {}, config.User || "—"),
      h("dt", {}, "Env"), h("dd", {}, (config.Env || []).length
        ? h("ul", { class: "plain" }, config.Env.map((e) => h("li", {}, h("code", {}, e)))) : "—"),
      h("dt", {}, "Labels"), h("dd", {}, labels.length
        ? h("ul", { class: "plain" }, labels.map(([k, v]) => h("li", {}, h("code", {}, `${k}=${v}`)))) : "—"),
      h("dt", {}, "Layers"), h("dd", {}, layers.length
        ? h("ol", { class: "plain" }, layers.map((layer) => h("li", {}, digestCode(layer.name), ` ${size(layer.size)}`)))
        : "—"),
      manifests.length ? [h("dt", {}, "Platforms"), h("dd", {}, h("ul", { class: "plain" }, manifests.map((m) =>
        h("li", {}, [m.os, m.architecture, m.variant].filter(Boolean).join("/"), " ", digestCode(m.digest)))))] : null));
}

const images = new Map(); // ImageStreamImage answers by namespace/stream@digest, for this tab

async function streamImage(namespace, name) {
  const key = `${namespace}/${name}`;
  if (!images.has(key)) {
    images.set(key, api(ns(namespace, `imagestreamimages/${enc(name)}`)).then(({ body }) => body.image || {})
      .catch((error) => { images.delete(key); throw error; }));
  }
  return images.get(key);
}

function imageDetails(namespace, stream, digest, key) {
  const box = h("div", {}, h("p", { class: "muted" }, "Loading the image…"));
  const details = h("details", { "data-key": key },
    h("summary", { "data-key": key + "-summary" }, "Image details"), box);
  const load = async () => {
    try {
      box.replaceChildren(imageFacts(await streamImage(namespace, `${stream}@${digest}`)));
    } catch (error) {
      if (error.status !== 401) box.replaceChildren(problem(`read image ${shortDigest(digest)}`, error));
    }
  };
  details.addEventListener("toggle", () => { if (details.open) load(); });
  return details;
}

const ACTIONS = {
  rollback: { verb: "update", resource: "imagestreamtags", what: (full) => `roll back ${full}` },
  "tag-into": { verb: "update", resource: "imagestreamtags", what: (full) => `tag the image of ${full} into another tag` },
  track: { verb: "update", resource: "imagestreamtags", what: (full) => `make ${full} track another tag` },
  delete: { verb: "delete", resource: "imagestreamtags", what: (full) => `delete ${full}` },
  import: { verb: "create", resource: "imagestreamimports", what: (full) => `import ${full} now` },
};

async function tagPage(namespace, name, tag, action, argument) {
  const full = `${name}:${tag}`;
  setCrumbs([["Namespaces", ""], [namespace, "ns", namespace], [name, "ns", namespace, "streams", name], [tag]]);
  document.title = `${full} · ${namespace} · Image streams console`;
  let loaded;
  try {
    loaded = await loadStream(namespace, name);
  } catch (error) {
    if (error.status === 401) throw error;
    return [h("h1", { tabindex: "-1" }, full), problem(`read ${full} in namespace ${namespace}`, error)];
  }
  const { stream, istags, resourceVersion } = loaded;
  const spec = specTag(stream, tag);
  const status = statusTag(stream, tag);
  const items = (status && status.items) || [];
  const head = items[0];
  const image = (istags.get(tag) || {}).image || {};
  const allowed = Object.fromEntries(await Promise.all(Object.entries(ACTIONS).map(
    async ([key, rule]) => [key, await may(namespace, rule.verb, rule.resource)])));
  const importable = spec && spec.from && spec.from.kind === "DockerImage";
  const here = ["ns", namespace, "streams", name, "tags", tag];
  const go = (...more) => { location.hash = "#/" + [...here, ...more].map(enc).join("/"); };

  const actions = h("div", { class: "actions", id: "actions", role: "group", "aria-label": `Actions on ${full}` },
    allowed["tag-into"] && head ? h("button", { type: "button", "data-key": "act-tag-into", onclick: () => go("tag-into") }, "Tag into…") : null,
    allowed.track ? h("button", { type: "button", "data-key": "act-track", onclick: () => go("track") }, "Track another tag…") : null,
    allowed.import && importable ? h("button", { type: "button", "data-key": "act-import", onclick: () => go("import") }, "Import now") : null,
    allowed.delete ? h("button", { type: "button", class: "danger", "data-key": "act-delete", onclick: () => go("delete") }, "Delete tag") : null);
  const anyAction = actions.children.length > 0;

  const timeline = h("ol", { class: "timeline", id: "history" }, items.map((item, index) => {
    const key = `${item.image || item.dockerImageReference}-${index}`;
    return h("li", { class: index === 0 ? "current" : "" },
      h("div", {}, when(item.created), " ",
        index === 0 ? h("span", { class: "badge ok" }, "current") : null,
        h("span", { class: "badge plain" }, `generation ${item.generation ?? 0}`)),
      h("div", {}, item.image ? digestCode(item.image) : null, " ",
        h("span", { class: "muted" }, "from "), h("code", {}, item.dockerImageReference || "—")),
      item.image ? imageDetails(namespace, name, item.image, "image-" + key) : null,
      index > 0 && allowed.rollback && item.image ? h("button", {
        type: "button", class: "small", "data-key": "rollback-" + key,
        "aria-label": `Roll back ${full} to ${shortDigest(item.image)}`,
        onclick: () => go("rollback", item.image),
      }, "Roll back to this image") : null);
  }));

  const content = [
    h("h1", { tabindex: "-1" }, `Tag ${full}`, isPinned(spec) ? [" ", pinnedBadge(spec)] : null),
    h("dl", { class: "facts" },
      h("dt", {}, "Image"), h("dd", {}, head && head.image ? digestCode(head.image) : "—"),
      h("dt", {}, "Reference"), h("dd", {}, h("code", {}, (head && head.dockerImageReference) || "—")),
      h("dt", {}, "Moved"), h("dd", {}, head ? when(head.created) : "—"),
      h("dt", {}, "Size"), h("dd", {}, size((image.dockerImageMetadata || {}).Size)),
      h("dt", {}, "Architecture"), h("dd", {}, (image.dockerImageMetadata || {}).Architecture || "—"),
      h("dt", {}, "Source"), h("dd", {}, describeSource(spec)),
      h("dt", {}, "Schedule"), h("dd", {}, spec && spec.importPolicy && spec.importPolicy.scheduled ? "imported periodically" : "not scheduled"),
      h("dt", {}, "Reference policy"), h("dd", {}, (spec && spec.referencePolicy && spec.referencePolicy.type) || "Source"),
      h("dt", {}, "Conditions"), h("dd", {}, conditionsOf(status))),
    anyAction ? actions : h("p", { class: "muted", id: "no-actions" }, "Your roles let you look at this tag, not change it."),
    h("h2", {}, "History"),
    h("p", { id: "live", class: "live", "aria-live": "polite" }, "Newest first. Live: updates as the tag moves."),
    items.length ? timeline : h("p", { class: "muted" }, "No image yet."),
    h("div", { id: "action-area" }),
  ];

  if (action) {
    const rule = ACTIONS[action];
    if (!rule) {
      content.push(problem(`do "${action}"`, new ApiError(404, { message: "there is no such action" })));
    } else if (!allowed[action]) {
      content.splice(1, 0, forbidden(rule.what(full),
        { body: { message: `Your roles in namespace ${namespace} do not allow ${rule.verb} on ${rule.resource}.` } }));
    } else {
      // After the page is shown: the confirmation (or the form that leads to it).
      setTimeout(() => runAction(action, { namespace, name, tag, full, spec, status, items, argument, here }), 0);
    }
  }
  if (!action) {
    watchStreams(namespace, resourceVersion, `metadata.name=${name}`,
      () => show(() => tagPage(namespace, name, tag), { refresh: true }));
  }
  return content;
}

function putTag(namespace, full, tagSpec) {
  return api(ns(namespace, `imagestreamtags/${enc(full)}`), {
    method: "PUT",
    body: { apiVersion: "image.openshift.io/v1", kind: "ImageStreamTag",
      metadata: { name: full, namespace }, tag: tagSpec },
  });
}

function describeItem(item) {
  return `${shortDigest(item.image) || item.dockerImageReference} (first tagged ${ago(item.created)})`;
}

async function runAction(action, context) {
  const { namespace, name, tag, full, spec, status, items, argument, here } = context;
  const back = () => { location.hash = "#/" + here.map(enc).join("/"); };
  const head = items[0];
  let plan;
  if (action === "rollback") {
    const target = items.find((item) => item.image === argument);
    if (!target) { notice(`${shortDigest(argument)} is not in the history of ${full}.`, "error"); back(); return; }
    const lines = [`Move ${full} from ${head ? describeItem(head) : "no image"} to ${describeItem(target)}.`,
      "The history keeps every image; the old one becomes the newest entry again."];
    if (spec && spec.from && spec.from.kind === "ImageStreamTag") lines.push(`${full} tracks ${spec.from.name} now; it will stay on this image instead.`);
    if (spec && spec.importPolicy && spec.importPolicy.scheduled) lines.push(`${full} is imported periodically from ${spec.from.name}; periodic import stops.`);
    const waiting = ((status && status.conditions) || []).find(
      (condition) => condition.type === NEWER_IMAGE_WAITING && condition.status === "True");
    if (waiting) lines.push(`The newer image waiting on ${full} is set aside: you choose this one.`);
    // The pin, kept by default: the spec tag is sent with every annotation it has, the pin
    // added or removed as the box says.
    const wasPinned = isPinned(spec);
    const pin = h("input", { type: "checkbox", id: "confirm-pin", checked: wasPinned, "aria-describedby": "confirm-pin-effect" });
    const effect = h("p", { id: "confirm-pin-effect", "aria-live": "polite" });
    const target12 = shortDigest(target.image);
    const explain = () => {
      effect.textContent = pin.checked
        ? (wasPinned ? `${full} stays pinned: imports, pushes and tracking leave it on ${target12}.`
          : `${full} becomes pinned: imports, pushes and tracking leave it on ${target12} until it is unpinned.`)
        : (wasPinned ? `${full} is unpinned: the next push or import moves it again.`
          : `${full} stays unpinned: the next push or import moves it again.`);
    };
    pin.addEventListener("change", explain);
    explain();
    const options = [h("label", { class: "check", for: "confirm-pin" }, pin, "Pin the tag to this image"), effect];
    const annotations = () => {
      const kept = { ...((spec && spec.annotations) || {}) };
      if (pin.checked) kept[PINNED] = "true";
      else delete kept[PINNED];
      return Object.keys(kept).length ? kept : undefined;
    };
    plan = { title: `Roll back ${full}?`, lines, options, ok: "Roll back",
      run: () => putTag(namespace, full, { name: tag, from: { kind: "ImageStreamImage", name: `${name}@${target.image}` },
        referencePolicy: (spec && spec.referencePolicy) || { type: "Source" }, annotations: annotations() }),
      done: () => `${full} now points at ${target12}` + (pin.checked ? " and is pinned." : wasPinned ? " and is no longer pinned." : ".") };
  } else if (action === "delete") {
    plan = { title: `Delete ${full}?`, ok: "Delete tag",
      lines: [`Delete tag ${full}: its spec and its history of ${items.length} image(s) go; the images themselves stay.`],
      run: () => api(ns(namespace, `imagestreamtags/${enc(full)}`), { method: "DELETE" }),
      done: `${full} was deleted.`, after: ["ns", namespace, "streams", name] };
  } else if (action === "import") {
    const source = spec.from.name;
    plan = { title: `Import ${full} now?`, ok: "Import now",
      lines: [`Import ${source} into ${full} now. If the image there changed, ${full} moves to it and the old one stays in its history.`],
      run: () => api(ns(namespace, "imagestreamimports"), { method: "POST", body: {
        apiVersion: "image.openshift.io/v1", kind: "ImageStreamImport", metadata: { name, namespace },
        spec: { import: true, images: [{ from: { kind: "DockerImage", name: source }, to: { name: tag },
          importPolicy: spec.importPolicy || {}, referencePolicy: spec.referencePolicy || { type: "Source" } }] } } }),
      done: `Imported ${source} into ${full}.` };
  } else {
    plan = await askTarget(action, context);
    if (!plan) { back(); return; }
  }
  if (!(await confirmChange(plan.title, plan.lines, plan.ok, plan.options))) { back(); return; }
  try {
    const { body } = await plan.run();
    const failed = action === "import" && body && body.status && (body.status.images || [])
      .find((image) => image.status && image.status.status === "Failure");
    flash = failed ? { message: `The import failed: ${failed.status.message}`, kind: "error" }
      : { message: typeof plan.done === "function" ? plan.done() : plan.done, kind: "" };
  } catch (error) {
    if (error.status === 401) return;
    flash = { kind: "error", message: error.status === 403 ? `You may not ${ACTIONS[action].what(full)}: ${error.message}`
      : `${plan.title.replace(/\?$/, "")} failed: ${error.message}` };
    plan.after = null; // stay with the tag
  }
  location.hash = "#/" + (plan.after || here).map(enc).join("/");
}

// Tag into / track: a small form for the other tag, then the confirmation.
function askTarget(action, { namespace, name, tag, full, items, spec }) {
  const area = document.getElementById("action-area");
  const into = action === "tag-into";
  const input = h("input", { type: "text", id: "other-tag", required: true, autocomplete: "off",
    spellcheck: "false", pattern: "[^:@/]+:[^:@/]+", value: into ? "" : `${name}:` });
  const form = h("form", { class: "inline", id: "target-form" },
    h("label", { for: "other-tag" }, into ? "Set this tag (stream:tag)" : "Track this tag (stream:tag)",
      h("span", { class: "hint" }, `In namespace ${namespace}.`), input),
    h("button", { type: "submit" }, "Continue…"),
    h("button", { type: "button", class: "quiet", id: "target-cancel" }, "Cancel"));
  area.replaceChildren(h("h2", {}, into ? `Tag the image of ${full} into…` : `Make ${full} track…`), form);
  input.focus();
  return new Promise((resolve) => {
    form.querySelector("#target-cancel").addEventListener("click", () => resolve(null));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const other = input.value.trim();
      const [otherStream, otherTag] = other.split(":");
      const head = items[0];
      if (into) {
        resolve({ title: `Tag into ${other}?`, ok: "Set tag",
          lines: [`Set ${other} to ${name}@${shortDigest(head.image)}, the image ${full} points at now.`,
            `If ${other} pointed elsewhere, that image stays in its history. ${full} does not change.`],
          run: () => putTag(namespace, other, { name: otherTag, from: { kind: "ImageStreamImage", name: `${name}@${head.image}` } }),
          done: `${other} now points at ${shortDigest(head.image)}.`, after: ["ns", namespace, "streams", otherStream, "tags", otherTag] });
      } else {
        resolve({ title: `Make ${full} track ${other}?`, ok: "Track",
          lines: [`${full} will follow ${other}: it moves to ${other}'s image now and every time ${other} moves.`,
            spec && spec.from ? `It no longer follows its current source, ${spec.from.kind} ${spec.from.name}; its history keeps every image.`
              : "Its history keeps every image."],
          run: () => putTag(namespace, full, { name: tag, from: { kind: "ImageStreamTag", name: other } }),
          done: `${full} now tracks ${other}.` });
      }
    });
  });
}

// -- an image of a stream, on a page of its own

async function imagePage(namespace, name) {
  const [stream, digest] = name.split("@");
  setCrumbs([["Namespaces", ""], [namespace, "ns", namespace], [stream, "ns", namespace, "streams", stream], [shortDigest(digest)]]);
  document.title = `${stream}@${shortDigest(digest)} · Image streams console`;
  try {
    return [h("h1", { tabindex: "-1" }, `Image ${stream}@${shortDigest(digest)}`), imageFacts(await streamImage(namespace, name))];
  } catch (error) {
    if (error.status === 401) throw error;
    return [h("h1", { tabindex: "-1" }, `Image ${stream}@${shortDigest(digest)}`), problem(`read this image`, error)];
  }
}

route();
