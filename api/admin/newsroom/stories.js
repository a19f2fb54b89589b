/*
 * Newsroom panel: Stories (the default panel).
 *
 * Owns the review queue and "my stories" by state (searchable), the "New story"
 * form, and the story page (#/stories/<id>): its state and languages, what still
 * blocks approval or publication in words, one button per workflow step the
 * signed-in person may take, the text of each language with a Markdown preview
 * (right-to-left where the language is), revisions with their differences,
 * comments, the storyteller's sign-off, the risk assessment, how readers will see
 * the storyteller's name, and the media section (media.js).
 *
 * The buttons follow the role and the state so people are not offered steps that
 * cannot work, but the API stays the judge: every refusal is shown in words next
 * to the step, with the reason the API gave. Every step sends the story version
 * the page was drawn from, so two people never overwrite each other silently.
 */
import {
  h, clear, gql, GqlError, describeError, notify, registerPanel, navigate, currentUser,
  hasRole, t, addTranslations, dirOf, uiLanguage, allNodes,
} from './core.js';
import { inputForm, registerPicker } from './forms.js';
import { renderStoryMedia } from './media.js';

/* -------------------------------------------------------------- words */

const STATE_WORDS = {
  DRAFT: 'Draft',
  IN_REVIEW: 'In review',
  CHANGES_REQUESTED: 'Changes requested',
  APPROVED: 'Approved',
  PUBLISHED: 'Published',
  UNPUBLISHED: 'Unpublished',
  ARCHIVED: 'Archived',
  WITHDRAWN: 'Withdrawn (consent ended)',
};
const STATE_ORDER = ['IN_REVIEW', 'CHANGES_REQUESTED', 'DRAFT', 'APPROVED', 'PUBLISHED', 'UNPUBLISHED', 'ARCHIVED', 'WITHDRAWN'];

/** The reasons the API gives for a refused step (extensions.reason), in words. */
const REASON_WORDS = {
  STORYTELLER_REVIEW_MISSING: 'The storyteller has not signed off the current text.',
  RISK_ASSESSMENT_MISSING: 'This storyteller belongs to a group at risk: a risk assessment must be recorded first.',
  ALT_TEXT_MISSING: 'A picture of this story has no alt text.',
  TRANSCRIPT_MISSING: 'A recording of this story has no transcript.',
  CAPTIONS_MISSING: 'A video of this story has no captions.',
  NOT_APPROVED: 'The text has not been approved.',
  NOT_ALLOWED_FROM_STATE: 'This step is not possible in the story\u2019s current state.',
};

const IDENTITY_WORDS = {
  FULL_NAME: 'Full public name',
  FIRST_NAME: 'First name only',
  PSEUDONYM: 'Pseudonym',
  ANONYMOUS: 'Not named (anonymous)',
};
const IDENTITY_RANK = { FULL_NAME: 0, FIRST_NAME: 1, PSEUDONYM: 2, ANONYMOUS: 3 };

const LANGUAGE_NAMES = {
  en: 'English', ar: 'Arabic', fa: 'Farsi', uk: 'Ukrainian', ru: 'Russian', fr: 'French',
  es: 'Spanish', de: 'German', tr: 'Turkish', ps: 'Pashto', ur: 'Urdu', so: 'Somali',
  ti: 'Tigrinya', ku: 'Kurdish', ckb: 'Central Kurdish', he: 'Hebrew', pt: 'Portuguese', it: 'Italian',
};

function stateWord(state) {
  return t(STATE_WORDS[state] || state);
}

/** "Arabic (ar)" for a language tag, the tag alone when unknown. */
function languageName(tag) {
  const base = String(tag || '').toLowerCase().split('-')[0];
  return LANGUAGE_NAMES[base] ? `${t(LANGUAGE_NAMES[base])} (${tag})` : String(tag);
}

function personName(user) {
  if (!user) return t('someone');
  return user.displayName || user.email;
}

/** A person's name kept in its own direction inside right-to-left text. */
function personNode(user) {
  return h('bdi', null, personName(user));
}

