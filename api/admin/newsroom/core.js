/*
 * Newsroom core: what every newsroom panel shares.
 *
 * Owns the GraphQL client (named operations from /admin/assets/operations.graphql,
 * JSON or multipart), the DOM helper, the panel registry and the hash router, the
 * UI language (English, Arabic; direction follows it), live announcements, and
 * forms generated from the schema's input types. Panels import from here and
 * never talk to fetch or the session themselves, so the rules about tokens and
 * storage (admin.js) hold for all of them.
 */

/* ------------------------------------------------------------------- DOM */

/**
 * Creates an element. attrs: plain attributes, plus `text`, `class`, `dataset`,
 * `on: {event: handler}`, boolean attributes as true/false, and `style` as a string.
 * Children: nodes, strings, arrays, null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'value' && 'value' in node) node.value = value;
    else if (key === 'checked' && 'checked' in node) node.checked = Boolean(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Removes every child of `node`. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/* ------------------------------------------------------------- language */

const translations = { en: {}, ar: {} };
const RTL = new Set(['ar', 'fa', 'he', 'ur', 'ps', 'ckb', 'dv', 'yi', 'sd', 'ug']);

/** True for a right-to-left language tag (`ar`, `fa-AF`, …). */
export function isRtl(locale) {
  return RTL.has(String(locale || '').toLowerCase().split('-')[0]);
}

/** The writing direction for a language tag: 'rtl' or 'ltr'. */
export function dirOf(locale) {
  return isRtl(locale) ? 'rtl' : 'ltr';
}

/** Adds UI texts for a language: keys are the English texts. */
export function addTranslations(lang, dict) {
  Object.assign((translations[lang] = translations[lang] || {}), dict);
}

/** The UI language in use ('en' or 'ar'). */
export function uiLanguage() {
  return document.documentElement.lang || 'en';
}

/**
 * Sets the UI language and direction, then redraws the page (admin.js owns the
 * switch in the top bar and keeps the choice for the tab until sign-out).
 */
export function setUiLanguage(lang) {
  if (window.ChorusAdmin && window.ChorusAdmin.setLanguage) {
    window.ChorusAdmin.setLanguage(lang);
    return;
  }
  document.documentElement.lang = lang;
  document.documentElement.dir = dirOf(lang);
  route();
}

/** Translates an English UI text; `{name}` placeholders are filled from vars. */
export function t(text, vars) {
  const dict = translations[uiLanguage()] || {};
  const out = dict[text] || text;
  return vars ? out.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : out;
}

/** A date and time from the API (RFC 3339), in the reader's zone and UI language. */
export function formatDateTime(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  try {
    return new Intl.DateTimeFormat(uiLanguage() === 'ar' ? 'ar' : 'en-GB', {
      dateStyle: 'medium', timeStyle: 'short',
    }).format(date);
  } catch (_) {
    return date.toLocaleString();
  }
}

/* --------------------------------------------------------------- GraphQL */

/** A GraphQL answer with errors: `code` is the first error's extensions.code. */
export class GqlError extends Error {
  constructor(errors, data) {
    const first = (errors && errors[0]) || {};
    super(first.message || 'The request failed.');
    this.name = 'GqlError';
    this.code = (first.extensions && first.extensions.code) || 'UNKNOWN';
    this.errors = errors || [];
    this.data = data || null;
  }
}

let operationsText = null;

async function operations() {
  if (!operationsText) {
    operationsText = fetch('/admin/assets/operations.graphql', { cache: 'no-cache' }).then((res) => {
      if (!res.ok) throw new Error('The newsroom could not load its operations.');
      return res.text();
    });
  }
  return operationsText;
}

/** Splits a document into its top-level definitions: {kind, name, text}. */
function definitions(text) {
  const defs = [];
  const re = /^(query|mutation|subscription|fragment)\s+([_A-Za-z][_0-9A-Za-z]*)/gm;
  const starts = [];
  let m;
  while ((m = re.exec(text))) starts.push({ kind: m[1], name: m[2], index: m.index });
  starts.forEach((s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].index : text.length;
    defs.push({ kind: s.kind, name: s.name, text: text.slice(s.index, end).trim() });
  });
  return defs;
}

/** The document for one named operation, with the fragments it spreads (transitively). */
export async function documentFor(name) {
  const defs = definitions(await operations());
  const op = defs.find((d) => d.kind !== 'fragment' && d.name === name);
  if (!op) throw new Error(`The newsroom has no operation named ${name}.`);
  const fragments = new Map(defs.filter((d) => d.kind === 'fragment').map((d) => [d.name, d]));
  const needed = new Set();
  const visit = (text) => {
    for (const [, spread] of text.matchAll(/\.\.\.\s*([_A-Za-z][_0-9A-Za-z]*)/g)) {
      if (spread === 'on' || needed.has(spread) || !fragments.has(spread)) continue;
      needed.add(spread);
      visit(fragments.get(spread).text);
    }
  };
  visit(op.text);
  return [op.text, ...[...needed].map((n) => fragments.get(n).text)].join('\n\n');
}