function when(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(uiLanguage() === 'ar' ? 'ar' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

function timeNode(value) {
  return h('time', { datetime: value }, when(value));
}

/** SOME_VALUE → "Some value" (translated). */
function enumWords(value) {
  const words = String(value).toLowerCase().replace(/_/g, ' ');
  return t(words.charAt(0).toUpperCase() + words.slice(1));
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** A datetime-local value (the browser's zone) → RFC 3339 with the offset, or null. */
function localToRfc3339(local) {
  const date = new Date(local);
  if (!local || Number.isNaN(date.getTime())) return null;
  const offset = -date.getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    `${pad(date.getMinutes())}:00${offset >= 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A Date → a datetime-local value in the browser's zone. */
function dateToLocal(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

let uid = 0;
function nextId(prefix) {
  uid += 1;
  return `sto-${prefix}-${uid}`;
}

/** A labelled control: {wrap, control}. */
function field(labelText, control, helpText) {
  const id = control.id || nextId('f');
  control.id = id;
  let help = null;
  if (helpText) {
    help = h('p', { class: 'sto-help', id: `${id}-help` }, helpText);
    control.setAttribute('aria-describedby', `${id}-help`);
  }
  return h('div', { class: 'sto-field' }, h('label', { for: id }, labelText), control, help);
}

/** A place for an action's answer: errors in words (role=alert). */
function alertBox() {
  return h('div', { class: 'sto-alert', role: 'alert' });
}

/** An error from the API, in words, with the reasons it gave (and per channel for consent). */
function explainError(err) {
  const nodes = [];
  if (err instanceof GqlError) {
    const first = err.errors[0] || {};
    const ext = first.extensions || {};
    if (err.code === 'INVALID_TRANSITION') {
      nodes.push(h('p', null, REASON_WORDS[ext.reason] ? t(REASON_WORDS[ext.reason]) : t('This step is not possible yet.')));
      nodes.push(h('p', { class: 'sto-api-words' }, err.message));
    } else if (err.code === 'CONSENT_MISSING') {
      nodes.push(h('p', null, t('No valid consent of the storyteller covers this story on any channel: record or renew their consent first.')));
      if (Array.isArray(ext.missing) && ext.missing.length) {
        nodes.push(h('ul', null, ext.missing.map((m) => h('li', null, String(m)))));
      }
    } else if (err.code === 'CONFLICT') {
      nodes.push(h('p', null, t('Someone else changed this story since this page was drawn. Reload the page to see their changes, then try again.')));
      nodes.push(h('p', { class: 'sto-api-words' }, err.message));
    } else if (err.code === 'FORBIDDEN') {
      nodes.push(h('p', null, err.message.includes('four-eyes')
        ? t('You wrote part of this story: another editor must review and approve it (four-eyes rule).')
        : describeError(err)));
    } else {
      nodes.push(h('p', null, describeError(err)));
    }
  } else {
    nodes.push(h('p', null, describeError(err)));
  }
  return nodes;
}

/**
 * Runs `work` for a button: busy while it runs, the answer's error in `box`,
 * success announced and the page redrawn.
 */
async function act(button, box, work, success) {
  if (box) clear(box);
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await work();
    if (success) notify(success);
    return true;
  } catch (err) {
    if (err && err.name === 'FormInvalid') return false;
    if (box) box.append(...explainError(err));
    else notify(describeError(err), 'error');
    return false;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/* --------------------------------------------------------- Markdown */

/**
 * Renders `source` (Markdown) into a DocumentFragment of safe nodes. Headings move
 * down by `headingOffset` levels (at most h6) so a story's `# Title` does not
 * become a second h1 of the admin page; their class keeps the written level.
 */
export function renderMarkdown(source, headingOffset) {
  const offset = headingOffset || 0;
  const out = document.createDocumentFragment();
  const lines = String(source || '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i += 1; continue; }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      out.appendChild(h(`h${Math.min(6, level + offset)}`, { class: `sto-md-h${level}` }, inline(heading[2])));
      i += 1;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.appendChild(h('hr'));
      i += 1;
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) {
        quoted.push(lines[i].replace(/^\s{0,3}>\s?/, ''));
        i += 1;
      }
      out.appendChild(h('blockquote', null, renderMarkdown(quoted.join('\n'), offset)));
      continue;
    }
    const bullet = /^\s{0,3}[-*+]\s+/;
    const numbered = /^\s{0,3}\d{1,9}[.)]\s+/;
    if (bullet.test(line) || numbered.test(line)) {
      const marker = bullet.test(line) ? bullet : numbered;
      const list = h(marker === bullet ? 'ul' : 'ol');
      while (i < lines.length && marker.test(lines[i])) {
        let text = lines[i].replace(marker, '');
        i += 1;
        // Lazy continuation lines belong to the item.
        while (i < lines.length && lines[i].trim() && /^\s{2,}\S/.test(lines[i]) &&
          !bullet.test(lines[i]) && !numbered.test(lines[i])) {
          text += '\n' + lines[i].trim();
          i += 1;
        }
        list.appendChild(h('li', null, inline(text)));
      }
      out.appendChild(list);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !/^\s{0,3}(#{1,6}\s|>|[-*+]\s|\d{1,9}[.)]\s)/.test(lines[i])) {
      para.push(lines[i]);
      i += 1;
    }
    if (!para.length) { para.push(lines[i]); i += 1; }
    out.appendChild(h('p', null, inline(para.join('\n'))));
  }
  return out;
}

const SAFE_URL = /^https?:\/\/[^\s]+$/i;

/** Inline Markdown → nodes: code, links, strong, emphasis, hard breaks. */
function inline(text) {
  const nodes = [];
  const re = /`([^`]+)`|\[([^\]]+)\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?(?:\s+"[^"]*")?\s*\)|\*\*([^*]+?)\*\*|__([^_]+?)__|\*([^*\s][^*]*?)\*|(?<![\w])_([^_\s][^_]*?)_(?![\w])| {2,}\n|\\\n/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) nodes.push(text.slice(last, m.index));
    if (m[1] !== undefined) nodes.push(h('code', null, m[1]));
    else if (m[2] !== undefined) {
      const url = m[3];
      nodes.push(SAFE_URL.test(url)
        ? h('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank' }, inline(m[2]))
        : h('span', null, inline(m[2])));
    } else if (m[4] !== undefined || m[5] !== undefined) nodes.push(h('strong', null, inline(m[4] || m[5])));
    else if (m[6] !== undefined || m[7] !== undefined) nodes.push(h('em', null, inline(m[6] || m[7])));
    else nodes.push(h('br'));
    last = re.lastIndex;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

/* ------------------------------------------------------------- diffs */

/** Words and the spaces between them, so a diff can mark whole words. */
function words(text) {
  return String(text).match(/\s+|[^\s]+/g) || [];
}

/** A longest-common-subsequence diff of two token lists: [{op: '='|'-'|'+', text}]. */
function tokenDiff(a, b) {
  // Long lines fall back to whole-line changes: the table is a.length × b.length.
  if (a.length * b.length > 250000) return [{ op: '-', text: a.join('') }, { op: '+', text: b.join('') }];
  const n = a.length;
  const m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  const push = (op, text) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { push('=', a[i]); i += 1; j += 1; }
    else if (table[i + 1][j] >= table[i][j + 1]) { push('-', a[i]); i += 1; }
    else { push('+', b[j]); j += 1; }
  }
  while (i < n) { push('-', a[i]); i += 1; }
  while (j < m) { push('+', b[j]); j += 1; }
  return out;
}

/** One line of a diff, its changed words marked with <del>/<ins>. */
function diffLine(kind, parts, dir) {
  const sign = kind === 'del' ? '\u2212 ' : '+ ';
  const label = kind === 'del' ? t('Removed:') : t('Added:');
  return h('div', { class: `sto-diff-line sto-diff-${kind}`, dir },
    h('span', { class: 'sto-diff-sign', 'aria-hidden': 'true' }, sign),
    h('span', { class: 'sto-visually-hidden' }, `${label} `),
    parts.map((p) => (p.mark ? h(kind === 'del' ? 'del' : 'ins', null, p.text) : p.text)));
}

/**
 * Draws a unified diff (as revisionDiff returns it) readably: context lines plain,
 * removed and added lines marked, and within a changed line the words that changed.
 */
function renderUnifiedDiff(text, dir) {
  const box = h('div', { class: 'sto-diff' });
  const lines = String(text || '').split('\n');
  let removed = [];
  let added = [];
  const flush = () => {
    const pairs = Math.min(removed.length, added.length);
    for (let k = 0; k < pairs; k += 1) {
      const parts = tokenDiff(words(removed[k]), words(added[k]));
      box.appendChild(diffLine('del', parts.filter((p) => p.op !== '+').map((p) => ({ text: p.text, mark: p.op === '-' })), dir));
      box.appendChild(diffLine('ins', parts.filter((p) => p.op !== '-').map((p) => ({ text: p.text, mark: p.op === '+' })), dir));
    }
    for (const line of removed.slice(pairs)) box.appendChild(diffLine('del', [{ text: line, mark: true }], dir));
    for (const line of added.slice(pairs)) box.appendChild(diffLine('ins', [{ text: line, mark: true }], dir));
    removed = [];
    added = [];
  };
  for (const line of lines) {
    if (line.startsWith('---') || line.startsWith('+++')) continue;
    if (line.startsWith('@@')) { flush(); box.appendChild(h('div', { class: 'sto-diff-hunk' }, '\u2026')); continue; }
    if (line.startsWith('-')) { removed.push(line.slice(1)); continue; }
    if (line.startsWith('+')) { added.push(line.slice(1)); continue; }
    if (line.startsWith('\\')) continue;
    flush();
    if (line.length) box.appendChild(h('div', { class: 'sto-diff-line sto-diff-same', dir }, line.slice(1)));
  }
  flush();
  if (!box.childNodes.length) box.appendChild(h('p', null, t('No difference.')));
  return box;
}

/* ----------------------------------------------------------- pickers */

/**
 * A picker of related records for forms.js: a select (one) or a checkbox group
 * (several). `load()` resolves to [{id, name}].
 */
function recordPicker(load) {
  return (container, opts) => {
    const { multiple, value, onChange, label, id, required, describedBy } = opts;
    const status = h('p', { class: 'sto-help' }, t('Loading\u2026'));
    if (multiple) {
      const chosen = new Set(Array.isArray(value) ? value : []);
      const group = h('fieldset', { class: 'sto-picker-group', id, 'aria-describedby': describedBy || null },
        h('legend', null, label, required ? h('span', { class: 'nr-required', 'aria-hidden': 'true' }, ' *') : null), status);
      container.appendChild(group);
      load().then((items) => {
        status.remove();
        if (!items.length) group.appendChild(h('p', { class: 'sto-help' }, t('None yet.')));
        for (const item of items) {
          const boxId = nextId('pick');
          const box = h('input', { type: 'checkbox', id: boxId, value: item.id, checked: chosen.has(item.id) });
          box.addEventListener('change', () => {
            if (box.checked) chosen.add(item.id);
            else chosen.delete(item.id);
            onChange([...chosen]);
          });
          group.appendChild(h('div', { class: 'sto-check' }, box, h('label', { for: boxId }, item.name)));
        }
      }, (err) => { status.textContent = describeError(err); });
      return { focus() { const first = group.querySelector('input'); if (first) first.focus(); } };
    }
    const select = h('select', { id, required: Boolean(required), 'aria-describedby': describedBy || null },
      h('option', { value: '' }, t('Choose\u2026')));
    // The * beside the label, not in it, so the label is the field's name (as forms.js does).
    container.append(h('span', { class: 'nr-label-row' }, h('label', { for: id }, label),
      required ? h('span', { class: 'nr-required', 'aria-hidden': 'true' }, ' *') : null), select, status);
    select.addEventListener('change', () => onChange(select.value || null));
    load().then((items) => {
      status.remove();
      for (const item of items) select.appendChild(h('option', { value: item.id }, item.name));
      if (value) select.value = value;
    }, (err) => { status.textContent = describeError(err); });
    return { focus() { select.focus(); } };
  };
}

registerPicker('campaign', recordPicker(async () => (await gql('StoriesCampaignChoices')).campaigns.nodes));
registerPicker('tag', recordPicker(async () => (await gql('StoriesTagChoices')).tags.nodes));
registerPicker('story', recordPicker(async () => (await allNodes('StoriesLists', 'editorialStories'))
  .map((s) => ({ id: s.id, name: storyTitle(s) }))));
// The storytellers panel registers the real one (it loads after this module and
// replaces this); this keeps "New story" usable on its own.
registerPicker('storyteller', recordPicker(async () => (await allNodes('StoriesStorytellerChoices', 'storytellers'))
  .map((s) => ({ id: s.id, name: s.publicName }))));

/* -------------------------------------------------------------- lists */

function storyTitle(story) {
  const primary = (story.locales || []).find((l) => l.locale === story.primaryLocale) || (story.locales || [])[0];
  if (!primary) return story.slug;
  const head = primary.head.title ? primary.head : (story.revisions || []).find((r) => r.id === primary.head.id);
  return (head && head.title) || story.slug;
}

/**
 * The flags a story carries in lists and the review queue: a story the
 * storyteller sent in through a campaign site's form (docs/SUBMISSIONS.md) says
 * so, because nobody on the staff has checked it yet.
 */
function queueFlags(story) {
  const sub = story.submission;
  if (!sub) return [];
  return [' ', h('span', { class: `sto-flag${sub.spam ? ' sto-flag-spam' : ''}` },
    sub.spam ? t('Marked as spam') : t('Sent in by the storyteller'))];
}

function storyItem(story) {
  const title = storyTitle(story);
  const langs = (story.locales || []).map((l) => l.locale).join(', ');
  return h('li', { class: 'sto-item' },
    h('a', { href: `#/stories/${encodeURIComponent(story.id)}`, dir: dirOf(story.primaryLocale), lang: story.primaryLocale }, title),
    ' ',
    h('span', { class: `sto-state sto-state-${story.state.toLowerCase()}` }, stateWord(story.state)),
    queueFlags(story),
    h('span', { class: 'sto-meta' },
      ` \u00b7 ${t('Storyteller')}: `, h('bdi', null, story.storyteller.publicName),
      ` \u00b7 ${t('Languages')}: ${langs}`,
      ` \u00b7 ${t('Changed')} `, timeNode(story.updatedAt)));
}