/**
 * Runs a named operation from the newsroom's documents and resolves to its `data`.
 * `files`: {variablePath: File} (e.g. {'file': f} or {'input.file': f}) sends a
 * GraphQL multipart request. Rejects with GqlError when the answer has errors.
 */
export async function gql(name, variables, options) {
  const files = (options && options.files) || null;
  const body = { query: await documentFor(name), operationName: name, variables: variables || {} };
  const result = await window.ChorusAdmin.request(body, files);
  if (result && Array.isArray(result.errors) && result.errors.length) {
    throw new GqlError(result.errors, result.data);
  }
  return (result && result.data) || {};
}

/**
 * Every node of a connection, page after page (`pages` at most, 10 by default):
 * the operation `name` takes `$after` and answers `key { pageInfo nodes }`.
 */
export async function allNodes(name, key, pages) {
  const out = [];
  let after = null;
  for (let page = 0; page < (pages || 10); page += 1) {
    const data = await gql(name, { after });
    const conn = data[key];
    out.push(...conn.nodes);
    if (!conn.pageInfo || !conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  return out;
}

const CODE_WORDS = {
  UNAUTHENTICATED: 'Your session has ended; please sign in again.',
  FORBIDDEN: 'Your role does not allow this.',
  NOT_FOUND: 'It no longer exists, or you may not see it.',
  RATE_LIMITED: 'Too many attempts; please wait a little and try again.',
  PAYLOAD_TOO_LARGE: 'The file is too large.',
  STORAGE_UNAVAILABLE: 'Media storage is not answering; please try again in a minute.',
  DEADLINE_EXCEEDED: 'The server took too long; please try again.',
};

/** A sentence for a person, from an error thrown by gql or fetch. */
export function describeError(err) {
  if (err instanceof GqlError) {
    if (err.code === 'BAD_USER_INPUT' || err.code === 'CONFLICT' || !CODE_WORDS[err.code]) {
      return err.message;
    }
    return t(CODE_WORDS[err.code]);
  }
  if (err instanceof TypeError) return t('Could not reach the server. Check your connection and try again.');
  return (err && err.message) || t('Something went wrong.');
}

/* ------------------------------------------------------ announcements */

let live = null;

/** Says something to everyone, sighted or not: kind is 'info' or 'error'. */
export function notify(message, kind) {
  if (!live) return;
  const item = h('p', { class: `nr-notice nr-notice-${kind || 'info'}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  clear(live).appendChild(item);
}

/* ------------------------------------------------------ shown once */

/**
 * A secret the server shows once (an invitation link, an API key): a read-only
 * field with a Copy button, a heading and what to know about it, drawn into
 * `container` with the text selected. {id, title, before (a node under the
 * title, optional), label, value, copyText, copied, selectedHint, note (nodes
 * or text), className}.
 */
export function shownOnce(container, o) {
  const noteId = `${o.id}-help`;
  const field = h('input', {
    id: o.id, type: 'text', readonly: true, value: o.value, class: 'people-link',
    'aria-describedby': noteId, spellcheck: 'false', autocomplete: 'off',
  });
  const copy = h('button', { type: 'button', class: 'nr-button' }, o.copyText);
  copy.addEventListener('click', async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      notify(o.copied);
    } catch (_) {
      // Without clipboard access the text stays selected for Ctrl+C.
      notify(o.selectedHint);
    }
  });
  clear(container).appendChild(h('div', { class: `people-invitation-box ${o.className || ''}` },
    h('h3', null, o.title),
    o.before || null,
    h('label', { for: o.id }, o.label),
    h('div', { class: 'people-link-row' }, field, copy),
    h('p', { class: 'nr-help', id: noteId }, o.note)));
  field.focus();
  field.select();
}

/* --------------------------------------------------- panels and routes */

const panels = [];
let outlet = null;
let navList = null;
const banners = [];
let bannerSlot = null;

/**
 * Registers what the newsroom draws above its sections on every page (the
 * organisation bar): `load()` runs once after sign-in, before the first page;
 * `draw(slot)` then fills the slot. A banner that fails to load is left out,
 * the newsroom still opens.
 */
export function registerBanner(banner) {
  banners.push(banner);
}

/** Draws the current page again (e.g. after the organisation in view changed). */
export function redraw() {
  route();
}

/**
 * Registers a panel: {id, title (English), roles: ['ADMIN','EDITOR','CONTRIBUTOR'],
 * order, render(container, params, path)}. Its routes are `#/<id>` and `#/<id>/<rest>`;
 * params is the rest split on '/'. render may be async.
 */
export function registerPanel(panel) {
  panels.push(panel);
  panels.sort((a, b) => (a.order || 0) - (b.order || 0));
}

/** The signed-in user: {id, email, role}. */
export function currentUser() {
  return window.ChorusAdmin.user();
}

/** True when the signed-in user's role is one of `roles`. */
export function hasRole(...roles) {
  const user = currentUser();
  return Boolean(user && roles.includes(user.role));
}

/** Goes to a newsroom address such as '/stories/<id>'. */
export function navigate(path) {
  const hash = '#' + path;
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function visiblePanels() {
  return panels.filter((p) => !p.roles || hasRole(...p.roles));
}

let routedOnce = false;

async function route() {
  if (!outlet) return;
  const path = window.location.hash.replace(/^#\/?/, '');
  const [id, ...params] = path.split('/').map(decodeURIComponent);
  const available = visiblePanels();
  const panel = available.find((p) => p.id === id) || available[0];
  if (!panel) {
    clear(outlet).appendChild(h('h1', null, t('Newsroom')));
    outlet.appendChild(h('p', null, t('Your role has no newsroom sections. The GraphQL console is in the top bar.')));
    return;
  }
  for (const link of navList.querySelectorAll('a')) {
    if (link.dataset.panel === panel.id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  clear(outlet);
  const container = h('div', { class: 'nr-panel', 'data-panel': panel.id });
  outlet.appendChild(container);
  try {
    await panel.render(container, panel.id === id ? params : [], path);
  } catch (err) {
    container.appendChild(h('p', { class: 'nr-error', role: 'alert' }, describeError(err)));
  }
  if (!visiblePanels().length) return;
  const heading = container.querySelector('h1, h2');
  // Focus follows the reader to the new page, except on the first draw after
  // sign-in or a change of language, where it stays where the person is.
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    if (routedOnce) heading.focus({ preventScroll: false });
  }
  routedOnce = true;
}

/** Draws the newsroom into `root`; called by admin.js after sign-in. */
export async function mount(root) {
  clear(root);
  navList = h('ul', { class: 'nr-nav-list' },
    visiblePanels().map((p) => h('li', null, h('a', { href: `#/${p.id}`, 'data-panel': p.id }, t(p.title)))));
  live = h('div', { class: 'nr-live', 'aria-live': 'polite' });
  outlet = h('div', { class: 'nr-outlet' });
  bannerSlot = h('div', { class: 'nr-banner' });
  root.appendChild(bannerSlot);
  root.appendChild(h('div', { class: 'nr-layout' },
    h('nav', { class: 'nr-nav', 'aria-label': t('Newsroom sections') }, navList),
    h('main', { class: 'nr-main', id: 'newsroom-main' }, live, outlet)));
  window.addEventListener('hashchange', route);
  // Panels read the banners' state (which organisation is in view): load it first.
  const slot = bannerSlot;
  await Promise.all(banners.map((b) => Promise.resolve().then(() => b.load()).catch(() => null)));
  if (slot !== bannerSlot) return; // signed out meanwhile
  for (const banner of banners) {
    try {
      banner.draw(slot);
    } catch (_) {
      // A banner is a convenience: the sections work without it.
    }
  }
  route();
}

/** Forgets everything the newsroom holds in memory (sign-out). */
export function unmount() {
  window.removeEventListener('hashchange', route);
  routedOnce = false;
  outlet = null;
  live = null;
  navList = null;
  bannerSlot = null;
  operationsText = null;
  for (const banner of banners) if (banner.forget) banner.forget();
}

addTranslations('ar', {
  Newsroom: 'غرفة الأخبار',
  'Newsroom sections': 'أقسام غرفة الأخبار',
  'Your role has no newsroom sections. The GraphQL console is in the top bar.':
    'لا أقسام لدورك في غرفة الأخبار. وحدة GraphQL في الشريط العلوي.',
  'Your session has ended; please sign in again.': 'انتهت جلستك؛ يرجى تسجيل الدخول مجددًا.',
  'Your role does not allow this.': 'دورك لا يسمح بهذا.',
  'It no longer exists, or you may not see it.': 'لم يعد موجودًا، أو لا يحق لك رؤيته.',
  'Too many attempts; please wait a little and try again.': 'محاولات كثيرة؛ يرجى الانتظار قليلًا ثم المحاولة مجددًا.',
  'The file is too large.': 'الملف كبير جدًا.',
  'Media storage is not answering; please try again in a minute.': 'تخزين الوسائط لا يستجيب؛ يرجى المحاولة بعد دقيقة.',
  'The server took too long; please try again.': 'استغرق الخادم وقتًا طويلًا؛ يرجى المحاولة مجددًا.',
  'Could not reach the server. Check your connection and try again.': 'تعذّر الوصول إلى الخادم. تحقّق من الاتصال وحاول مجددًا.',
  'Something went wrong.': 'حدث خطأ ما.',
});