function matches(story, query) {
  if (!query) return true;
  const hay = [story.slug, story.storyteller.publicName, stateWord(story.state), story.state,
    ...(story.locales || []).map((l) => `${l.locale} ${l.head.title}`)].join(' ').toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

/** Stories grouped by state under h3 headings, in workflow order. */
function byState(stories, emptyText) {
  if (!stories.length) return h('p', { class: 'sto-empty' }, emptyText);
  const groups = STATE_ORDER.map((state) => [state, stories.filter((s) => s.state === state)]).filter(([, list]) => list.length);
  return h('div', null, groups.map(([state, list]) => h('div', { class: 'sto-group' },
    h('h3', null, `${stateWord(state)} (${list.length})`),
    h('ul', { class: 'sto-list' }, list.map(storyItem)))));
}

async function renderList(container) {
  container.appendChild(h('h1', null, t('Stories')));
  const newButton = h('button', { type: 'button', class: 'sto-primary' }, t('New story'));
  newButton.addEventListener('click', () => navigate('/stories/new'));
  const search = h('input', { type: 'search', id: nextId('search'), autocomplete: 'off' });
  container.appendChild(h('div', { class: 'sto-toolbar' }, newButton,
    h('div', { class: 'sto-search' }, h('label', { for: search.id }, t('Search stories')), search)));
  const results = h('div', { class: 'sto-results' }, h('p', null, t('Loading\u2026')));
  const count = h('p', { class: 'sto-visually-hidden', role: 'status' });
  container.append(count, results);

  const [all, queue] = await Promise.all([
    allNodes('StoriesLists', 'editorialStories'),
    allNodes('StoriesReviewQueue', 'reviewQueue'),
  ]);
  const me = currentUser();
  const mine = (s) => (s.createdBy && s.createdBy.id === me.id) ||
    (s.locales || []).some((l) => l.head.author && l.head.author.id === me.id);
  const editor = hasRole('EDITOR', 'ADMIN');

  const draw = () => {
    const q = search.value.trim();
    const shownQueue = queue.filter((s) => matches(s, q));
    const shownMine = all.filter((s) => mine(s) && matches(s, q));
    const shownAll = all.filter((s) => matches(s, q));
    clear(results);
    results.appendChild(h('div', null,
      h('section', { 'aria-labelledby': 'sto-queue-h' },
        h('h2', { id: 'sto-queue-h' }, `${t('Review queue')} (${shownQueue.length})`),
        shownQueue.length
          ? h('ol', { class: 'sto-list' }, shownQueue.map(storyItem))
          : h('p', { class: 'sto-empty' }, t('Nothing is waiting for review.'))),
      h('section', { 'aria-labelledby': 'sto-mine-h' },
        h('h2', { id: 'sto-mine-h' }, `${t('My stories')} (${shownMine.length})`),
        byState(shownMine, q ? t('No story of yours matches.') : t('You have not written a story yet.'))),
      editor ? h('section', { 'aria-labelledby': 'sto-all-h' },
        h('h2', { id: 'sto-all-h' }, `${t('All stories')} (${shownAll.length})`),
        byState(shownAll, t('No story matches.'))) : null));
    count.textContent = q ? t('{n} stories match.', { n: shownAll.length }) : '';
  };
  search.addEventListener('input', draw);
  draw();
}

/* ------------------------------------------------- text with preview */

/**
 * Adds to a text form (forms.js) what the API's fields cannot say: the direction
 * of the language on the text fields, and a live Markdown preview of the body.
 * `localeOf()` returns the language being written.
 */
function enhanceTextForm(formElement, localeOf, headingLevel) {
  const textFields = [...formElement.querySelectorAll('[data-field="title"] input, [data-field="summary"] textarea, [data-field="summary"] input, [data-field="body"] textarea, [data-field="body"] input')];
  const body = formElement.querySelector('[data-field="body"] textarea, [data-field="body"] input');
  const preview = h('div', { class: 'sto-preview-body' });
  const previewId = nextId('preview');
  const section = h('section', { class: 'sto-preview', 'aria-labelledby': previewId },
    h(headingLevel || 'h3', { id: previewId }, t('Preview')), preview);
  const update = () => {
    const locale = localeOf() || '';
    const dir = locale ? dirOf(locale) : 'auto';
    for (const el of textFields) {
      el.setAttribute('dir', dir);
      if (locale) el.setAttribute('lang', locale);
    }
    preview.setAttribute('dir', dir);
    if (locale) preview.setAttribute('lang', locale);
    clear(preview).appendChild(renderMarkdown(body ? body.value : '', Number((headingLevel || 'h3').slice(1))));
    if (!preview.childNodes.length) preview.appendChild(h('p', { class: 'sto-empty' }, t('Nothing written yet.')));
  };
  if (body) {
    body.addEventListener('input', update);
    body.closest('[data-field]').after(section);
  }
  update();
  return update;
}

/* ---------------------------------------------------------- new story */

async function renderNew(container) {
  container.appendChild(h('h1', null, t('New story')));
  const back = h('a', { href: '#/stories' }, t('Back to the stories'));
  container.appendChild(h('p', null, back));
  const form = await inputForm('CreateStoryInput', {
    labels: {
      storytellerId: t('Storyteller'),
      primaryLocale: t('Language of the story'),
      title: t('Title'),
      summary: t('Summary'),
      body: t('Story text (Markdown)'),
      campaignIds: t('Campaigns'),
      tagIds: t('Tags'),
      slug: t('Address (slug)'),
      region: t('Region'),
      note: t('Note about this version'),
      identityLevel: t('Name shown to readers'),
    },
    help: {
      primaryLocale: t('A language tag: en for English, ar for Arabic, fa for Farsi, uk for Ukrainian\u2026'),
      region: t('Broadest first, e.g. United Kingdom / North West. Never an address.'),
      slug: t('Made from the title when left empty.'),
      identityLevel: t('Readers never see more than the consent allows: with a pseudonym chosen here, they see it only if the consent allows it. Choose \u201cAnonymous\u201d to keep the story unnamed.'),
    },
    multiline: ['summary', 'body'],
    // The consented pseudonym by default: a story published with no name although
    // the storyteller agreed to one was the newsroom's most common slip.
    values: { primaryLocale: uiLanguage() === 'ar' ? 'ar' : 'en', identityLevel: 'PSEUDONYM' },
  });
  const localeInput = form.element.querySelector('[data-field="primaryLocale"] input');
  const refresh = enhanceTextForm(form.element, () => (localeInput ? localeInput.value.trim() : ''), 'h2');
  if (localeInput) localeInput.addEventListener('input', refresh);

  const box = alertBox();
  const create = h('button', { type: 'submit', class: 'sto-primary' }, t('Create story'));
  const el = h('form', { class: 'sto-form', novalidate: true }, form.element, box, create);
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    let created = null;
    await act(create, box, async () => {
      const input = form.value();
      try {
        created = (await gql('StoriesCreate', { input })).createStory;
      } catch (err) {
        form.setErrors(err);
        throw err;
      }
    }, t('The story is saved as a draft.'));
    if (created) navigate(`/stories/${created.id}`);
  });
  container.appendChild(el);
}

/* --------------------------------------------------------- story page */

/** Consents that allow any use now and cover this story (the reader's gate uses these). */
function usableConsents(story) {
  const consents = (story.storyteller && story.storyteller.consents) || [];
  const now = Date.now();
  return consents.filter((c) => ['GIVEN', 'RENEWED'].includes(c.status) && !c.supersededBy &&
    (!c.storyId || c.storyId === story.id) && new Date(c.expiresAt).getTime() > now);
}

function moreProtective(a, b) {
  return IDENTITY_RANK[b] > IDENTITY_RANK[a] ? b : a;
}

/** The name readers get at an identity level, or null (mirrors the API's projection). */
function nameAt(teller, level) {
  const name = String(teller.publicName || '').trim();
  switch (level) {
    case 'FULL_NAME': return name || null;
    case 'FIRST_NAME': return name.split(/\s+/)[0] || null;
    case 'PSEUDONYM': return teller.publicNameIsPseudonym ? name : null;
    default: return null;
  }
}

/**
 * How readers will see the storyteller: {shown, consentLevel, consentAllowsName,
 * pseudonym}. `shown` is null when readers see no name.
 */
function readerName(story) {
  const teller = story.storyteller;
  const consents = usableConsents(story);
  if (!('consents' in teller)) {
    return { known: false, shown: null, story: story.identityLevel };
  }
  const consentLevel = consents.length
    ? consents.map((c) => c.identityLevel).reduce(moreProtective, 'FULL_NAME')
    : 'ANONYMOUS';
  const effective = moreProtective(story.identityLevel, consentLevel);
  return {
    known: true,
    shown: consents.length ? nameAt(teller, effective) : null,
    consentLevel: consents.length ? consentLevel : null,
    consentAllowsName: consents.length ? nameAt(teller, consentLevel) : null,
    pseudonymAllowed: consents.length > 0 && teller.publicNameIsPseudonym && IDENTITY_RANK[consentLevel] <= IDENTITY_RANK.PSEUDONYM,
  };
}

/** The people whose work the draft is (the four-eyes rule): creator and unpublished revisions' authors. */
function isOwnWork(story, me) {
  if (story.createdBy && story.createdBy.id === me.id) return true;
  return story.revisions.some((r) => {
    const loc = story.locales.find((l) => l.locale === r.locale);
    const published = loc && loc.published ? loc.published.number : 0;
    return r.number > published && r.author && r.author.id === me.id;
  });
}

/** What still blocks approval, and publication, in words. */
function blockers(story) {
  const approval = [];
  const publication = [];
  const revById = new Map(story.revisions.map((r) => [r.id, r]));
  const signed = new Set(story.storytellerReviews.map((r) => r.revisionId));
  const reviewNeeded = ['DRAFT', 'CHANGES_REQUESTED', 'IN_REVIEW'].includes(story.state);
  if (['DRAFT', 'CHANGES_REQUESTED'].includes(story.state)) {
    approval.push({ text: t('It has not been submitted for review yet.') });
  }
  if (reviewNeeded) {
    for (const loc of story.locales) {
      if (!signed.has(loc.head.id)) {
        const rev = revById.get(loc.head.id);
        approval.push({
          reason: 'STORYTELLER_REVIEW_MISSING',
          text: t('The storyteller has not signed off the current {language} text (revision {n}).', {
            language: languageName(loc.locale), n: rev ? rev.number : loc.head.number,
          }),
        });
      }
    }
    const groups = story.storyteller.riskGroups || [];
    if (groups.length && !story.riskAssessments.length) {
      approval.push({
        reason: 'RISK_ASSESSMENT_MISSING',
        text: t('The storyteller belongs to a group at risk ({groups}): a risk assessment must be recorded.', {
          groups: groups.map(enumWords).join(', '),
        }),
      });
    }
  }
  if (!['PUBLISHED', 'ARCHIVED', 'WITHDRAWN'].includes(story.state) || !story.isLive) {
    if (story.state !== 'APPROVED' && story.state !== 'PUBLISHED') {
      publication.push({ reason: 'NOT_APPROVED', text: t('It has to be approved first.') });
    }
    if (Array.isArray(story.visibility) && !story.visibility.some((v) => v.consented)) {
      publication.push({
        reason: 'CONSENT_MISSING',
        text: t('No valid consent of the storyteller covers this story on any channel.'),
        details: [...new Set(story.visibility.flatMap((v) => v.reasons.filter((r) => !r.startsWith('the story is not published')).map((r) => `${enumWords(v.channel)}: ${r}`)))],
      });
    }
    const noAlt = story.media.filter((m) => m.kind === 'IMAGE' && !m.private && !(m.altText && m.altText.trim()));
    if (noAlt.length) {
      publication.push({
        reason: 'ALT_TEXT_MISSING',
        text: t('{n} picture(s) have no alt text: describe them in the media section.', { n: noAlt.length }),
      });
    }
  }
  if (story.state === 'WITHDRAWN') {
    publication.push({ text: t('The storyteller\u2019s consent ended: this story can no longer be published or changed.') });
  }
  return { approval, publication };
}

function blockerList(items) {
  return h('ul', { class: 'sto-blockers' }, items.map((b) => h('li', { 'data-reason': b.reason || null },
    b.text,
    b.details && b.details.length ? h('ul', null, b.details.map((d) => h('li', null, d))) : null)));
}

/** The "What still blocks this story" section. */
function renderBlocks(story, reload) {
  const { approval, publication } = blockers(story);
  const checkAgain = h('button', { type: 'button', class: 'sto-secondary' }, t('Check again'));
  checkAgain.addEventListener('click', reload);
  const section = h('section', { class: 'sto-section sto-blocks', 'aria-labelledby': 'sto-blocks-h' },
    h('h2', { id: 'sto-blocks-h' }, t('What still blocks this story')));
  if (['DRAFT', 'CHANGES_REQUESTED', 'IN_REVIEW'].includes(story.state)) {
    section.append(h('h3', null, t('Before approval')),
      approval.length ? blockerList(approval) : h('p', { class: 'sto-ok' }, t('Nothing: it can be approved.')));
  }
  if (!['ARCHIVED'].includes(story.state)) {
    section.append(h('h3', null, t('Before publication')),
      publication.length ? blockerList(publication)
        : h('p', { class: 'sto-ok' }, story.isLive && story.state === 'PUBLISHED' ? t('Nothing: it is published.') : t('Nothing: it can be published.')));
  }
  if (Array.isArray(story.visibility)) {
    const visible = story.visibility.filter((v) => v.visible).map((v) => enumWords(v.channel));
    section.appendChild(h('p', null, `${t('Readers can see it now on')}: `,
      visible.length ? visible.join(', ') : t('no channel')));
    section.appendChild(h('details', { class: 'sto-details' },
      h('summary', null, t('Each channel, and why not')),
      h('ul', null, story.visibility.map((v) => h('li', null,
        h('strong', null, enumWords(v.channel)), ': ',
        v.visible ? t('visible now') : (v.reasons.length ? v.reasons.join('; ') : t('not visible')),
        v.consented ? '' : ` (${t('no consent')})`)))));
  }
  section.appendChild(checkAgain);
  return section;
}

async function renderStory(container, id) {
  const editor = hasRole('EDITOR', 'ADMIN');
  const data = await gql('StoriesStory', { id, editor });
  const story = data.editorialStory;
  if (!story) {
    container.append(h('h1', null, t('Story not found')),
      h('p', null, t('It no longer exists, or you may not see it.')),
      h('p', null, h('a', { href: '#/stories' }, t('Back to the stories'))));
    return;
  }
  const me = currentUser();
  const reload = () => navigate(`/stories/${story.id}`);
  const title = storyTitle(story);
  const canWrite = editor || (story.createdBy && story.createdBy.id === me.id);
  const editable = ['DRAFT', 'CHANGES_REQUESTED', 'APPROVED', 'PUBLISHED', 'UNPUBLISHED'].includes(story.state);
  const ownWork = isOwnWork(story, me);

  container.append(
    h('p', { class: 'sto-crumbs' }, h('a', { href: '#/stories' }, t('Stories'))),
    h('h1', { dir: dirOf(story.primaryLocale), lang: story.primaryLocale }, title));

  /* summary */
  const langs = story.locales.map((l) => languageName(l.locale)).join(', ');
  container.appendChild(h('dl', { class: 'sto-summary' },
    h('dt', null, t('State')), h('dd', null, h('span', { class: `sto-state sto-state-${story.state.toLowerCase()}` }, stateWord(story.state)),
      story.isLive ? ` \u00b7 ${t('live for readers')}` : ''),
    h('dt', null, t('Languages')), h('dd', null, langs),
    h('dt', null, t('Storyteller')), h('dd', null, h('bdi', null, story.storyteller.publicName)),
    story.submission
      ? [h('dt', null, t('Sent in')), h('dd', null, t('by the storyteller, through a campaign site'), t(', '), timeNode(story.submission.receivedAt),
        queueFlags(story))]
      : h('dt', null, t('Written by')),
    story.submission ? null : h('dd', null, personNode(story.createdBy), t(', '), timeNode(story.createdAt)),
    // A story sent in arrives with a submission time but nobody on the staff behind it.
    story.submittedAt && (story.submittedBy || !story.submission) ? [h('dt', null, t('Submitted')), h('dd', null, personNode(story.submittedBy), t(', '), timeNode(story.submittedAt))] : null,
    story.approvedAt ? [h('dt', null, t('Approved')), h('dd', null, personNode(story.approvedBy), t(', '), timeNode(story.approvedAt))] : null,
    story.publishAt ? [h('dt', null, t('Publication scheduled for')), h('dd', null, timeNode(story.publishAt))] : null,
    story.unpublishAt ? [h('dt', null, t('Unpublication scheduled for')), h('dd', null, timeNode(story.unpublishAt))] : null,
    story.publishedAt ? [h('dt', null, t('Published')), h('dd', null, timeNode(story.publishedAt))] : null,
    story.campaigns.length ? [h('dt', null, t('Campaigns')), h('dd', null, story.campaigns.map((c) => c.name).join(', '))] : null,
    story.tags.length ? [h('dt', null, t('Tags')), h('dd', null, story.tags.map((c) => c.name).join(', '))] : null,
    h('dt', null, t('Address (slug)')), h('dd', { dir: 'auto' }, story.slug)));

  /* what blocks */
  let blocksSection = renderBlocks(story, reload);
  container.appendChild(blocksSection);
  // media.js says when pictures change (an upload, alt text saved, a deletion): the
  // alt-text blocker follows at once, without redrawing the page over a form.
  container.addEventListener('chorus:media-changed', (event) => {
    const media = event.detail && event.detail.media;
    if (!Array.isArray(media) || (event.detail.storyId && event.detail.storyId !== story.id)) return;
    story.media = media.map((m) => ({ id: m.id, kind: m.kind, private: m.private, altText: m.altText }));
    const fresh = renderBlocks(story, reload);
    blocksSection.replaceWith(fresh);
    blocksSection = fresh;
  });

  /* steps */
  container.appendChild(renderSteps(story, { editor, canWrite, ownWork, reload }));

  /* readers' name and details */
  container.appendChild(await renderShownAs(story, { editor, canWrite, reload }));

  /* texts */
  container.appendChild(renderTexts(story, { canWrite, editable, reload }));

  /* revisions */
  container.appendChild(renderRevisions(story, { canWrite, editable, reload }));

  /* sign-off and risk */
  container.appendChild(await renderSignOff(story, { reload }));
  if (editor) container.appendChild(await renderRisk(story, { reload }));

  /* comments */
  container.appendChild(renderComments(story, { reload }));

  /* media (media.js) */
  const media = h('section', { class: 'sto-section sto-media', id: 'story-media' });
  container.appendChild(media);
  try {
    await renderStoryMedia(media, story);
  } catch (err) {
    media.appendChild(h('p', { class: 'nr-error', role: 'alert' }, describeError(err)));
  }
}

/** A button that runs a workflow step and redraws the page. */
function stepButton(label, box, work, success, reload, extraClass) {
  const button = h('button', { type: 'button', class: extraClass || 'sto-primary' }, label);
  button.addEventListener('click', async () => {
    if (await act(button, box, work, success)) reload();
  });
  return button;
}

function renderSteps(story, { editor, canWrite, ownWork, reload }) {
  const box = alertBox();
  const section = h('section', { class: 'sto-section sto-steps', 'aria-labelledby': 'sto-steps-h' },
    h('h2', { id: 'sto-steps-h' }, t('Next steps')));
  const row = h('div', { class: 'sto-buttons' });
  const v = { id: story.id, expectedVersion: story.version };
  const state = story.state;

  if (canWrite && ['DRAFT', 'CHANGES_REQUESTED'].includes(state)) {
    row.appendChild(stepButton(t('Submit for review'), box, () => gql('StoriesSubmit', v),
      t('The story is submitted for review.'), reload));
  }
  if (editor && state === 'IN_REVIEW') {
    row.appendChild(stepButton(t('Approve'), box, () => gql('StoriesApprove', v), t('The story is approved.'), reload));
  }
  const extra = [];
  if (editor && state === 'IN_REVIEW') {
    const why = h('textarea', { rows: 3 });
    const send = stepButton(t('Request changes'), box, () => gql('StoriesRequestChanges', { ...v, comment: why.value.trim() || null }),
      t('The story is sent back to its author.'), reload, 'sto-secondary');
    extra.push(h('div', { class: 'sto-subform' },
      field(t('What should change (sent to the author with the request)'), why), send));
  }
  if (editor && ['IN_REVIEW'].includes(state) && ownWork) {
    section.appendChild(h('p', { class: 'sto-note' },
      t('You wrote part of this story: with the four-eyes rule, another editor must request changes or approve it.')));
  }
  if (editor && state === 'APPROVED') {
    const names = readerName(story);
    const warnNoName = names.known && !names.shown && names.consentAllowsName;
    const publish = () => gql('StoriesPublish', v);
    if (warnNoName) {
      const pseudo = names.pseudonymAllowed ? story.storyteller.publicName : names.consentAllowsName;
      const level = names.pseudonymAllowed ? 'PSEUDONYM' : names.consentLevel;
      section.appendChild(h('div', { class: 'sto-warning', role: 'note' },
        h('p', null, t('Readers will see no name, although the storyteller\u2019s consent allows \u201c{name}\u201d.', { name: pseudo }))));
      row.appendChild(stepButton(t('Show \u201c{name}\u201d and publish now', { name: pseudo }), box, async () => {
        const updated = (await gql('StoriesUpdateDetails', { storyId: story.id, expectedVersion: story.version, input: { identityLevel: level } })).updateStoryDetails;
        await gql('StoriesPublish', { id: story.id, expectedVersion: updated.version });
      }, t('The story is published.'), reload));
      row.appendChild(stepButton(t('Publish now without a name'), box, publish, t('The story is published.'), reload, 'sto-secondary'));
    } else {
      row.appendChild(stepButton(t('Publish now'), box, publish, t('The story is published.'), reload));
    }
    const at = h('input', { type: 'datetime-local', min: dateToLocal(new Date()) });
    const schedule = stepButton(t('Schedule publication'), box, async () => {
      const publishAt = localToRfc3339(at.value);
      if (!publishAt) { at.focus(); throw new Error(t('Please choose the date and time of publication.')); }
      await gql('StoriesPublish', { ...v, publishAt });
    }, t('The publication is scheduled.'), reload, 'sto-secondary');
    extra.push(h('div', { class: 'sto-subform' }, field(t('Publication date and time'), at,
      t('In your own time zone. The story goes live within a minute of this time.')), schedule));
  }
  if (editor && story.isLive) {
    row.appendChild(stepButton(t('Unpublish'), box, () => gql('StoriesUnpublish', v), t('The story is offline.'), reload, 'sto-secondary'));
    const at = h('input', { type: 'datetime-local', min: dateToLocal(new Date()) });
    const schedule = stepButton(t('Schedule unpublication'), box, async () => {
      const unpublishAt = localToRfc3339(at.value);
      if (!unpublishAt) { at.focus(); throw new Error(t('Please choose the date and time.')); }
      await gql('StoriesUnpublish', { ...v, unpublishAt });
    }, t('The unpublication is scheduled.'), reload, 'sto-secondary');
    extra.push(h('div', { class: 'sto-subform' }, field(t('Unpublication date and time'), at), schedule));
  }
  if (editor && ['DRAFT', 'IN_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'PUBLISHED', 'UNPUBLISHED'].includes(state)) {
    row.appendChild(stepButton(t('Archive'), box, () => gql('StoriesArchive', v), t('The story is archived.'), reload, 'sto-danger'));
  }
  if (editor && story.submission && !story.submission.spam) {
    // Spam is ended here rather than by Archive, so that the source can be
    // blocked too and the story no longer counts as sent in for review.
    const block = h('input', { type: 'checkbox' });
    const mark = stepButton(t('Mark as spam'), box, () => gql('StoriesMarkSpam', { storyId: story.id, block: block.checked }),
      t('Marked as spam: the story is archived.'), reload, 'sto-danger');
    extra.push(h('div', { class: 'sto-subform' },
      h('label', null, block, ' ', t('Also refuse new stories from where this one came (for a while)')), mark));
  }
  if (editor && state === 'ARCHIVED') {
    row.appendChild(stepButton(t('Bring back as a draft'), box, () => gql('StoriesUnarchive', v), t('The story is a draft again.'), reload));
  }
  if (!row.childNodes.length && !extra.length) {
    section.appendChild(h('p', null, state === 'IN_REVIEW'
      ? t('It is waiting for an editor\u2019s review.')
      : t('There is no step for you to take on this story now.')));
  }
  section.append(row, ...extra, box);
  return section;
}

async function renderShownAs(story, { editor, canWrite, reload }) {
  const section = h('section', { class: 'sto-section', 'aria-labelledby': 'sto-shown-h' },
    h('h2', { id: 'sto-shown-h' }, t('How readers see the storyteller')));
  const names = readerName(story);
  if (names.known) {
    section.appendChild(h('p', { class: 'sto-shown-as' }, `${t('Shown to readers as')}: `,
      names.shown ? h('strong', null, h('bdi', null, names.shown)) : h('strong', null, t('no name (anonymous)'))));
    section.appendChild(h('p', { class: 'sto-help' },
      names.consentLevel
        ? t('The storyteller\u2019s consent allows: {level}. This story: {story}. Readers get the more protective of the two.', {
          level: t(IDENTITY_WORDS[names.consentLevel]), story: t(IDENTITY_WORDS[story.identityLevel]),
        })
        : t('No valid consent covers this story yet: readers would see no name.')));
    if (!names.shown && names.pseudonymAllowed && canWrite && story.state !== 'WITHDRAWN') {
      const box = alertBox();
      section.append(stepButton(t('Show the pseudonym \u201c{name}\u201d', { name: story.storyteller.publicName }), box,
        () => gql('StoriesUpdateDetails', { storyId: story.id, expectedVersion: story.version, input: { identityLevel: 'PSEUDONYM' } }),
        t('Readers will see the pseudonym.'), reload, 'sto-secondary'), box);
    }
  } else {
    section.appendChild(h('p', null, `${t('This story names the storyteller as')}: `, h('strong', null, t(IDENTITY_WORDS[story.identityLevel])),
      '. ', t('Their consent may allow less; an editor can tell you what readers will see.')));
  }
  if (!canWrite || story.state === 'WITHDRAWN') return section;

  const detailsId = nextId('details');
  const details = h('details', { class: 'sto-details' }, h('summary', { id: detailsId }, t('Change the story\u2019s details')));
  section.appendChild(details);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    const form = await inputForm('UpdateStoryDetailsInput', {
      labels: {
        identityLevel: t('Name shown to readers'),
        faces: t('Faces'),
        locationPrecision: t('How precisely to name the place'),
        campaignIds: t('Campaigns'),
        tagIds: t('Tags'),
        slug: t('Address (slug)'),
        region: t('Region'),
      },
      help: {
        identityLevel: t('Readers never get more than the consent allows, whatever you choose here.'),
      },
      values: {
        slug: story.slug,
        region: story.region,
        identityLevel: story.identityLevel,
        faces: story.faces,
        locationPrecision: story.locationPrecision,
        campaignIds: story.campaigns.map((c) => c.id),
        tagIds: story.tags.map((c) => c.id),
      },
    });
    const box = alertBox();
    const save = h('button', { type: 'submit', class: 'sto-primary' }, t('Save details'));
    const el = h('form', { class: 'sto-form', novalidate: true }, form.element, box, save);
    el.addEventListener('submit', async (event) => {
      event.preventDefault();
      const ok = await act(save, box, async () => {
        const input = form.value();
        try {
          await gql('StoriesUpdateDetails', { storyId: story.id, expectedVersion: story.version, input });
        } catch (err) {
          form.setErrors(err);
          throw err;
        }
      }, t('The details are saved.'));
      if (ok) reload();
    });
    details.appendChild(el);
  });
  return section;
}

/** The body of a revision as the preview shows it, in its language and direction. */
function textView(rev) {
  return h('div', { class: 'sto-text', dir: dirOf(rev.locale), lang: rev.locale },
    h('p', { class: 'sto-text-title' }, h('strong', null, rev.title)),
    rev.summary ? h('p', { class: 'sto-text-summary' }, rev.summary) : null,
    h('div', { class: 'sto-preview-body' }, renderMarkdown(rev.body, 3)));
}

function renderTexts(story, { canWrite, editable, reload }) {
  const section = h('section', { class: 'sto-section', 'aria-labelledby': 'sto-texts-h' },
    h('h2', { id: 'sto-texts-h' }, t('Text')));
  const revById = new Map(story.revisions.map((r) => [r.id, r]));
  const editorHost = h('div', { class: 'sto-editor-host' });
  let openEditor = null;

  const openForm = async (locale, isNew) => {
    if (openEditor) openEditor.remove();
    const head = locale ? revById.get(story.locales.find((l) => l.locale === locale).head.id) : null;
    const form = await inputForm('SaveStoryRevisionInput', {
      hidden: isNew ? ['storyId', 'expectedVersion'] : ['storyId', 'expectedVersion', 'locale'],
      labels: {
        locale: t('Language of the translation'),
        title: t('Title'),
        summary: t('Summary'),
        body: t('Story text (Markdown)'),
        note: t('Note about this version'),
      },
      help: { locale: t('A language tag: en for English, ar for Arabic, fa for Farsi, uk for Ukrainian\u2026') },
      multiline: ['summary', 'body'],
      values: head ? { title: head.title, summary: head.summary, body: head.body } : {},
    });
    const localeInput = form.element.querySelector('[data-field="locale"] input');
    const refresh = enhanceTextForm(form.element, () => locale || (localeInput ? localeInput.value.trim() : ''), 'h4');
    if (localeInput) localeInput.addEventListener('input', refresh);
    const box = alertBox();
    const save = h('button', { type: 'submit', class: 'sto-primary' }, isNew ? t('Save translation') : t('Save text'));
    const cancel = h('button', { type: 'button', class: 'sto-secondary' }, t('Cancel'));
    const headingId = nextId('edit-h');
    const el = h('form', { class: 'sto-form sto-editor', novalidate: true, 'aria-labelledby': headingId },
      h('h3', { id: headingId }, isNew ? t('Add a translation') : t('Edit the {language} text', { language: languageName(locale) })),
      form.element, box, h('div', { class: 'sto-buttons' }, save, cancel));
    cancel.addEventListener('click', () => { el.remove(); openEditor = null; });
    el.addEventListener('submit', async (event) => {
      event.preventDefault();
      const ok = await act(save, box, async () => {
        const input = { ...form.value(), storyId: story.id, expectedVersion: story.version };
        if (!isNew) input.locale = locale;
        try {
          await gql('StoriesSaveRevision', { input });
        } catch (err) {
          form.setErrors(err);
          throw err;
        }
      }, t('The text is saved as a new revision.'));
      if (ok) reload();
    });
    editorHost.appendChild(el);
    openEditor = el;
    const first = el.querySelector('input:not([type=hidden]), textarea');
    if (first) first.focus();
  };

  for (const loc of story.locales) {
    const head = revById.get(loc.head.id);
    const status = [];
    if (loc.published) status.push(t('revision {n} is published', { n: loc.published.number }));
    if (loc.approved) status.push(t('revision {n} is approved', { n: loc.approved.number }));
    const sub = h('div', { class: 'sto-locale' },
      h('h3', null, languageName(loc.locale), ' \u00b7 ', t('revision {n}', { n: head ? head.number : loc.head.number }),
        status.length ? ` (${status.join(', ')})` : ''),
      head ? textView(head) : null);
    if (canWrite && editable) {
      const edit = h('button', { type: 'button', class: 'sto-secondary' }, t('Edit the {language} text', { language: languageName(loc.locale) }));
      edit.addEventListener('click', () => openForm(loc.locale, false));
      sub.appendChild(edit);
    }
    section.appendChild(sub);
  }
  if (canWrite && editable) {
    const add = h('button', { type: 'button', class: 'sto-secondary' }, t('Add a translation'));
    add.addEventListener('click', () => openForm(null, true));
    section.appendChild(add);
  } else if (canWrite && story.state === 'IN_REVIEW') {
    section.appendChild(h('p', { class: 'sto-help' }, t('The text cannot change while it is in review; an editor can request changes.')));
  }
  section.appendChild(editorHost);
  return section;
}

function renderRevisions(story, { canWrite, editable, reload }) {
  const section = h('section', { class: 'sto-section', 'aria-labelledby': 'sto-revs-h' },
    h('h2', { id: 'sto-revs-h' }, t('Revisions')));
  const box = alertBox();
  const diffHost = h('div', { class: 'sto-diff-host', 'aria-live': 'polite' });
  const heads = new Set(story.locales.map((l) => l.head.id));
  for (const loc of story.locales) {
    const revs = story.revisions.filter((r) => r.locale === loc.locale).sort((a, b) => b.number - a.number);
    const rows = revs.map((rev) => {
      const prev = story.revisions.find((r) => r.locale === rev.locale && r.number === rev.number - 1);
      const buttons = [];
      if (prev) {
        const compare = h('button', { type: 'button', class: 'sto-link-button' }, t('Compare with revision {n}', { n: prev.number }));
        compare.addEventListener('click', () => showDiff(prev, rev));
        buttons.push(compare);
      }
      if (canWrite && editable && !heads.has(rev.id)) {
        buttons.push(stepButton(t('Restore this revision'), box,
          () => gql('StoriesRestoreRevision', { revisionId: rev.id, expectedVersion: story.version }),
          t('Revision {n} is restored as the newest revision.', { n: rev.number }), reload, 'sto-secondary'));
      }
      return h('tr', null,
        h('th', { scope: 'row' }, String(rev.number)),
        h('td', { dir: dirOf(rev.locale), lang: rev.locale }, rev.title),
        h('td', null, personNode(rev.author)),
        h('td', null, timeNode(rev.createdAt)),
        h('td', null, rev.note || (rev.restoredFrom ? t('restored') : '')),
        h('td', { class: 'sto-row-buttons' }, buttons));
    });
    section.appendChild(h('table', { class: 'sto-table' },
      h('caption', null, languageName(loc.locale)),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Revision')), h('th', { scope: 'col' }, t('Title')), h('th', { scope: 'col' }, t('Author')),
        h('th', { scope: 'col' }, t('Saved')), h('th', { scope: 'col' }, t('Note')), h('th', { scope: 'col' }, t('Actions')))),
      h('tbody', null, rows)));
  }
  section.append(box, diffHost);

  async function showDiff(from, to) {
    clear(diffHost).appendChild(h('p', null, t('Loading\u2026')));
    try {
      const diff = (await gql('StoriesRevisionDiff', { from: from.id, to: to.id })).revisionDiff;
      const dir = dirOf(to.locale);
      const headingId = nextId('diff-h');
      clear(diffHost).appendChild(h('section', { class: 'sto-diff-view', 'aria-labelledby': headingId, tabindex: '-1' },
        h('h3', { id: headingId }, t('Changes from revision {a} to revision {b} ({language})', { a: from.number, b: to.number, language: languageName(to.locale) })),
        h('h4', null, t('Title')), renderUnifiedDiff(diff.title, dir),
        h('h4', null, t('Summary')), renderUnifiedDiff(diff.summary, dir),
        h('h4', null, t('Story text')), renderUnifiedDiff(diff.body, dir)));
      diffHost.firstChild.focus();
    } catch (err) {
      clear(diffHost).appendChild(h('div', { role: 'alert' }, explainError(err)));
    }
  }
  return section;
}

let enumCache = new Map();

/** An enum's values from the schema, [{name, description}]. */
async function enumValues(name) {
  if (!enumCache.has(name)) {
    const p = gql('StoriesEnumValues', { name }).then((d) => (d.__type ? d.__type.enumValues : []));
    p.catch(() => enumCache.delete(name));
    enumCache.set(name, p);
  }
  return enumCache.get(name);
}

async function renderSignOff(story, { reload }) {
  const section = h('section', { class: 'sto-section', 'aria-labelledby': 'sto-signoff-h' },
    h('h2', { id: 'sto-signoff-h' }, t('Storyteller sign-off')));
  const revById = new Map(story.revisions.map((r) => [r.id, r]));
  if (story.storytellerReviews.length) {
    section.appendChild(h('ul', null, story.storytellerReviews.map((r) => {
      const rev = revById.get(r.revisionId);
      return h('li', null, t('{language} revision {n}: signed off {how}, ', {
        language: rev ? languageName(rev.locale) : '', n: rev ? rev.number : '?', how: enumWords(r.method).toLowerCase(),
      }), timeNode(r.reviewedAt), ` (${t('recorded by {name}', { name: personName(r.recordedBy) })})`,
      r.notes ? h('span', { dir: 'auto' }, ` \u2014 ${r.notes}`) : null);
    })));
  } else {
    section.appendChild(h('p', null, t('No sign-off is recorded yet.')));
  }
  const signed = new Set(story.storytellerReviews.map((r) => r.revisionId));
  const unsigned = story.locales.filter((l) => !signed.has(l.head.id));
  if (!unsigned.length || ['ARCHIVED', 'WITHDRAWN'].includes(story.state)) return section;

  section.appendChild(h('p', { class: 'sto-help' },
    t('Read the exact current text to the storyteller (or send it), then record that they agreed to it. A later edit needs a new sign-off.')));
  const revision = h('select', null, unsigned.map((l) => h('option', { value: l.head.id },
    `${languageName(l.locale)} \u00b7 ${t('revision {n}', { n: l.head.number })}`)));
  const method = h('select', null);
  for (const value of await enumValues('ReviewMethod')) {
    method.appendChild(h('option', { value: value.name }, enumWords(value.name)));
  }
  const at = h('input', { type: 'datetime-local', value: dateToLocal(new Date()), max: dateToLocal(new Date(Date.now() + 60000)) });
  const notes = h('textarea', { rows: 2 });
  const box = alertBox();
  const recordAll = unsigned.length > 1 ? h('input', { type: 'checkbox', id: nextId('all'), checked: true }) : null;
  const button = h('button', { type: 'submit', class: 'sto-primary' }, t('Record storyteller sign-off'));
  const form = h('form', { class: 'sto-form sto-subform', novalidate: true },
    field(t('Which text they reviewed'), revision),
    recordAll ? h('div', { class: 'sto-check' }, recordAll, h('label', { for: recordAll.id }, t('They reviewed every language listed'))) : null,
    field(t('How they reviewed it'), method),
    field(t('When they reviewed it'), at),
    field(t('Notes (optional)'), notes),
    box, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = await act(button, box, async () => {
      const reviewedAt = localToRfc3339(at.value);
      if (!reviewedAt) { at.focus(); throw new Error(t('Please choose when they reviewed it.')); }
      const ids = recordAll && recordAll.checked ? unsigned.map((l) => l.head.id) : [revision.value];
      for (const revisionId of ids) {
        await gql('StoriesRecordSignOff', { revisionId, method: method.value, reviewedAt, notes: notes.value.trim() || null });
      }
    }, t('The storyteller\u2019s sign-off is recorded.'));
    if (ok) reload();
  });
  section.appendChild(form);
  return section;
}

async function renderRisk(story, { reload }) {
  const groups = story.storyteller.riskGroups || [];
  const section = h('section', { class: 'sto-section', 'aria-labelledby': 'sto-risk-h' },
    h('h2', { id: 'sto-risk-h' }, t('Risk assessment')));
  section.appendChild(h('p', null, groups.length
    ? t('The storyteller belongs to a group at risk ({groups}): a risk assessment is needed before approval.', { groups: groups.map(enumWords).join(', ') })
    : t('The storyteller is in no group at risk; a risk assessment is optional.')));
  if (story.riskAssessments.length) {
    section.appendChild(h('ul', null, story.riskAssessments.map((r) => h('li', null,
      t('{level} risk, assessed by {assessor} on {date}', { level: enumWords(r.level), assessor: r.assessor, date: r.assessedOn }),
      h('span', { dir: 'auto' }, ` \u2014 ${r.mitigations}`)))));
  }
  if (['ARCHIVED', 'WITHDRAWN'].includes(story.state)) return section;
  const details = h('details', { class: 'sto-details', open: groups.length > 0 && !story.riskAssessments.length },
    h('summary', null, t('Record a risk assessment')));
  section.appendChild(details);
  const form = await inputForm('RiskAssessmentInput', {
    labels: { assessor: t('Assessor'), assessedOn: t('Assessed on'), level: t('Risk level'), mitigations: t('Mitigations') },
    multiline: ['mitigations'],
    values: { assessedOn: new Date().toISOString().slice(0, 10) },
  });
  const box = alertBox();
  const button = h('button', { type: 'submit', class: 'sto-primary' }, t('Record risk assessment'));
  const el = h('form', { class: 'sto-form', novalidate: true }, form.element, box, button);
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = await act(button, box, async () => {
      const input = form.value();
      try {
        await gql('StoriesRecordRiskAssessment', { storyId: story.id, input });
      } catch (err) {
        form.setErrors(err);
        throw err;
      }
    }, t('The risk assessment is recorded.'));
    if (ok) reload();
  });
  details.appendChild(el);
  return section;
}

function renderComments(story, { reload }) {
  const section = h('section', { class: 'sto-section', 'aria-labelledby': 'sto-comments-h' },
    h('h2', { id: 'sto-comments-h' }, t('Comments')));
  const revById = new Map(story.revisions.map((r) => [r.id, r]));
  const box = alertBox();
  if (story.comments.length) {
    section.appendChild(h('ol', { class: 'sto-comments' }, story.comments.map((c) => {
      const rev = revById.get(c.revisionId);
      const item = h('li', { class: c.resolvedAt ? 'sto-comment sto-resolved' : 'sto-comment' },
        h('p', { class: 'sto-meta' }, personNode(c.author), t(', '), timeNode(c.createdAt),
          rev ? ` \u00b7 ${languageName(rev.locale)} ${t('revision {n}', { n: rev.number })}` : '',
          c.resolvedAt ? ` \u00b7 ${t('resolved by {name}', { name: personName(c.resolvedBy) })}` : ''),
        h('p', { class: 'sto-comment-body', dir: 'auto' }, c.body));
      if (!c.resolvedAt && story.state !== 'WITHDRAWN') {
        item.appendChild(stepButton(t('Mark resolved'), box, () => gql('StoriesResolveComment', { id: c.id }),
          t('The comment is resolved.'), reload, 'sto-link-button'));
      }
      return item;
    })));
  } else {
    section.appendChild(h('p', null, t('No comments yet.')));
  }
  if (story.state === 'WITHDRAWN') return section;
  const revision = h('select', null, story.locales.map((l) => h('option', { value: l.head.id },
    `${languageName(l.locale)} \u00b7 ${t('revision {n}', { n: l.head.number })}`)));
  const primary = story.locales.find((l) => l.locale === story.primaryLocale);
  if (primary) revision.value = primary.head.id;
  const body = h('textarea', { rows: 3, dir: 'auto' });
  const button = h('button', { type: 'submit', class: 'sto-primary' }, t('Comment'));
  const form = h('form', { class: 'sto-form sto-subform', novalidate: true },
    story.locales.length > 1 ? field(t('On the text'), revision) : null,
    field(t('Your comment'), body), box, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = await act(button, box, async () => {
      if (!body.value.trim()) { body.focus(); throw new Error(t('Please write a comment first.')); }
      await gql('StoriesAddComment', { revisionId: revision.value, body: body.value.trim() });
    }, t('Your comment is added.'));
    if (ok) reload();
  });
  section.appendChild(form);
  return section;
}

/* ------------------------------------------------------------- panel */

registerPanel({
  id: 'stories',
  title: 'Stories',
  order: 10,
  roles: ['ADMIN', 'EDITOR', 'CONTRIBUTOR'],
  async render(container, params) {
    enumCache = new Map();
    container.classList.add('sto-panel');
    const [id] = params || [];
    if (!id) return renderList(container);
    if (id === 'new') return renderNew(container);
    return renderStory(container, id);
  },
});

/* ------------------------------------------------------------ Arabic */

addTranslations('ar', {
  'Stories': 'القصص',
  ', ': '، ',
  'New story': 'قصة جديدة',
  'Search stories': 'البحث في القصص',
  'Review queue': 'قائمة المراجعة',
  'My stories': 'قصصي',
  'All stories': 'كل القصص',
  'Nothing is waiting for review.': 'لا شيء ينتظر المراجعة.',
  'You have not written a story yet.': 'لم تكتب أي قصة بعد.',
  'No story of yours matches.': 'لا توجد قصة من قصصك تطابق البحث.',
  'No story matches.': 'لا توجد قصة تطابق البحث.',
  '{n} stories match.': 'عدد القصص المطابقة: {n}.',
  'Loading\u2026': 'جارٍ التحميل\u2026',
  'None yet.': 'لا شيء بعد.',
  'Choose\u2026': 'اختر\u2026',
  'Storyteller': 'الراوي',
  'Languages': 'اللغات',
  'Changed': 'عُدّلت',
  'someone': 'شخص ما',
  'Draft': 'مسودة',
  'In review': 'قيد المراجعة',
  'Changes requested': 'طُلبت تعديلات',
  'Approved': 'موافق عليها',
  'Published': 'منشورة',
  'Unpublished': 'أُلغي نشرها',
  'Archived': 'مؤرشفة',
  'Withdrawn (consent ended)': 'مسحوبة (انتهت الموافقة)',
  'The storyteller has not signed off the current text.': 'لم يوافق الراوي بعد على النص الحالي.',
  'This storyteller belongs to a group at risk: a risk assessment must be recorded first.': 'ينتمي هذا الراوي إلى فئة معرّضة للخطر: يجب تسجيل تقييم للمخاطر أولًا.',
  'A picture of this story has no alt text.': 'إحدى صور هذه القصة بلا نص بديل.',
  'A recording of this story has no transcript.': 'أحد تسجيلات هذه القصة بلا نص مكتوب.',
  'A video of this story has no captions.': 'أحد مقاطع الفيديو في هذه القصة بلا ترجمة مصاحبة.',
  'The text has not been approved.': 'لم تتم الموافقة على النص.',
  'This step is not possible in the story\u2019s current state.': 'هذه الخطوة غير ممكنة في حالة القصة الحالية.',
  'This step is not possible yet.': 'هذه الخطوة غير ممكنة بعد.',
  'Full public name': 'الاسم العلني الكامل',
  'First name only': 'الاسم الأول فقط',
  'Pseudonym': 'اسم مستعار',
  'Not named (anonymous)': 'دون اسم (مجهول)',
  'English': 'الإنجليزية', 'Arabic': 'العربية', 'Farsi': 'الفارسية', 'Ukrainian': 'الأوكرانية',
  'Russian': 'الروسية', 'French': 'الفرنسية', 'Spanish': 'الإسبانية', 'German': 'الألمانية',
  'Turkish': 'التركية', 'Pashto': 'البشتوية', 'Urdu': 'الأردية', 'Somali': 'الصومالية',
  'Tigrinya': 'التغرينية', 'Kurdish': 'الكردية', 'Central Kurdish': 'الكردية الوسطى', 'Hebrew': 'العبرية',
  'Portuguese': 'البرتغالية', 'Italian': 'الإيطالية',
  'No valid consent of the storyteller covers this story on any channel: record or renew their consent first.': 'لا توجد موافقة سارية من الراوي تغطي هذه القصة على أي قناة: سجّل موافقته أو جدّدها أولًا.',
  'Someone else changed this story since this page was drawn. Reload the page to see their changes, then try again.': 'غيّر شخص آخر هذه القصة منذ عرض هذه الصفحة. أعد تحميل الصفحة لرؤية تغييراته، ثم حاول مجددًا.',
  'You wrote part of this story: another editor must review and approve it (four-eyes rule).': 'كتبتَ جزءًا من هذه القصة: يجب أن يراجعها محرر آخر ويوافق عليها (قاعدة العينين الأربع).',
  'Removed:': 'محذوف:',
  'Added:': 'مضاف:',
  'No difference.': 'لا فرق.',
  'Preview': 'معاينة',
  'Nothing written yet.': 'لم يُكتب شيء بعد.',
  'Back to the stories': 'العودة إلى القصص',
  'Language of the story': 'لغة القصة',
  'Title': 'العنوان',
  'Summary': 'الملخص',
  'Story text (Markdown)': 'نص القصة (Markdown)',
  'Campaigns': 'الحملات',
  'Tags': 'الوسوم',
  'Address (slug)': 'العنوان في الرابط (slug)',
  'Region': 'المنطقة',
  'Note about this version': 'ملاحظة عن هذه النسخة',
  'A language tag: en for English, ar for Arabic, fa for Farsi, uk for Ukrainian\u2026': 'رمز اللغة: en للإنجليزية، ar للعربية، fa للفارسية، uk للأوكرانية\u2026',
  'Broadest first, e.g. United Kingdom / North West. Never an address.': 'من الأعم إلى الأخص، مثل: المملكة المتحدة / الشمال الغربي. لا تكتب عنوانًا أبدًا.',
  'Made from the title when left empty.': 'يُصنع من العنوان إذا تُرك فارغًا.',
  'Create story': 'إنشاء القصة',
  'The story is saved as a draft.': 'حُفظت القصة كمسودة.',
  'It has not been submitted for review yet.': 'لم تُرسل للمراجعة بعد.',
  'The storyteller has not signed off the current {language} text (revision {n}).': 'لم يوافق الراوي بعد على النص الحالي باللغة {language} (النسخة {n}).',
  'The storyteller belongs to a group at risk ({groups}): a risk assessment must be recorded.': 'ينتمي الراوي إلى فئة معرّضة للخطر ({groups}): يجب تسجيل تقييم للمخاطر.',
  'It has to be approved first.': 'يجب الموافقة عليها أولًا.',
  'No valid consent of the storyteller covers this story on any channel.': 'لا توجد موافقة سارية من الراوي تغطي هذه القصة على أي قناة.',
  '{n} picture(s) have no alt text: describe them in the media section.': 'عدد الصور التي بلا نص بديل: {n}. صِفها في قسم الوسائط.',
  'The storyteller\u2019s consent ended: this story can no longer be published or changed.': 'انتهت موافقة الراوي: لم يعد ممكنًا نشر هذه القصة أو تغييرها.',
  'Story not found': 'القصة غير موجودة',
  'It no longer exists, or you may not see it.': 'لم تعد موجودة، أو لا يحق لك رؤيتها.',
  'State': 'الحالة',
  'live for readers': 'متاحة للقرّاء',
  'Written by': 'كتبها',
  'Submitted': 'أُرسلت للمراجعة',
  'Publication scheduled for': 'النشر مجدول في',
  'Unpublication scheduled for': 'إلغاء النشر مجدول في',
  'Check again': 'تحقّق مجددًا',
  'What still blocks this story': 'ما الذي ما زال يمنع هذه القصة',
  'Before approval': 'قبل الموافقة',
  'Before publication': 'قبل النشر',
  'Nothing: it can be approved.': 'لا شيء: يمكن الموافقة عليها.',
  'Nothing: it is published.': 'لا شيء: إنها منشورة.',
  'Nothing: it can be published.': 'لا شيء: يمكن نشرها.',
  'Readers can see it now on': 'يمكن للقرّاء رؤيتها الآن على',
  'no channel': 'لا قناة',
  'Each channel, and why not': 'كل قناة، ولماذا لا',
  'visible now': 'ظاهرة الآن',
  'not visible': 'غير ظاهرة',
  'no consent': 'لا موافقة',
  'Next steps': 'الخطوات التالية',
  'Submit for review': 'إرسال للمراجعة',
  'Sent in by the storyteller': 'أرسلها صاحب القصة',
  'Marked as spam': 'مُعلَّمة كرسالة مزعجة',
  'Sent in': 'أُرسلت',
  'by the storyteller, through a campaign site': 'من صاحب القصة، عبر موقع الحملة',
  'Mark as spam': 'تعليم كرسالة مزعجة',
  'Marked as spam: the story is archived.': 'عُلّمت كرسالة مزعجة: أُرشفت القصة.',
  'Also refuse new stories from where this one came (for a while)': 'ورفض القصص الجديدة من المصدر نفسه (لفترة)',
  'The story is submitted for review.': 'أُرسلت القصة للمراجعة.',
  'Approve': 'موافقة',
  'The story is approved.': 'تمت الموافقة على القصة.',
  'Request changes': 'طلب تعديلات',
  'The story is sent back to its author.': 'أُعيدت القصة إلى كاتبها.',
  'What should change (sent to the author with the request)': 'ما الذي يجب تغييره (يُرسل إلى الكاتب مع الطلب)',
  'You wrote part of this story: with the four-eyes rule, another editor must request changes or approve it.': 'كتبتَ جزءًا من هذه القصة: وفق قاعدة العينين الأربع، يجب أن يطلب محرر آخر التعديلات أو يوافق عليها.',
  'Readers will see no name, although the storyteller\u2019s consent allows \u201c{name}\u201d.': 'لن يرى القرّاء أي اسم، مع أن موافقة الراوي تسمح بـ \u201c{name}\u201d.',
  'Show \u201c{name}\u201d and publish now': 'اعرض \u201c{name}\u201d وانشر الآن',
  'The story is published.': 'نُشرت القصة.',
  'Publish now without a name': 'انشر الآن دون اسم',
  'Publish now': 'انشر الآن',
  'Schedule publication': 'جدولة النشر',
  'Please choose the date and time of publication.': 'يرجى اختيار تاريخ النشر ووقته.',
  'The publication is scheduled.': 'جُدول النشر.',
  'Publication date and time': 'تاريخ النشر ووقته',
  'In your own time zone. The story goes live within a minute of this time.': 'بتوقيتك المحلي. تصبح القصة متاحة خلال دقيقة من هذا الوقت.',
  'Unpublish': 'إلغاء النشر',
  'The story is offline.': 'لم تعد القصة متاحة للقرّاء.',
  'Schedule unpublication': 'جدولة إلغاء النشر',
  'Please choose the date and time.': 'يرجى اختيار التاريخ والوقت.',
  'The unpublication is scheduled.': 'جُدول إلغاء النشر.',
  'Unpublication date and time': 'تاريخ إلغاء النشر ووقته',
  'Archive': 'أرشفة',
  'The story is archived.': 'أُرشفت القصة.',
  'Bring back as a draft': 'إعادتها كمسودة',
  'The story is a draft again.': 'عادت القصة مسودة.',
  'It is waiting for an editor\u2019s review.': 'إنها تنتظر مراجعة محرر.',
  'There is no step for you to take on this story now.': 'لا توجد خطوة عليك اتخاذها في هذه القصة الآن.',
  'How readers see the storyteller': 'كيف يرى القرّاء الراوي',
  'Shown to readers as': 'يظهر للقرّاء باسم',
  'no name (anonymous)': 'دون اسم (مجهول)',
  'The storyteller\u2019s consent allows: {level}. This story: {story}. Readers get the more protective of the two.': 'تسمح موافقة الراوي بـ: {level}. هذه القصة: {story}. يحصل القرّاء على الخيار الأكثر حماية بينهما.',
  'No valid consent covers this story yet: readers would see no name.': 'لا توجد موافقة سارية تغطي هذه القصة بعد: لن يرى القرّاء أي اسم.',
  'Show the pseudonym \u201c{name}\u201d': 'اعرض الاسم المستعار \u201c{name}\u201d',
  'Readers will see the pseudonym.': 'سيرى القرّاء الاسم المستعار.',
  'This story names the storyteller as': 'تسمّي هذه القصة الراوي بـ',
  'Their consent may allow less; an editor can tell you what readers will see.': 'قد تسمح موافقته بأقل من ذلك؛ يمكن لمحرر أن يخبرك بما سيراه القرّاء.',
  'Change the story\u2019s details': 'تغيير تفاصيل القصة',
  'Name shown to readers': 'الاسم الذي يراه القرّاء',
  'Readers never see more than the consent allows: with a pseudonym chosen here, they see it only if the consent allows it. Choose \u201cAnonymous\u201d to keep the story unnamed.': 'لا يرى القرّاء أبدًا أكثر مما تسمح به الموافقة: إذا اخترت هنا الاسم المستعار فلن يروه إلا إذا سمحت الموافقة بذلك. اختر \u201cمجهول\u201d لتبقى القصة دون اسم.',
  'Anonymous': 'مجهول', 'Full name': 'الاسم الكامل', 'First name': 'الاسم الأول',
  'Faces': 'الوجوه',
  'How precisely to name the place': 'مدى دقة تسمية المكان',
  'Readers never get more than the consent allows, whatever you choose here.': 'لا يحصل القرّاء أبدًا على أكثر مما تسمح به الموافقة، مهما اخترت هنا.',
  'Save details': 'حفظ التفاصيل',
  'The details are saved.': 'حُفظت التفاصيل.',
  'Text': 'النص',
  'Language of the translation': 'لغة الترجمة',
  'Save translation': 'حفظ الترجمة',
  'Save text': 'حفظ النص',
  'Cancel': 'إلغاء',
  'Add a translation': 'إضافة ترجمة',
  'Edit the {language} text': 'تحرير النص باللغة {language}',
  'The text is saved as a new revision.': 'حُفظ النص كنسخة جديدة.',
  'revision {n} is published': 'النسخة {n} منشورة',
  'revision {n} is approved': 'النسخة {n} موافق عليها',
  'revision {n}': 'النسخة {n}',
  'The text cannot change while it is in review; an editor can request changes.': 'لا يمكن تغيير النص أثناء المراجعة؛ يمكن لمحرر أن يطلب تعديلات.',
  'Revisions': 'النسخ',
  'Compare with revision {n}': 'قارن بالنسخة {n}',
  'Restore this revision': 'استعادة هذه النسخة',
  'Revision {n} is restored as the newest revision.': 'استُعيدت النسخة {n} كأحدث نسخة.',
  'restored': 'مستعادة',
  'Revision': 'النسخة',
  'Author': 'الكاتب',
  'Saved': 'حُفظت',
  'Note': 'ملاحظة',
  'Actions': 'الإجراءات',
  'Changes from revision {a} to revision {b} ({language})': 'التغييرات من النسخة {a} إلى النسخة {b} ({language})',
  'Story text': 'نص القصة',
  'Storyteller sign-off': 'موافقة الراوي على النص',
  '{language} revision {n}: signed off {how}, ': '{language} النسخة {n}: وافق عليها ({how})، ',
  'recorded by {name}': 'سجّلها {name}',
  'No sign-off is recorded yet.': 'لم تُسجَّل أي موافقة بعد.',
  'Read the exact current text to the storyteller (or send it), then record that they agreed to it. A later edit needs a new sign-off.': 'اقرأ النص الحالي كما هو على الراوي (أو أرسله إليه)، ثم سجّل أنه وافق عليه. أي تعديل لاحق يحتاج إلى موافقة جديدة.',
  'Which text they reviewed': 'النص الذي راجعه',
  'They reviewed every language listed': 'راجع كل اللغات المذكورة',
  'How they reviewed it': 'كيف راجعه',
  'When they reviewed it': 'متى راجعه',
  'Notes (optional)': 'ملاحظات (اختيارية)',
  'Record storyteller sign-off': 'تسجيل موافقة الراوي',
  'Please choose when they reviewed it.': 'يرجى اختيار وقت المراجعة.',
  'The storyteller\u2019s sign-off is recorded.': 'سُجّلت موافقة الراوي.',
  'Risk assessment': 'تقييم المخاطر',
  'The storyteller belongs to a group at risk ({groups}): a risk assessment is needed before approval.': 'ينتمي الراوي إلى فئة معرّضة للخطر ({groups}): يلزم تقييم للمخاطر قبل الموافقة.',
  'The storyteller is in no group at risk; a risk assessment is optional.': 'لا ينتمي الراوي إلى أي فئة معرّضة للخطر؛ تقييم المخاطر اختياري.',
  '{level} risk, assessed by {assessor} on {date}': 'خطر {level}، قيّمه {assessor} في {date}',
  'Record a risk assessment': 'تسجيل تقييم للمخاطر',
  'Assessor': 'المقيّم',
  'Assessed on': 'تاريخ التقييم',
  'Risk level': 'مستوى الخطر',
  'Mitigations': 'إجراءات التخفيف',
  'Record risk assessment': 'تسجيل تقييم المخاطر',
  'The risk assessment is recorded.': 'سُجّل تقييم المخاطر.',
  'Comments': 'التعليقات',
  'resolved by {name}': 'حلّه {name}',
  'Mark resolved': 'تعليم كمحلول',
  'The comment is resolved.': 'حُلّ التعليق.',
  'No comments yet.': 'لا تعليقات بعد.',
  'On the text': 'على النص',
  'Your comment': 'تعليقك',
  'Comment': 'علِّق',
  'Please write a comment first.': 'يرجى كتابة تعليق أولًا.',
  'Your comment is added.': 'أُضيف تعليقك.',
  'In person': 'حضوريًا', 'Phone': 'بالهاتف', 'Video call': 'مكالمة فيديو', 'Message': 'رسالة',
  'Asylum seeker': 'طالب لجوء', 'Refugee': 'لاجئ', 'Undocumented': 'بلا وثائق', 'Minor': 'قاصر',
  'Low': 'منخفض', 'Medium': 'متوسط', 'High': 'مرتفع',
  'Public web': 'الموقع العام', 'Partner sites': 'مواقع الشركاء', 'Mobile app': 'تطبيق الهاتف',
  'Social media': 'وسائل التواصل الاجتماعي', 'Press': 'الصحافة', 'Print exhibition': 'المعارض المطبوعة',
  'Research archive': 'أرشيف البحث',
});
