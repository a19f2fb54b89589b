/*
 * Newsroom panel: storytellers and their consent.
 *
 * Owns the storyteller list and search, creating and editing storytellers (the
 * personal fields only where the API lets the role see them), the guided consent
 * form (record, amend, renew, end), the withdrawal code shown once with its print
 * view, the printable receipt, and withdrawing with a code a storyteller gives
 * staff. Registers the 'storyteller', 'consent' and 'partner' pickers other forms
 * use instead of UUIDs.
 *
 * The withdrawal code lives only in this module's memory while its screen is
 * shown: never in the address, sessionStorage or anything else that outlives the
 * page, since anyone holding it can withdraw the person's consent.
 */
import {
  h, clear, gql, GqlError, describeError, notify, registerPanel, navigate, currentUser,
  hasRole, t, addTranslations, dirOf, uiLanguage,
} from './core.js';
import { inputForm, registerPicker, pickers } from './forms.js';

/* ------------------------------------------------------------- helpers */

const EDITORS = ['ADMIN', 'EDITOR'];
const USABLE = new Set(['GIVEN', 'RENEWED']);
const ENDED = new Set(['WITHDRAWN', 'REVOKED', 'INVALIDATED', 'EXPIRED']);
const ENDABLE = new Set(['GIVEN', 'RENEWED', 'REQUESTED', 'UNKNOWN']);
const PAGE = 100;
/** At most this many pages of a list are read for pickers and search (10,000 rows). */
const MAX_PAGES = 100;

function isEditor() {
  return hasRole(...EDITORS);
}

function alertBox() {
  return h('div', { class: 'st-alert', role: 'alert' });
}

function showError(box, err) {
  clear(box).appendChild(h('p', { class: 'nr-error' }, describeError(err)));
}

/** Runs `fn` while `button` is busy; errors go to `box` in words. */
async function busy(button, box, fn) {
  if (box) clear(box);
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } catch (err) {
    if (err && err.name === 'FormInvalid') return undefined;
    if (box) showError(box, err);
    else notify(describeError(err), 'error');
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

function when(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(uiLanguage() === 'ar' ? 'ar' : 'en-GB', {
    dateStyle: 'medium', timeStyle: 'short',
  });
}

function day(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleDateString(uiLanguage() === 'ar' ? 'ar' : 'en-GB', { dateStyle: 'medium' });
}

/** SOME_VALUE → "Some value", translated. */
function words(value) {
  const text = String(value || '').toLowerCase().replace(/_/g, ' ');
  return t(text.charAt(0).toUpperCase() + text.slice(1));
}

function who(user) {
  if (!user) return t('the storyteller or Chorus itself');
  return user.displayName ? `${user.displayName} (${user.email})` : user.email;
}

/** Reads every page of a connection operation (bounded), newest answer last. */
async function allPages(operation, field, size) {
  const out = [];
  let after = null;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const data = await gql(operation, { first: size || PAGE, after });
    const conn = data[field];
    out.push(...conn.nodes);
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  return out;
}

function storytellers() {
  return allPages('StorytellersPage', 'storytellers');
}

let partnersCache = null;
function partners() {
  if (!partnersCache) {
    partnersCache = gql('StorytellersPartners').then((d) => d.partners.nodes);
    partnersCache.catch(() => { partnersCache = null; });
  }
  return partnersCache;
}

async function storiesOf(storytellerId) {
  // Smaller pages: each story brings its locales, which the query cost counts.
  const all = await allPages('StorytellersStoriesPage', 'editorialStories', 40);
  return all.filter((s) => s.storyteller && s.storyteller.id === storytellerId);
}

function storyTitle(story) {
  const primary = (story.locales || []).find((l) => l.locale === story.primaryLocale) || (story.locales || [])[0];
  return (primary && primary.head && primary.head.title) || story.slug;
}

/** The records of a chain that are in force now: the latest ones. */
function currentConsents(records) {
  return records.filter((r) => !r.supersededBy);
}

function searchBox(labelText, onInput) {
  const id = `st-search-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', { id, type: 'search', autocomplete: 'off' });
  input.addEventListener('input', () => onInput(input.value.trim().toLowerCase()));
  return { element: h('div', { class: 'nr-field st-search' }, h('label', { for: id }, labelText), input), input };
}

/* ------------------------------------------------------------- pickers */

/**
 * A storyteller picker: one labelled list of storytellers by public name, with a
 * search box above it once there are many.
 */
function pickStoryteller(container, opts) {
  const select = h('select', {
    id: opts.id, required: opts.required || null, multiple: opts.multiple || null,
    'aria-describedby': opts.describedBy || null,
  });
  const status = h('p', { class: 'nr-help', role: 'status' }, t('Loading storytellers…'));
  const label = h('label', { for: opts.id }, opts.label || t('Storyteller'));
  const wrap = h('div', { class: 'st-picker' }, label, select, status);
  container.appendChild(wrap);
  let all = [];
  const chosen = () => (opts.multiple
    ? [...select.selectedOptions].map((o) => o.value).filter(Boolean)
    : select.value || null);
  const draw = (filter) => {
    const keep = new Set(opts.multiple ? chosen() || [] : [select.value || opts.value].filter(Boolean));
    clear(select);
    if (!opts.multiple) select.appendChild(h('option', { value: '' }, t('Choose a storyteller…')));
    for (const s of all) {
      if (filter && !s.publicName.toLowerCase().includes(filter) && !keep.has(s.id)) continue;
      const option = h('option', { value: s.id }, s.publicName);
      if (keep.has(s.id) || (Array.isArray(opts.value) && opts.value.includes(s.id))) option.selected = true;
      select.appendChild(option);
    }
  };
  select.addEventListener('change', () => opts.onChange(chosen()));
  storytellers().then((list) => {
    all = list.slice().sort((a, b) => a.publicName.localeCompare(b.publicName));
    if (all.length > 15) {
      const search = searchBox(t('Search storytellers by name'), (f) => draw(f));
      wrap.insertBefore(search.element, label);
    }
    draw('');
    if (!opts.multiple && opts.value) select.value = opts.value;
    status.textContent = all.length ? '' : t('No storytellers yet: create one first.');
  }, (err) => { status.textContent = describeError(err); });
  return { focus: () => select.focus() };
}

/** A consent picker: the storyteller first, then one of their consent records. */
function pickConsent(container, opts) {
  let storytellerId = null;
  const consentId = opts.id;
  const tellerHost = h('div');
  const select = h('select', {
    id: consentId, required: opts.required || null, multiple: opts.multiple || null,
    'aria-describedby': opts.describedBy || null,
  }, h('option', { value: '' }, t('Choose the storyteller first')));
  container.appendChild(h('fieldset', { class: 'st-picker' },
    h('legend', null, opts.label || t('Consent')),
    tellerHost,
    h('label', { for: consentId }, t('Consent record')), select));
  const load = async () => {
    clear(select).appendChild(h('option', { value: '' }, t('Loading…')));
    try {
      const data = await gql('StorytellerEditorial', { id: storytellerId });
      clear(select);
      if (!opts.multiple) select.appendChild(h('option', { value: '' }, t('Choose a consent record…')));
      for (const r of data.storyteller.consents.slice().reverse()) {
        const text = `${words(r.status)} · ${r.channels.map(words).join(', ') || t('no channel')} · ${t('until {date}', { date: day(r.expiresAt) })}${r.supersededBy ? ` · ${t('replaced')}` : ''}`;
        const option = h('option', { value: r.id }, text);
        if (opts.value === r.id || (Array.isArray(opts.value) && opts.value.includes(r.id))) option.selected = true;
        select.appendChild(option);
      }
    } catch (err) {
      clear(select).appendChild(h('option', { value: '' }, describeError(err)));
    }
  };
  pickStoryteller(tellerHost, {
    id: `${consentId}-storyteller`, label: t('Storyteller'), value: null,
    onChange(v) { storytellerId = v; opts.onChange(opts.multiple ? [] : null); if (v) load(); },
  });
  select.addEventListener('change', () => opts.onChange(opts.multiple
    ? [...select.selectedOptions].map((o) => o.value).filter(Boolean)
    : select.value || null));
  return { focus: () => select.focus() };
}

/** Partners, as checkboxes (several) or a list (one). Editors and admins may list them. */
function pickPartner(container, opts) {
  const status = h('p', { class: 'nr-help', role: 'status' }, t('Loading partners…'));
  if (opts.multiple) {
    const chosen = new Set(Array.isArray(opts.value) ? opts.value : []);
    const box = h('fieldset', { class: 'st-picker', id: opts.id, 'aria-describedby': opts.describedBy || null },
      h('legend', null, opts.label || t('Partners')), status);
    container.appendChild(box);
    partners().then((list) => {
      status.textContent = list.length ? '' : t('No partners are recorded yet (an admin adds them).');
      for (const p of list) {
        const id = `${opts.id}-${p.id}`;
        const input = h('input', { type: 'checkbox', id, value: p.id, checked: chosen.has(p.id) });
        input.addEventListener('change', () => {
          if (input.checked) chosen.add(p.id); else chosen.delete(p.id);
          opts.onChange([...chosen]);
        });
        box.appendChild(h('div', { class: 'nr-check' }, input, ' ', h('label', { for: id }, p.name)));
      }
    }, (err) => { status.textContent = describeError(err); });
    return { focus: () => { const first = box.querySelector('input'); if (first) first.focus(); } };
  }
  const select = h('select', { id: opts.id, required: opts.required || null, 'aria-describedby': opts.describedBy || null },
    h('option', { value: '' }, t('Choose a partner…')));
  container.appendChild(h('div', { class: 'st-picker' }, h('label', { for: opts.id }, opts.label || t('Partner')), select, status));
  partners().then((list) => {
    status.textContent = '';
    for (const p of list) select.appendChild(h('option', { value: p.id, selected: p.id === opts.value }, p.name));
  }, (err) => { status.textContent = describeError(err); });
  select.addEventListener('change', () => opts.onChange(select.value || null));
  return { focus: () => select.focus() };
}

registerPicker('storyteller', pickStoryteller);
registerPicker('consent', pickConsent);
// The people panel may offer its own partner picker (API keys); keep it if so.
if (!pickers.has('partner')) registerPicker('partner', pickPartner);

/** The "which stories" picker of a consent: all of the person's stories, or one. */
function storyPickerFor(storytellerId) {
  return function pickStory(container, opts) {
    const select = h('select', { id: opts.id, 'aria-describedby': opts.describedBy || null },
      h('option', { value: '' }, t('All their stories, now and later')));
    const status = h('p', { class: 'nr-help', role: 'status' }, t('Loading their stories…'));
    container.appendChild(h('div', { class: 'st-picker' },
      h('label', { for: opts.id }, opts.label || t('Which stories')), select, status));
    storiesOf(storytellerId).then((list) => {
      status.textContent = list.length ? '' : t('They have no story yet; the consent will cover the stories they tell later.');
      for (const s of list) {
        select.appendChild(h('option', { value: s.id, selected: s.id === opts.value }, `${storyTitle(s)} (${words(s.state)})`));
      }
    }, (err) => { status.textContent = describeError(err); });
    select.addEventListener('change', () => opts.onChange(select.value || null));
    return { focus: () => select.focus() };
  };
}

/* -------------------------------------------------- the guided consent form */

/*
 * The terms are drawn from the schema's ConsentTermsInput in steps, each with the
 * fields a person decides together and plain words for each; the last step shows
 * whatever the schema adds later, so a new term is never left out.
 */
const STEPS = [
  {
    title: 'Step 1: what they agree to',
    intro: 'Where their story may be shown. Anything not ticked stays closed.',
    fields: ['storyId', 'channels', 'partnerIds', 'allPartners'],
  },
  {
    title: 'Step 2: how they appear',
    intro: 'How they can be recognised: their name, face, voice and place.',
    fields: ['identityLevel', 'faces', 'voice', 'locationPrecision', 'specialCategories', 'explicit'],
  },
  {
    title: 'Step 3: for how long',
    intro: 'Every consent ends. They can withdraw it earlier, at any time.',
    fields: ['givenAt', 'expiresAt'],
  },
  {
    title: 'Step 4: the conversation',
    intro: 'How, in which language and with which information sheet they agreed.',
    fields: ['method', 'language', 'interpreter', 'noticeVersion', 'noticeHash', 'collectedBy', 'jurisdiction', 'indicatedBy', 'via'],
  },
  {
    title: 'Step 5: children and young people',
    intro: 'For anyone who is, or may be, under 18: both their guardian’s consent and their own agreement.',
    fields: ['guardianConsent', 'childAssent'],
  },
  {
    title: 'Step 6: evidence',
    intro: 'Where the proof of their agreement is kept.',
    fields: ['evidenceRef'],
  },
];

const TERM_LABELS = {
  storyId: 'Which stories',
  channels: 'Where the story may appear',
  partnerIds: 'Named partners',
  allPartners: 'Every partner, now and in the future',
  identityLevel: 'How they may be named',
  faces: 'Faces in photos and videos',
  voice: 'Their voice in recordings',
  locationPrecision: 'How precisely the place is shown',
  specialCategories: 'Sensitive things the story reveals',
  explicit: 'They gave explicit consent to these sensitive things',
  givenAt: 'When they agreed',
  expiresAt: 'When the consent ends',
  method: 'How they agreed',
  language: 'Language of the conversation',
  interpreter: 'Interpreter or person who explained it',
  noticeVersion: 'Version of the consent notice',
  noticeHash: 'Fingerprint of the consent notice',
  collectedBy: 'Who collected the consent',
  jurisdiction: 'Jurisdiction',
  indicatedBy: 'Who gave the answer',
  via: 'How the answer reached us',
  guardianConsent: 'Their guardian consented',
  childAssent: 'The child agreed too',
  evidenceRef: 'Where the evidence is kept',
};

const TERM_HELP = {
  storyId: 'Leave at “All their stories” to cover every story they tell us, now and later, or choose the one story they agreed to.',
  channels: 'Tick each place they said yes to. Public web: our own website. Partner sites: the websites of the partners named below. Mobile app: our app. Social media: our social media accounts. Press: journalists and news media. Print exhibition: printed material and exhibitions. Research archive: an archive for researchers.',
  partnerIds: 'Only with “Partner sites”: the partner organisations they agreed to. A partner not ticked never receives the story.',
  allPartners: 'Only with “Partner sites”, and only if they clearly agreed to every partner, including partners we work with later. It is never assumed.',
  identityLevel: 'Full name: their public name as written. First name: only its first word. Pseudonym: their public name, labelled as a pseudonym (nothing is shown if it is their real name). Anonymous: no name at all. The most protective choice among their consents wins.',
  faces: 'Shown: their face may be seen. Obscured: photos are shown only after an editor has covered every face with a solid box, and no video showing faces is shown. Not depicted: no picture or video showing them is shown.',
  voice: 'Original: recordings and videos may be played as recorded. Altered: they agreed only to a changed voice; Chorus cannot change voices, so no recording is played. Text only: only the written story.',
  locationPrecision: 'None: no place at all. Country: e.g. “United Kingdom”. Region: e.g. “United Kingdom / North West”. City: e.g. “United Kingdom / North West / Manchester”.',
  specialCategories: 'Tick what the story reveals about them, such as their health, religion, politics or sexual orientation (special categories under GDPR Art. 9). Leave empty if it reveals none.',
  explicit: 'They agreed clearly and specifically that the sensitive things ticked above may be published. Required when anything is ticked above.',
  givenAt: 'Leave empty for now. It can be earlier, such as the day of the interview, but never in the future.',
  expiresAt: 'Leave empty for the standard period (two years unless your organisation changed it). A child’s consent ends on their 18th birthday at the latest, whatever you enter.',
  method: 'Written: a signed form. Digital: an online form or app. Verbal recorded: said aloud and recorded. Mark or thumbprint: they marked the form instead of signing.',
  language: 'A language code such as en, ar, fa or uk. Their receipt is printed in this language when Chorus has a translation, in English otherwise.',
  interpreter: 'The name of the interpreter or the person who explained it to them; leave empty if there was none.',
  noticeVersion: 'The name or version of the information sheet you showed or read to them, for example 2026-01. Filled in from the file you choose below; change it if your sheets have their own numbers.',
  noticeHash: 'Filled in for you when you choose the notice file below: “sha256:” and the file’s SHA-256. It proves later which exact text they were shown.',
  collectedBy: 'Your name, or the name of the colleague who talked with them.',
  jurisdiction: 'The country whose law applies, as a code such as GB, DE or FR.',
  indicatedBy: 'Storyteller: the person themselves. Guardian: their parent or legal guardian. Organisation: us.',
  via: 'How their answer reached us: in person, by phone, e-mail, post or a message.',
  guardianConsent: 'Their parent or legal guardian agreed. Needed, with the child’s own agreement, for anyone who is or may be under 18.',
  childAssent: 'The child themselves agreed, in words they understood.',
  evidenceRef: 'Where the signed form or the recording is kept, for example a file number or a shelf. It is never shown outside the admin.',
};

/** The value a consent record gives to each term, for amending or renewing. */
function termsOf(record, renewing) {
  const values = { ...record };
  for (const key of ['id', 'storytellerId', 'supersedes', 'supersededBy', 'status', 'subjectMinor', 'recordedBy', 'createdAt']) {
    delete values[key];
  }
  if (renewing) {
    delete values.givenAt;
    delete values.expiresAt;
  }
  return values;
}

/** What the form remembers within this page's life for the next consent. */
const lastUsed = { jurisdiction: '', notice: null };

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The notice file chooser: hashes the file in the browser and fills the two fields. */
function noticeChooser(stepForm) {
  const id = 'st-notice-file';
  const input = h('input', { id, type: 'file', 'aria-describedby': `${id}-help` });
  const result = h('p', { class: 'nr-help', role: 'status' });
  const hashInput = stepForm.element.querySelector('[data-field="noticeHash"] input');
  const versionInput = stepForm.element.querySelector('[data-field="noticeVersion"] input');
  const fill = (notice) => {
    if (hashInput) hashInput.value = notice.hash;
    if (versionInput && !versionInput.value.trim()) versionInput.value = notice.version;
    result.textContent = t('Notice {name}: fingerprint {hash}', { name: notice.name, hash: notice.hash });
  };
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    result.textContent = t('Reading the notice…');
    try {
      const notice = {
        name: file.name,
        version: file.name.replace(/\.[^.]+$/, ''),
        hash: `sha256:${await sha256Hex(await file.arrayBuffer())}`,
      };
      lastUsed.notice = notice;
      fill(notice);
    } catch (err) {
      result.textContent = t('The file could not be read: {reason}', { reason: describeError(err) });
    }
  });
  if (lastUsed.notice && hashInput && !hashInput.value) fill(lastUsed.notice);
  return h('div', { class: 'nr-field st-notice' },
    h('label', { for: id }, t('Consent notice shown to the storyteller (file)')),
    h('p', { class: 'nr-help', id: `${id}-help` },
      t('Choose the information sheet (PDF, text, audio…) exactly as you showed or read it to them. It stays on this computer: only its fingerprint is sent.')),
    input, result);
}

/** The form among `forms` holding the field a GraphQL error names (`extensions.field`). */
function ownerOf(forms, error) {
  const field = error && error.extensions && error.extensions.field;
  if (!field) return null;
  const camel = String(field).replace(/_([a-z])/g, (m, c) => c.toUpperCase()).split('.').pop();
  return forms.find((f) => f.element.querySelector(`[data-field="${camel}"], [data-field$=".${camel}"]`)) || null;
}

/** Thrown to say "see the marked field" near the button when the field shows the API's words. */
function markedAbove() {
  return new Error(t('Not saved: see the marked field above.'));
}

/** Uploads a scan or recording as private consent evidence and fills evidenceRef. */
function evidenceUploader(stepForm, storytellerId) {
  const id = 'st-evidence-file';
  const input = h('input', { id, type: 'file', 'aria-describedby': `${id}-help` });
  const button = h('button', { type: 'button' }, t('Upload evidence'));
  const result = h('p', { class: 'nr-help', role: 'status' });
  const box = alertBox();
  const refInput = stepForm.element.querySelector('[data-field="evidenceRef"] input');
  button.addEventListener('click', () => {
    const file = input.files && input.files[0];
    if (!file) {
      showError(box, new Error(t('Choose the file first.')));
      input.focus();
      return;
    }
    busy(button, box, async () => {
      const data = await gql('StorytellersAddEvidence', { storytellerId, file: null }, { files: { file } });
      const ref = `media:${data.addConsentEvidence.id}`;
      if (refInput) refInput.value = ref;
      result.textContent = t('Uploaded and kept private: {ref}', { ref });
    });
  });
  return h('div', { class: 'nr-field st-notice' },
    h('label', { for: id }, t('Evidence file (a scanned form, a recording)')),
    h('p', { class: 'nr-help', id: `${id}-help` },
      t('Optional. Uploaded to Chorus as private evidence, never shown outside the admin; the field above then names it.')),
    input, h('div', { class: 'st-actions' }, button), box, result);
}

/**
 * The guided terms form. Resolves to {element, value(), setErrors(err)}; value()
 * merges the steps and throws (after marking every step) when one is invalid.
 */
async function termsForm(storyteller, values) {
  const known = STEPS.flatMap((s) => s.fields);
  const common = {
    values,
    labels: TERM_LABELS,
    help: TERM_HELP,
    pickers: { storyId: storyPickerFor(storyteller.id), partnerIds: 'partner' },
  };
  const element = h('div', { class: 'st-terms' });
  const forms = [];
  for (const [i, step] of STEPS.entries()) {
    const form = await inputForm('ConsentTermsInput', { ...common, only: step.fields });
    const headingId = `st-step-${i}`;
    const section = h('section', { class: 'st-step', 'aria-labelledby': headingId },
      h('h2', { id: headingId }, t(step.title)),
      h('p', { class: 'st-step-intro' }, t(step.intro)),
      form.element);
    if (step.fields.includes('noticeHash')) {
      const chooser = noticeChooser(form);
      const anchor = form.element.querySelector('[data-field="noticeVersion"]');
      form.element.insertBefore(chooser, anchor || null);
    }
    if (step.fields.includes('evidenceRef')) form.element.appendChild(evidenceUploader(form, storyteller.id));
    element.appendChild(section);
    forms.push(form);
  }
  // Whatever the schema adds later appears here, explained by its own description.
  const rest = await inputForm('ConsentTermsInput', { ...common, hidden: known });
  if (rest.element.querySelector('[data-field]')) {
    element.appendChild(h('section', { class: 'st-step', 'aria-labelledby': 'st-step-more' },
      h('h2', { id: 'st-step-more' }, t('Other terms')), rest.element));
    forms.push(rest);
  }
  return {
    element,
    value() {
      const out = {};
      let firstError = null;
      for (const form of forms) {
        try {
          Object.assign(out, form.value());
        } catch (err) {
          if (!firstError) firstError = err;
        }
      }
      if (firstError) throw firstError;
      return out;
    },
    /** Shows the API's errors beside the fields they name; true when one was placed. */
    setErrors(err) {
      for (const form of forms) form.setErrors(null);
      let placed = false;
      for (const e of (err instanceof GqlError && err.errors) || []) {
        const owner = ownerOf(forms, e);
        if (owner) {
          owner.setErrors([e]);
          placed = true;
        }
      }
      return placed;
    },
  };
}

/* ------------------------------------------- withdrawal code and its print view */

/* The sheet handed to the storyteller, in their language when we have it. */
const SHEET = {
  en: {
    title: 'Your withdrawal code',
    lead: 'With this code you can take back your consent at any time, without giving a reason.',
    how: 'Give the code to the organisation that recorded your story, in person, by phone or in a message. All your consent is withdrawn at once and your stories leave every website and app.',
    keep: 'Keep it private: anyone holding it can withdraw your consent. A newer code replaces this one.',
    for: 'For',
    date: 'Date',
  },
  ar: {
    title: 'رمز سحب الموافقة الخاص بك',
    lead: 'بهذا الرمز يمكنك سحب موافقتك في أي وقت، دون ذكر سبب.',
    how: 'أعطِ الرمز للمنظمة التي سجّلت قصتك، شخصيًا أو بالهاتف أو برسالة. تُسحب موافقتك كلها دفعة واحدة وتُزال قصصك من كل المواقع والتطبيقات.',
    keep: 'احفظه سرًّا: يستطيع أي شخص يحمله سحب موافقتك. الرمز الأحدث يحل محل هذا الرمز.',
    for: 'إلى',
    date: 'التاريخ',
  },
};

function sheetFor(language) {
  const lang = String(language || '').toLowerCase().split('-')[0];
  if (SHEET[lang]) return { lang, words: SHEET[lang] };
  const ui = uiLanguage();
  return { lang: SHEET[ui] ? ui : 'en', words: SHEET[ui] || SHEET.en };
}

/** The print view of a withdrawal code: only the sheet prints (storytellers.css). */
function printSheet(container, storyteller, consent, code, back) {
  clear(container);
  const { lang, words: w } = sheetFor(consent.language);
  const sheet = h('article', { class: 'st-print-sheet', lang, dir: dirOf(lang) },
    h('h2', { id: 'st-sheet-title' }, w.title),
    h('p', null, w.lead),
    h('p', { class: 'st-sheet-code' }, code),
    h('p', null, w.how),
    h('p', null, h('strong', null, w.keep)),
    h('dl', { class: 'st-sheet-meta' },
      h('dt', null, w.for), h('dd', { dir: 'auto' }, storyteller.publicName),
      h('dt', null, w.date), h('dd', null, new Date().toISOString().slice(0, 10))));
  const print = h('button', { type: 'button', class: 'st-primary' }, t('Print'));
  print.addEventListener('click', () => window.print());
  const done = h('button', { type: 'button' }, t('Back'));
  done.addEventListener('click', back);
  container.appendChild(h('h1', null, t('Print withdrawal code')));
  container.appendChild(h('p', { class: 'st-no-print' },
    t('Only the sheet below is printed. Hand it to {name} with their receipt.', { name: storyteller.publicName })));
  container.appendChild(h('div', { class: 'st-actions st-no-print' }, print, done));
  container.appendChild(sheet);
  print.focus();
  // Printing is what the person asked for; the buttons stay for a second copy.
  setTimeout(() => window.print(), 50);
}

/** After a consent was recorded: the code once, prominently, and what to do next. */
function showRecorded(container, storyteller, consent, code, verb) {
  const draw = () => {
    clear(container);
    container.appendChild(h('h1', null, t(verb)));
    container.appendChild(h('p', null, t('The consent of {name} is now “{status}”.', {
      name: storyteller.publicName, status: words(consent.status),
    })));
    if (code) {
      const codeId = 'st-withdrawal-code';
      const printButton = h('button', { type: 'button', class: 'st-primary' }, t('Print withdrawal code'));
      printButton.addEventListener('click', () => printSheet(container, storyteller, consent, code, draw));
      container.appendChild(h('section', { class: 'st-code', 'aria-labelledby': 'st-code-title' },
        h('h2', { id: 'st-code-title' }, t('Shown once: their code to withdraw')),
        h('p', null, t('Give this code to {name}. With it they can withdraw all their consent at any time, without an account. It replaces any earlier code. Chorus keeps only a fingerprint of it and can never show it again: print it or write it on their receipt now.', { name: storyteller.publicName })),
        h('label', { for: codeId }, t('Withdrawal code')),
        h('input', { id: codeId, class: 'st-code-value', type: 'text', readonly: true, value: code, autocomplete: 'off', spellcheck: 'false', size: 32 }),
        h('div', { class: 'st-actions' }, printButton)));
    }
    const receipt = h('button', { type: 'button' }, t('Open receipt'));
    // Opened in place, so the code is still there to come back to.
    receipt.addEventListener('click', () => busy(receipt, null, async () => {
      const place = h('div');
      await receiptView(place, storyteller.id, consent.id, code ? draw : null);
      clear(container);
      container.appendChild(place);
      const heading = place.querySelector('h1');
      if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
    }));
    const doneButton = h('button', { type: 'button' }, t('Back to {name}', { name: storyteller.publicName }));
    doneButton.addEventListener('click', () => navigate(`/storytellers/${storyteller.id}`));
    container.appendChild(h('div', { class: 'st-actions' }, receipt, doneButton));
    const focus = container.querySelector('#st-withdrawal-code') || container.querySelector('h1');
    if (focus) focus.focus();
  };
  draw();
}

/* -------------------------------------------------------------- views */

function summaryOf(consents) {
  const current = currentConsents(consents || []).filter((r) => USABLE.has(r.status));
  if (!current.length) return t('No consent in force');
  const channels = [...new Set(current.flatMap((r) => r.channels))];
  return t('In force: {channels}', { channels: channels.map(words).join(', ') || t('no channel') });
}

async function listView(container) {
  container.appendChild(h('h1', null, t('Storytellers and consent')));
  const add = h('a', { href: '#/storytellers/new', class: 'st-button st-primary' }, t('New storyteller'));
  container.appendChild(h('div', { class: 'st-actions' }, add));

  const listBox = h('section', { 'aria-labelledby': 'st-list-title' }, h('h2', { id: 'st-list-title' }, t('Storytellers')));
  container.appendChild(listBox);
  const status = h('p', { role: 'status' }, t('Loading storytellers…'));
  listBox.appendChild(status);
  const editor = isEditor();
  let all = [];
  let failed = null;
  try {
    // Editors' rows bring each person's consents, which the query cost counts.
    all = await allPages(editor ? 'StorytellersPageEditorial' : 'StorytellersPage', 'storytellers', editor ? 40 : PAGE);
  } catch (err) {
    failed = err;
  }
  const table = h('table', { class: 'st-table' });
  const draw = (filter) => {
    clear(table);
    table.appendChild(h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('Public name')),
      editor ? h('th', { scope: 'col' }, t('Consent')) : null,
      editor ? h('th', { scope: 'col' }, t('Languages')) : null,
      h('th', { scope: 'col' }, t('Recorded')))));
    const body = h('tbody');
    const shown = all.filter((s) => !filter || s.publicName.toLowerCase().includes(filter));
    for (const s of shown) {
      body.appendChild(h('tr', null,
        h('th', { scope: 'row' }, h('a', { href: `#/storytellers/${encodeURIComponent(s.id)}`, dir: 'auto' }, s.publicName)),
        editor ? h('td', null, summaryOf(s.consents)) : null,
        editor ? h('td', null, (s.languages || []).join(', ') || '—') : null,
        h('td', null, day(s.createdAt))));
    }
    table.appendChild(body);
    status.textContent = filter
      ? t('{count} of {total} storytellers match.', { count: shown.length, total: all.length })
      : t('{total} storytellers.', { total: all.length });
  };
  const search = searchBox(t('Search storytellers by name'), draw);
  listBox.insertBefore(search.element, status);
  if (failed) {
    status.textContent = '';
    listBox.appendChild(h('p', { class: 'nr-error', role: 'alert' }, describeError(failed)));
  } else {
    listBox.appendChild(table);
    draw('');
  }

  if (editor) container.appendChild(await expiringSection(all));
  container.appendChild(withdrawByCodeSection());
}

async function expiringSection(all) {
  const section = h('section', { 'aria-labelledby': 'st-expiring-title' },
    h('h2', { id: 'st-expiring-title' }, t('Consents ending within 30 days')));
  try {
    const data = await gql('StorytellersConsentsExpiring', { withinDays: 30 });
    const names = new Map(all.map((s) => [s.id, s.publicName]));
    if (!data.consentsExpiring.length) {
      section.appendChild(h('p', null, t('None. Renew a consent from the storyteller’s page before it ends.')));
    } else {
      section.appendChild(h('ul', null, data.consentsExpiring.map((r) => h('li', null,
        h('a', { href: `#/storytellers/${encodeURIComponent(r.storytellerId)}`, dir: 'auto' }, names.get(r.storytellerId) || r.storytellerId),
        ` — ${r.channels.map(words).join(', ')} — ${t('ends {date}', { date: when(r.expiresAt) })}`))));
    }
  } catch (err) {
    section.appendChild(h('p', { class: 'nr-error', role: 'alert' }, describeError(err)));
  }
  return section;
}

function withdrawByCodeSection() {
  const id = 'st-withdraw-code';
  const input = h('input', { id, type: 'text', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': `${id}-help`, size: 32 });
  const button = h('button', { type: 'submit' }, t('Withdraw consent'));
  const box = alertBox();
  const result = h('p', { role: 'status' });
  const form = h('form', { class: 'st-withdraw', novalidate: true },
    h('label', { for: id }, t('Withdrawal code')),
    h('p', { class: 'nr-help', id: `${id}-help` },
      t('The code the storyteller gives you, in person or by phone. Capitals, spaces and dashes do not matter. It withdraws all of their consent at once: their stories leave every website and app at once, and the code is then used up.')),
    input, box, h('div', { class: 'st-actions' }, button), result);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    result.textContent = '';
    const code = input.value.trim();
    if (!code) {
      showError(box, new Error(t('Enter the code the storyteller gave you.')));
      input.focus();
      return;
    }
    busy(button, box, async () => {
      try {
        const data = await gql('StorytellersWithdrawByCode', { code });
        input.value = '';
        const n = data.withdrawConsent.consentsWithdrawn;
        const text = n === 1
          ? t('Withdrawn: 1 consent record. Their stories are no longer shown anywhere.')
          : t('Withdrawn: {count} consent records. Their stories are no longer shown anywhere.', { count: n });
        result.textContent = text;
        notify(text);
      } catch (err) {
        if (err instanceof GqlError && err.code === 'NOT_FOUND') {
          throw new Error(t('This code is not valid: it may be mistyped, replaced by a newer code, or used already. Nothing was changed.'));
        }
        throw err;
      }
    });
  });
  return h('section', { 'aria-labelledby': 'st-withdraw-title' },
    h('h2', { id: 'st-withdraw-title' }, t('Withdraw with a code')), form);
}

/** The create form (any staff member) or the edit form (editors and admins). */
async function storytellerForm(container, id) {
  const editing = Boolean(id);
  const editor = isEditor();
  let current = null;
  let personal = {};
  if (editing) {
    const [basic, secret] = await Promise.all([
      gql('StorytellerEditorial', { id }), gql('StorytellerPersonal', { id })]);
    current = basic.storyteller;
    personal = secret.storyteller.personalData;
  }
  container.appendChild(h('h1', null, editing
    ? t('Edit {name}', { name: current.publicName }) : t('New storyteller')));
  if (editing) {
    container.appendChild(h('p', null, t('Opening this form read their personal details; the read is recorded in the audit log.')));
  } else if (!editor) {
    container.appendChild(h('p', null, t('You record their legal name, which is stored encrypted; after saving, only editors and admins can read it.')));
  }
  const labels = {
    publicName: 'Public name',
    publicNameIsPseudonym: 'This name is a pseudonym',
    legalName: 'Legal name',
    contact: 'Contact (phone, e-mail, address)',
    yearOfBirth: 'Year of birth',
    dateOfBirth: 'Date of birth',
    languages: 'Languages they speak',
    privateNotes: 'Private notes',
    asylumSeeker: 'Asylum seeker',
    refugee: 'Refugee',
    undocumented: 'Undocumented',
  };
  const help = {
    publicName: 'The name or pseudonym they chose to be known by. Readers see it only as their consent allows.',
    publicNameIsPseudonym: 'Tick when the public name is not their real name. Under a “Pseudonym” consent, only a name ticked here is shown.',
    legalName: 'Their real name, for your records. Stored encrypted; never shown to readers or partners.',
    contact: 'How to reach them. Stored encrypted; editors and admins only.',
    yearOfBirth: 'Needed to know whether they may be under 18: a child needs a guardian and their consent ends at 18.',
    dateOfBirth: 'When known; makes the end of a child’s consent exact.',
    languages: 'Language codes such as ar, fa, en.',
    privateNotes: 'Anything colleagues should know. Stored encrypted; editors and admins only.',
    asylumSeeker: 'Their stories then need a risk assessment before approval.',
    refugee: 'Their stories then need a risk assessment before approval.',
    undocumented: 'Their stories then need a risk assessment before approval.',
  };
  // Contributors write only what the API requires of them; reading is for editors.
  const hidden = ['guardian'];
  if (!editor) hidden.push('contact', 'privateNotes');
  const values = editing ? {
    publicName: current.publicName,
    publicNameIsPseudonym: current.publicNameIsPseudonym,
    yearOfBirth: current.yearOfBirth,
    dateOfBirth: current.dateOfBirth,
    languages: current.languages,
    legalName: personal.legalName,
    contact: personal.contact,
    privateNotes: personal.privateNotes,
    // The API tells these only as risk groups; shown so a save keeps them visible.
    asylumSeeker: current.riskGroups.includes('ASYLUM_SEEKER'),
    refugee: current.riskGroups.includes('REFUGEE'),
    undocumented: current.riskGroups.includes('UNDOCUMENTED'),
  } : {};
  const form = await inputForm(editing ? 'UpdateStorytellerInput' : 'CreateStorytellerInput', {
    values, labels, help, hidden, multiline: ['privateNotes'],
  });
  // The guardian block only when needed: its fields are required once it is there.
  const guardianId = 'st-guardian-toggle';
  const hadGuardian = Boolean(personal.guardian);
  const toggle = h('input', { type: 'checkbox', id: guardianId, checked: hadGuardian, 'aria-describedby': `${guardianId}-help` });
  const guardianForm = await inputForm('GuardianInput', {
    values: personal.guardian || {},
    labels: { name: 'Guardian’s name', relationship: 'Relationship', authorityBasis: 'Basis of their authority', contact: 'Guardian’s contact' },
    help: {
      relationship: 'For example mother, legal guardian, social worker.',
      authorityBasis: 'What gives them authority: parental responsibility, a court or care order…',
    },
  });
  const guardianBox = h('fieldset', { class: 'nr-fieldset st-guardian', hidden: !hadGuardian },
    h('legend', null, t('Guardian or legal representative')), guardianForm.element);
  toggle.addEventListener('change', () => { guardianBox.hidden = !toggle.checked; });
  const guardianSection = h('div', { class: 'nr-field nr-field-checkbox' },
    toggle, ' ', h('label', { for: guardianId }, t('They are, or may be, under 18: record their guardian')),
    h('p', { class: 'nr-help', id: `${guardianId}-help` },
      t('Required for anyone who may be under 18. Stored encrypted.')));

  const box = alertBox();
  const save = h('button', { type: 'submit', class: 'st-primary' }, editing ? t('Save storyteller') : t('Create storyteller'));
  const cancel = h('a', { href: editing ? `#/storytellers/${encodeURIComponent(id)}` : '#/storytellers', class: 'st-button' }, t('Cancel'));
  const element = h('form', { class: 'st-form', novalidate: true },
    form.element, guardianSection, guardianBox, box, h('div', { class: 'st-actions' }, save, cancel));
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, box, async () => {
      const input = form.value();
      if (toggle.checked) input.guardian = guardianForm.value();
      else if (editing && hadGuardian) input.guardian = null;
      try {
        if (editing) {
          await gql('StorytellerUpdate', { id, input });
          notify(t('Saved.'));
          navigate(`/storytellers/${id}`);
        } else {
          const data = await gql('StorytellerCreate', { input });
          notify(t('Storyteller {name} created.', { name: data.createStoryteller.publicName }));
          navigate(`/storytellers/${data.createStoryteller.id}`);
        }
      } catch (err) {
        const first = err instanceof GqlError ? err.errors[0] : null;
        if (first && first.extensions && first.extensions.field === 'guardian' && !toggle.checked) {
          // The API asks for a guardian: open their fields beside the message.
          toggle.checked = true;
          guardianBox.hidden = false;
        }
        const owner = ownerOf([form, guardianForm], first);
        if (owner) {
          owner.setErrors(err);
          throw markedAbove();
        }
        throw err;
      }
    });
  });
  container.appendChild(element);
}

function consentRow(storyteller, r) {
  const actions = [];
  const link = (text, path) => h('a', { href: `#/storytellers/${encodeURIComponent(storyteller.id)}/${path}`, class: 'st-button' }, text);
  actions.push(link(t('Open receipt'), `receipt/${r.id}`));
  // Only the steps the API allows from this status (docs/CONSENT.md): an ended
  // record is followed by a new one, never edited back to life.
  if (!r.supersededBy) {
    if (!ENDED.has(r.status)) actions.push(link(t('Amend'), `consent/${r.id}/amend`));
    if (['GIVEN', 'RENEWED', 'EXPIRED'].includes(r.status)) actions.push(link(t('Renew'), `consent/${r.id}/renew`));
    if (ENDABLE.has(r.status)) actions.push(link(t('End consent'), `consent/${r.id}/end`));
  }
  return h('li', { class: `st-consent st-status-${r.status.toLowerCase()}` },
    h('h3', null, `${words(r.status)} — ${r.channels.map(words).join(', ') || t('no channel')}`),
    h('dl', { class: 'st-terms-list' },
      h('dt', null, t('Stories')), h('dd', null, r.storyId ? t('One story') : t('All their stories')),
      h('dt', null, t('Named as')), h('dd', null, words(r.identityLevel)),
      h('dt', null, t('Faces')), h('dd', null, words(r.faces)),
      h('dt', null, t('Voice')), h('dd', null, words(r.voice)),
      h('dt', null, t('Place')), h('dd', null, words(r.locationPrecision)),
      h('dt', null, t('Given')), h('dd', null, when(r.givenAt)),
      h('dt', null, t('Ends')), h('dd', null, when(r.expiresAt)),
      h('dt', null, t('Recorded by')), h('dd', null, `${who(r.recordedBy)}, ${when(r.createdAt)}`)),
    h('div', { class: 'st-actions' }, actions));
}

async function storytellerView(container, id) {
  const editor = isEditor();
  const data = await gql(editor ? 'StorytellerEditorial' : 'StorytellerBasic', { id });
  const s = data.storyteller;
  container.appendChild(h('p', { class: 'st-back' }, h('a', { href: '#/storytellers' }, t('All storytellers'))));
  container.appendChild(h('h1', { dir: 'auto' }, s.publicName));
  if (!editor) {
    container.appendChild(h('p', null, t('Recorded {date}. Editors and admins see their details and consent.', { date: day(s.createdAt) })));
    return;
  }
  container.appendChild(h('dl', { class: 'st-details' },
    h('dt', null, t('Public name is a pseudonym')), h('dd', null, s.publicNameIsPseudonym ? t('Yes') : t('No')),
    h('dt', null, t('Born')), h('dd', null, s.dateOfBirth || (s.yearOfBirth ? String(s.yearOfBirth) : t('Unknown'))),
    h('dt', null, t('Languages')), h('dd', null, s.languages.join(', ') || '—'),
    h('dt', null, t('Risk groups')), h('dd', null, s.riskGroups.map(words).join(', ') || t('None')),
    h('dt', null, t('Recorded')), h('dd', null, day(s.createdAt))));

  const edit = h('a', { href: `#/storytellers/${encodeURIComponent(id)}/edit`, class: 'st-button' }, t('Edit storyteller'));
  const record = h('a', { href: `#/storytellers/${encodeURIComponent(id)}/consent/new`, class: 'st-button st-primary' }, t('Record consent'));
  container.appendChild(h('div', { class: 'st-actions' }, record, edit));

  // Personal details: read only on request, since every read is audited.
  const personalBox = h('div', { class: 'st-personal' });
  const show = h('button', { type: 'button' }, t('Show personal details'));
  const personalAlert = alertBox();
  show.addEventListener('click', () => busy(show, personalAlert, async () => {
    const p = (await gql('StorytellerPersonal', { id })).storyteller.personalData;
    clear(personalBox).appendChild(h('dl', { class: 'st-details' },
      h('dt', null, t('Legal name')), h('dd', { dir: 'auto' }, p.legalName || '—'),
      h('dt', null, t('Contact')), h('dd', { dir: 'auto' }, p.contact || '—'),
      h('dt', null, t('Guardian')), h('dd', { dir: 'auto' }, p.guardian
        ? `${p.guardian.name} (${p.guardian.relationship}; ${p.guardian.authorityBasis})${p.guardian.contact ? `, ${p.guardian.contact}` : ''}`
        : '—'),
      h('dt', null, t('Private notes')), h('dd', { dir: 'auto', class: 'st-notes' }, p.privateNotes || '—')));
    show.hidden = true;
  }));
  container.appendChild(h('section', { 'aria-labelledby': 'st-personal-title' },
    h('h2', { id: 'st-personal-title' }, t('Personal details')),
    h('p', { class: 'nr-help' }, t('Legal name, contact, guardian and notes. Each look is recorded in the audit log.')),
    h('div', { class: 'st-actions' }, show), personalAlert, personalBox));

  // Their stories, to open in the stories panel; drawn when the list arrives.
  const storiesStatus = h('p', { role: 'status' }, t('Loading their stories…'));
  const storiesSection = h('section', { 'aria-labelledby': 'st-stories-title' },
    h('h2', { id: 'st-stories-title' }, t('Their stories')), storiesStatus);
  container.appendChild(storiesSection);
  storiesOf(s.id).then((list) => {
    storiesStatus.textContent = list.length ? '' : t('No story yet.');
    if (list.length) {
      storiesSection.appendChild(h('ul', null, list.map((story) => h('li', null,
        h('a', { href: `#/stories/${encodeURIComponent(story.id)}`, lang: story.primaryLocale, dir: dirOf(story.primaryLocale) }, storyTitle(story)),
        ` (${words(story.state)})`))));
    }
  }, (err) => { storiesStatus.textContent = describeError(err); });

  const current = currentConsents(s.consents).slice().reverse();
  const past = s.consents.filter((r) => r.supersededBy).reverse();
  container.appendChild(h('section', { 'aria-labelledby': 'st-consents-title' },
    h('h2', { id: 'st-consents-title' }, t('Consent')),
    current.length ? h('ul', { class: 'st-consents' }, current.map((r) => consentRow(s, r)))
      : h('p', null, t('No consent is recorded yet. Nothing of theirs can be published until it is.'))));
  if (past.length) {
    container.appendChild(h('section', { 'aria-labelledby': 'st-past-title' },
      h('h2', { id: 'st-past-title' }, t('Earlier records')),
      h('ul', { class: 'st-consents st-past' }, past.map((r) => consentRow(s, r)))));
  }
  if (s.consentEvents.length) {
    container.appendChild(h('section', { 'aria-labelledby': 'st-history-title' },
      h('h2', { id: 'st-history-title' }, t('History')),
      h('ol', { class: 'st-history' }, s.consentEvents.slice().reverse().map((e) => h('li', null,
        `${when(e.at)}: ${ACTIONS[e.action] ? t(ACTIONS[e.action]) : words(e.action)} (${e.fromStatus ? `${words(e.fromStatus)} → ` : ''}${words(e.toStatus)}), `,
        t('indicated by {by} via {via}, recorded by {actor}', { by: words(e.indicatedBy), via: words(e.via), actor: who(e.actor) }))))));
  }
}

/** Record (no record given), amend or renew a consent with the guided form. */
async function consentFormView(container, storytellerId, record, mode) {
  const data = await gql('StorytellerEditorial', { id: storytellerId });
  const s = data.storyteller;
  const titles = {
    record: 'Record consent for {name}',
    amend: 'Amend consent of {name}',
    renew: 'Renew consent of {name}',
  };
  container.appendChild(h('p', { class: 'st-back' },
    h('a', { href: `#/storytellers/${encodeURIComponent(s.id)}` }, t('Back to {name}', { name: s.publicName }))));
  container.appendChild(h('h1', null, t(titles[mode], { name: s.publicName })));
  const intros = {
    record: 'Go through the steps with them, in their language. Each term is explained in plain words; tick only what they said yes to. When you save, you get their withdrawal code, shown once.',
    amend: 'Change what they agreed to. A new record replaces this one; the old one stays in the history. Narrowing their consent takes effect at once.',
    renew: 'They agree again, with new dates. Check every term with them; leave the dates empty to start today for the standard period.',
  };
  container.appendChild(h('p', { class: 'st-intro' }, t(intros[mode])));
  if (s.riskGroups.includes('MINOR')) {
    container.appendChild(h('p', { class: 'st-warning' },
      t('{name} is, or may be, under 18: record their guardian’s consent and their own agreement (step 5).', { name: s.publicName })));
  }

  let head = null;
  if (mode === 'record') {
    // The answer (and any field the schema adds beside the terms).
    head = await inputForm('RecordConsentInput', {
      hidden: ['storytellerId', 'terms'],
      labels: { status: 'Their answer' },
      help: { status: 'Given: they agreed; only this allows any use. Requested: we asked and wait for their answer. Refused: they said no. Unknown: older material whose consent we cannot show.' },
    });
    const select = head.element.querySelector('[data-field="status"] select');
    if (select) {
      for (const option of [...select.options]) {
        if (option.value && !['GIVEN', 'REQUESTED', 'REFUSED', 'UNKNOWN'].includes(option.value)) option.remove();
      }
    }
  }
  let amendStatus = null;
  if (mode === 'amend' && ['REQUESTED', 'UNKNOWN'].includes(record.status)) {
    amendStatus = h('select', { id: 'st-amend-status' },
      h('option', { value: '' }, t('Keep “{status}”', { status: words(record.status) })),
      h('option', { value: 'GIVEN' }, t('Given: they agreed')),
      h('option', { value: 'REFUSED' }, t('Refused: they said no')));
  }

  const values = record ? termsOf(record, mode === 'renew') : {
    language: (s.languages && s.languages[0]) || 'en',
    collectedBy: (currentUser() && (currentUser().displayName || currentUser().email)) || '',
    jurisdiction: lastUsed.jurisdiction,
  };
  const terms = await termsForm(s, values);
  const box = alertBox();
  const buttons = { record: 'Record consent', amend: 'Save amended consent', renew: 'Renew consent' };
  const save = h('button', { type: 'submit', class: 'st-primary' }, t(buttons[mode]));
  const element = h('form', { class: 'st-form st-consent-form', novalidate: true },
    head ? head.element : null,
    amendStatus ? h('div', { class: 'nr-field' }, h('label', { for: 'st-amend-status' }, t('Their answer')), amendStatus) : null,
    terms.element, box, h('div', { class: 'st-actions' }, save));
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, box, async () => {
      let headValue = {};
      let problem = null;
      try { if (head) headValue = head.value(); } catch (err) { problem = err; }
      let termsValue = null;
      try { termsValue = terms.value(); } catch (err) { problem = problem || err; }
      if (problem) {
        box.appendChild(h('p', { class: 'nr-error' }, t('Please correct the marked fields.')));
        return;
      }
      if (termsValue.jurisdiction) lastUsed.jurisdiction = termsValue.jurisdiction;
      try {
        let payload;
        if (mode === 'record') {
          payload = (await gql('StorytellersRecordConsent', {
            input: { ...headValue, storytellerId: s.id, terms: termsValue },
          })).recordConsent;
        } else if (mode === 'amend') {
          payload = (await gql('StorytellersAmendConsent', {
            id: record.id, status: amendStatus && amendStatus.value ? amendStatus.value : null, terms: termsValue,
          })).amendConsent;
        } else {
          payload = (await gql('StorytellersRenewConsent', { id: record.id, terms: termsValue })).renewConsent;
        }
        notify(t('Consent saved.'));
        const verbs = { record: 'Consent recorded', amend: 'Consent amended', renew: 'Consent renewed' };
        showRecorded(container, s, payload.consent, payload.withdrawalCode, verbs[mode]);
      } catch (err) {
        if (terms.setErrors(err)) throw markedAbove();
        if (err instanceof GqlError && err.code === 'CONFLICT') {
          throw new Error(t('{message} Someone changed this consent meanwhile: go back to the storyteller and act on the newest record.', { message: err.message }));
        }
        throw err;
      }
    });
  });
  container.appendChild(element);
}

/** Consent event actions, as sentences (their own keys: "Recorded" alone is a column). */
const ACTIONS = {
  RECORDED: 'Consent recorded',
  AMENDED: 'Consent amended',
  RENEWED: 'Consent renewed',
  WITHDRAWN: 'Consent withdrawn',
  REVOKED: 'Consent revoked',
  INVALIDATED: 'Consent invalidated',
  EXPIRED: 'Consent expired',
};

const ENDINGS = [
  ['WITHDRAW', 'Withdraw', 'The person takes their consent back (or their guardian does for them). This is final for what it covers.'],
  ['REVOKE', 'Revoke', 'The organisation stops the use, for example when a safeguarding officer sees a new risk.'],
  ['INVALIDATE', 'Invalidate', 'The consent was never sound: a false guardian, the person was under age, or they agreed under pressure.'],
];
const INDICATED = [['STORYTELLER', 'The storyteller'], ['GUARDIAN', 'Their guardian'], ['ORGANISATION', 'Our organisation']];
const VIA = [['IN_PERSON', 'In person'], ['PHONE', 'By phone'], ['EMAIL', 'By e-mail'], ['POST', 'By post'], ['MESSAGE', 'By message']];

function radios(name, legend, options, checked) {
  return h('fieldset', { class: 'nr-field st-radios' }, h('legend', null, t(legend)),
    options.map(([value, label, help]) => {
      const id = `st-${name}-${value}`;
      return h('div', { class: 'nr-check' },
        h('input', { type: 'radio', id, name, value, checked: value === checked, 'aria-describedby': help ? `${id}-help` : null }),
        ' ', h('label', { for: id }, t(label)),
        help ? h('p', { class: 'nr-help', id: `${id}-help` }, t(help)) : null);
    }));
}

async function endView(container, storytellerId, record) {
  const s = (await gql('StorytellerEditorial', { id: storytellerId })).storyteller;
  container.appendChild(h('p', { class: 'st-back' },
    h('a', { href: `#/storytellers/${encodeURIComponent(s.id)}` }, t('Back to {name}', { name: s.publicName }))));
  container.appendChild(h('h1', null, t('End consent of {name}', { name: s.publicName })));
  container.appendChild(h('p', null, t('This consent covers {channels}. Ending it takes effect at once: stories it alone covers stop being shown there on the next request, and every partner that received them is asked to take them down.', {
    channels: record.channels.map(words).join(', '),
  })));
  const box = alertBox();
  const save = h('button', { type: 'submit', class: 'st-danger' }, t('End consent'));
  const element = h('form', { class: 'st-form', novalidate: true },
    radios('ending', 'Why it ends', ENDINGS, 'WITHDRAW'),
    radios('indicatedBy', 'Who asked', INDICATED, 'STORYTELLER'),
    radios('via', 'How it reached us', VIA, 'IN_PERSON'),
    box, h('div', { class: 'st-actions' }, save));
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    const pick = (name) => (element.querySelector(`input[name="${name}"]:checked`) || {}).value;
    busy(save, box, async () => {
      const ended = (await gql('StorytellersEndConsent', {
        id: record.id, ending: pick('ending'), indicatedBy: pick('indicatedBy'), via: pick('via'),
      })).endConsent;
      notify(t('The consent is now “{status}”.', { status: words(ended.status) }));
      navigate(`/storytellers/${s.id}`);
    });
  });
  container.appendChild(element);
}

/** The receipt: the server's self-contained page in a frame that runs no script. */
async function receiptView(container, storytellerId, consentId, backToCode) {
  const [teller, data] = await Promise.all([
    gql('StorytellerBasic', { id: storytellerId }),
    gql('StorytellersReceipt', { id: consentId })]);
  const s = teller.storyteller;
  const receipt = data.consentReceipt;
  if (backToCode) {
    const back = h('button', { type: 'button' }, t('Back to the withdrawal code'));
    back.addEventListener('click', backToCode);
    container.appendChild(h('div', { class: 'st-actions st-no-print' }, back));
  } else {
    container.appendChild(h('p', { class: 'st-back st-no-print' },
      h('a', { href: `#/storytellers/${encodeURIComponent(s.id)}` }, t('Back to {name}', { name: s.publicName }))));
  }
  container.appendChild(h('h1', { class: 'st-no-print' }, t('Consent receipt of {name}', { name: s.publicName })));
  container.appendChild(h('p', { class: 'st-no-print' }, t('In their language ({language}). The receipt never holds their name or withdrawal code: write the code in its box if you print it now.', { language: receipt.language })));
  // No allow-scripts: the page is the server's escaped HTML and runs nothing;
  // allow-same-origin lets Print reach the frame, allow-modals lets it print.
  const frame = h('iframe', {
    class: 'st-receipt-frame',
    title: t('Consent receipt'),
    sandbox: 'allow-same-origin allow-modals',
    lang: receipt.language,
    referrerpolicy: 'no-referrer',
  });
  frame.srcdoc = receipt.html;
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    if (doc && doc.documentElement) frame.style.height = `${doc.documentElement.scrollHeight + 24}px`;
  });
  const print = h('button', { type: 'button', class: 'st-primary' }, t('Print'));
  print.addEventListener('click', () => {
    if (frame.contentWindow) frame.contentWindow.print();
  });
  container.appendChild(h('div', { class: 'st-actions st-no-print' }, print));
  container.appendChild(frame);
  container.appendChild(h('p', { class: 'nr-help st-no-print' }, t('Receipt fingerprint (SHA-256): {hash}', { hash: receipt.hash })));
}

/* ------------------------------------------------------------ the panel */

/*
 * The panel's memory (partners, the last notice and jurisdiction) belongs to one
 * signed-in person: the core has no sign-out hook for panels, so it is dropped
 * whenever someone else is signed in.
 */
let memoryOwner = null;
function forgetOtherUsers() {
  const user = currentUser();
  const owner = (user && (user.id || user.email)) || null;
  if (owner === memoryOwner) return;
  memoryOwner = owner;
  partnersCache = null;
  lastUsed.jurisdiction = '';
  lastUsed.notice = null;
}

async function render(container, params) {
  forgetOtherUsers();
  const [id, sub, third, fourth] = params;
  if (!id) return listView(container);
  if (id === 'new') return storytellerForm(container, null);
  if (!sub) return storytellerView(container, id);
  if (!isEditor()) {
    container.appendChild(h('h1', null, t('Storytellers and consent')));
    container.appendChild(h('p', { role: 'alert' }, t('Your role does not allow this.')));
    return undefined;
  }
  if (sub === 'edit') return storytellerForm(container, id);
  if (sub === 'receipt' && third) return receiptView(container, id, third);
  if (sub === 'consent' && third === 'new') return consentFormView(container, id, null, 'record');
  if (sub === 'consent' && third && ['amend', 'renew', 'end'].includes(fourth)) {
    const record = (await gql('StorytellersConsentRecord', { id: third })).consentRecord;
    if (fourth === 'end') return endView(container, id, record);
    return consentFormView(container, id, record, fourth);
  }
  return storytellerView(container, id);
}

registerPanel({
  id: 'storytellers',
  title: 'Storytellers and consent',
  order: 20,
  roles: ['ADMIN', 'EDITOR', 'CONTRIBUTOR'],
  render,
});

addTranslations('ar', {
  'Storytellers and consent': 'الرواة والموافقة',
  Storytellers: 'الرواة',
  'New storyteller': 'راوٍ جديد',
  'Public name': 'الاسم العلني',
  Consent: 'الموافقة',
  Languages: 'اللغات',
  Recorded: 'تاريخ التسجيل',
  'Search storytellers by name': 'ابحث عن الرواة بالاسم',
  'Loading storytellers…': 'جارٍ تحميل الرواة…',
  '{count} of {total} storytellers match.': '{count} من {total} من الرواة مطابقون.',
  '{total} storytellers.': '{total} من الرواة.',
  'No consent in force': 'لا موافقة سارية',
  'In force: {channels}': 'سارية: {channels}',
  'no channel': 'لا قناة',
  'Consents ending within 30 days': 'موافقات تنتهي خلال 30 يومًا',
  'None. Renew a consent from the storyteller’s page before it ends.': 'لا شيء. جدّد الموافقة من صفحة الراوي قبل انتهائها.',
  'ends {date}': 'تنتهي {date}',
  'Withdraw with a code': 'السحب برمز',
  'Withdrawal code': 'رمز السحب',
  'Withdraw consent': 'اسحب الموافقة',
  'The code the storyteller gives you, in person or by phone. Capitals, spaces and dashes do not matter. It withdraws all of their consent at once: their stories leave every website and app at once, and the code is then used up.':
    'الرمز الذي يعطيك إياه الراوي، شخصيًا أو بالهاتف. لا تهم الأحرف الكبيرة أو المسافات أو الشرطات. يسحب كل موافقاته دفعة واحدة: تُزال قصصه من كل المواقع والتطبيقات فورًا، ثم يصبح الرمز مستخدمًا.',
  'Enter the code the storyteller gave you.': 'أدخل الرمز الذي أعطاك إياه الراوي.',
  'Withdrawn: 1 consent record. Their stories are no longer shown anywhere.': 'تم السحب: سجل موافقة واحد. لم تعد قصصه تُعرض في أي مكان.',
  'Withdrawn: {count} consent records. Their stories are no longer shown anywhere.': 'تم السحب: {count} من سجلات الموافقة. لم تعد قصصه تُعرض في أي مكان.',
  'This code is not valid: it may be mistyped, replaced by a newer code, or used already. Nothing was changed.':
    'هذا الرمز غير صالح: ربما كُتب خطأً، أو حلّ محله رمز أحدث، أو استُخدم من قبل. لم يتغير شيء.',
  'Choose a storyteller…': 'اختر راويًا…',
  'No storytellers yet: create one first.': 'لا يوجد رواة بعد: أنشئ راويًا أولًا.',
  Storyteller: 'الراوي',
  'Consent record': 'سجل الموافقة',
  'Choose the storyteller first': 'اختر الراوي أولًا',
  'Loading…': 'جارٍ التحميل…',
  'Choose a consent record…': 'اختر سجل موافقة…',
  'until {date}': 'حتى {date}',
  replaced: 'مستبدَل',
  'Loading partners…': 'جارٍ تحميل الشركاء…',
  'No partners are recorded yet (an admin adds them).': 'لا يوجد شركاء مسجلون بعد (يضيفهم المسؤول).',
  Partners: 'الشركاء',
  Partner: 'الشريك',
  'Choose a partner…': 'اختر شريكًا…',
  'All their stories, now and later': 'كل قصصه، الآن ولاحقًا',
  'Loading their stories…': 'جارٍ تحميل قصصه…',
  'Their stories': 'قصصه',
  'No story yet.': 'لا قصة بعد.',
  'They have no story yet; the consent will cover the stories they tell later.': 'ليست له قصة بعد؛ ستشمل الموافقة القصص التي يرويها لاحقًا.',
  'Step 1: what they agree to': 'الخطوة 1: ما يوافق عليه',
  'Where their story may be shown. Anything not ticked stays closed.': 'أين يمكن عرض قصته. كل ما لم يُحدَّد يبقى مغلقًا.',
  'Step 2: how they appear': 'الخطوة 2: كيف يظهر',
  'How they can be recognised: their name, face, voice and place.': 'كيف يمكن التعرف عليه: اسمه ووجهه وصوته ومكانه.',
  'Step 3: for how long': 'الخطوة 3: لأي مدة',
  'Every consent ends. They can withdraw it earlier, at any time.': 'لكل موافقة نهاية. ويمكنه سحبها قبل ذلك في أي وقت.',
  'Step 4: the conversation': 'الخطوة 4: المحادثة',
  'How, in which language and with which information sheet they agreed.': 'كيف وافق، وبأي لغة، وبأي ورقة معلومات.',
  'Step 5: children and young people': 'الخطوة 5: الأطفال واليافعون',
  'For anyone who is, or may be, under 18: both their guardian’s consent and their own agreement.': 'لكل من هو دون 18 عامًا أو قد يكون كذلك: موافقة وليّه وموافقته هو.',
  'Step 6: evidence': 'الخطوة 6: الإثبات',
  'Where the proof of their agreement is kept.': 'أين يُحفظ إثبات موافقته.',
  'Other terms': 'شروط أخرى',
  'Which stories': 'أي القصص',
  'Where the story may appear': 'أين يمكن أن تظهر القصة',
  'Named partners': 'الشركاء المسمَّون',
  'Every partner, now and in the future': 'كل الشركاء، الآن وفي المستقبل',
  'How they may be named': 'كيف يمكن تسميته',
  'Faces in photos and videos': 'الوجوه في الصور والفيديو',
  'Their voice in recordings': 'صوته في التسجيلات',
  'How precisely the place is shown': 'مدى دقة عرض المكان',
  'Sensitive things the story reveals': 'أمور حساسة تكشفها القصة',
  'They gave explicit consent to these sensitive things': 'أعطى موافقة صريحة على هذه الأمور الحساسة',
  'When they agreed': 'متى وافق',
  'When the consent ends': 'متى تنتهي الموافقة',
  'How they agreed': 'كيف وافق',
  'Language of the conversation': 'لغة المحادثة',
  'Interpreter or person who explained it': 'المترجم أو من شرحها',
  'Version of the consent notice': 'إصدار نص الموافقة',
  'Fingerprint of the consent notice': 'بصمة نص الموافقة',
  'Who collected the consent': 'من جمع الموافقة',
  Jurisdiction: 'الولاية القضائية',
  'Who gave the answer': 'من أعطى الجواب',
  'How the answer reached us': 'كيف وصلنا الجواب',
  'Their guardian consented': 'وافق وليّه',
  'The child agreed too': 'وافق الطفل أيضًا',
  'Where the evidence is kept': 'أين يُحفظ الإثبات',
  'Leave at “All their stories” to cover every story they tell us, now and later, or choose the one story they agreed to.':
    'اترك «كل قصصه» لتشمل كل قصة يرويها لنا الآن ولاحقًا، أو اختر القصة الوحيدة التي وافق عليها.',
  'Tick each place they said yes to. Public web: our own website. Partner sites: the websites of the partners named below. Mobile app: our app. Social media: our social media accounts. Press: journalists and news media. Print exhibition: printed material and exhibitions. Research archive: an archive for researchers.':
    'حدّد كل مكان قال له نعم. الويب العام: موقعنا. مواقع الشركاء: مواقع الشركاء المسمَّين أدناه. تطبيق الجوال: تطبيقنا. وسائل التواصل: حساباتنا. الصحافة: الصحفيون ووسائل الإعلام. معرض مطبوع: المواد المطبوعة والمعارض. أرشيف بحثي: أرشيف للباحثين.',
  'Only with “Partner sites”: the partner organisations they agreed to. A partner not ticked never receives the story.':
    'فقط مع «مواقع الشركاء»: المنظمات الشريكة التي وافق عليها. الشريك غير المحدد لا يتلقى القصة أبدًا.',
  'Only with “Partner sites”, and only if they clearly agreed to every partner, including partners we work with later. It is never assumed.':
    'فقط مع «مواقع الشركاء»، وفقط إذا وافق بوضوح على كل الشركاء، بمن فيهم من نعمل معهم لاحقًا. لا يُفترض ذلك أبدًا.',
  'Full name: their public name as written. First name: only its first word. Pseudonym: their public name, labelled as a pseudonym (nothing is shown if it is their real name). Anonymous: no name at all. The most protective choice among their consents wins.':
    'الاسم الكامل: اسمه العلني كما هو. الاسم الأول: الكلمة الأولى منه فقط. اسم مستعار: اسمه العلني موسومًا كاسم مستعار (لا يُعرض شيء إن كان اسمه الحقيقي). مجهول: بلا اسم. يُطبَّق الخيار الأكثر حماية بين موافقاته.',
  'Shown: their face may be seen. Obscured: photos are shown only after an editor has covered every face with a solid box, and no video showing faces is shown. Not depicted: no picture or video showing them is shown.':
    'ظاهر: يمكن رؤية وجهه. محجوب: تُعرض الصور فقط بعد أن يغطي محرر كل وجه بمربع مصمت، ولا يُعرض فيديو يُظهر وجوهًا. غير مصوَّر: لا تُعرض أي صورة أو فيديو يظهر فيه.',
  'Original: recordings and videos may be played as recorded. Altered: they agreed only to a changed voice; Chorus cannot change voices, so no recording is played. Text only: only the written story.':
    'أصلي: يمكن تشغيل التسجيلات والفيديو كما سُجّلت. معدَّل: وافق فقط على صوت مغيَّر؛ لا يستطيع Chorus تغيير الأصوات فلا يُشغَّل أي تسجيل. نص فقط: القصة المكتوبة فقط.',
  'None: no place at all. Country: e.g. “United Kingdom”. Region: e.g. “United Kingdom / North West”. City: e.g. “United Kingdom / North West / Manchester”.':
    'لا شيء: بلا مكان. الدولة: مثل «المملكة المتحدة». المنطقة: مثل «المملكة المتحدة / الشمال الغربي». المدينة: مثل «المملكة المتحدة / الشمال الغربي / مانشستر».',
  'Tick what the story reveals about them, such as their health, religion, politics or sexual orientation (special categories under GDPR Art. 9). Leave empty if it reveals none.':
    'حدّد ما تكشفه القصة عنه، مثل صحته أو دينه أو آرائه السياسية أو ميوله الجنسية (فئات خاصة وفق المادة 9 من اللائحة العامة لحماية البيانات). اتركه فارغًا إن لم تكشف شيئًا.',
  'They agreed clearly and specifically that the sensitive things ticked above may be published. Required when anything is ticked above.':
    'وافق بوضوح وتحديد على نشر الأمور الحساسة المحددة أعلاه. مطلوب عند تحديد أي منها.',
  'Leave empty for now. It can be earlier, such as the day of the interview, but never in the future.':
    'اتركه فارغًا للوقت الحالي. يمكن أن يكون قبل ذلك، مثل يوم المقابلة، لكن ليس في المستقبل.',
  'Leave empty for the standard period (two years unless your organisation changed it). A child’s consent ends on their 18th birthday at the latest, whatever you enter.':
    'اتركه فارغًا للمدة المعتادة (سنتان ما لم تغيّرها منظمتك). تنتهي موافقة الطفل في عيد ميلاده الثامن عشر على الأكثر، أيًا كان ما تدخله.',
  'Written: a signed form. Digital: an online form or app. Verbal recorded: said aloud and recorded. Mark or thumbprint: they marked the form instead of signing.':
    'كتابي: نموذج موقَّع. رقمي: نموذج إلكتروني أو تطبيق. شفهي مسجَّل: قيل بصوت عالٍ وسُجّل. علامة أو بصمة إبهام: وضع علامة بدل التوقيع.',
  'A language code such as en, ar, fa or uk. Their receipt is printed in this language when Chorus has a translation, in English otherwise.':
    'رمز لغة مثل en أو ar أو fa أو uk. يُطبع إيصاله بهذه اللغة إن توفرت ترجمة، وبالإنجليزية خلاف ذلك.',
  'The name of the interpreter or the person who explained it to them; leave empty if there was none.':
    'اسم المترجم أو من شرحها له؛ اتركه فارغًا إن لم يوجد.',
  'The name or version of the information sheet you showed or read to them, for example 2026-01. Filled in from the file you choose below; change it if your sheets have their own numbers.':
    'اسم أو إصدار ورقة المعلومات التي عرضتها أو قرأتها عليه، مثل 2026-01. يُملأ من الملف الذي تختاره أدناه؛ غيّره إن كانت لأوراقك أرقامها الخاصة.',
  'Filled in for you when you choose the notice file below: “sha256:” and the file’s SHA-256. It proves later which exact text they were shown.':
    'يُملأ تلقائيًا عند اختيار ملف النص أدناه: «sha256:» وبصمة SHA-256 للملف. يثبت لاحقًا النص الدقيق الذي عُرض عليه.',
  'Your name, or the name of the colleague who talked with them.': 'اسمك، أو اسم الزميل الذي تحدث معه.',
  'The country whose law applies, as a code such as GB, DE or FR.': 'الدولة التي ينطبق قانونها، برمز مثل GB أو DE أو FR.',
  'Storyteller: the person themselves. Guardian: their parent or legal guardian. Organisation: us.': 'الراوي: الشخص نفسه. الولي: والده أو وليّه القانوني. المنظمة: نحن.',
  'How their answer reached us: in person, by phone, e-mail, post or a message.': 'كيف وصلنا جوابه: شخصيًا أو بالهاتف أو البريد الإلكتروني أو البريد أو برسالة.',
  'Their parent or legal guardian agreed. Needed, with the child’s own agreement, for anyone who is or may be under 18.':
    'وافق والده أو وليّه القانوني. مطلوب، مع موافقة الطفل نفسه، لكل من هو دون 18 عامًا أو قد يكون كذلك.',
  'The child themselves agreed, in words they understood.': 'وافق الطفل نفسه، بكلمات فهمها.',
  'Where the signed form or the recording is kept, for example a file number or a shelf. It is never shown outside the admin.':
    'أين يُحفظ النموذج الموقَّع أو التسجيل، مثل رقم ملف أو رف. لا يُعرض أبدًا خارج لوحة الإدارة.',
  'Notice {name}: fingerprint {hash}': 'النص {name}: البصمة {hash}',
  'Reading the notice…': 'جارٍ قراءة النص…',
  'The file could not be read: {reason}': 'تعذرت قراءة الملف: {reason}',
  'Consent notice shown to the storyteller (file)': 'نص الموافقة المعروض على الراوي (ملف)',
  'Choose the information sheet (PDF, text, audio…) exactly as you showed or read it to them. It stays on this computer: only its fingerprint is sent.':
    'اختر ورقة المعلومات (PDF، نص، صوت…) كما عرضتها أو قرأتها عليه تمامًا. تبقى على هذا الحاسوب: تُرسل بصمتها فقط.',
  Print: 'اطبع',
  Back: 'رجوع',
  'Print withdrawal code': 'اطبع رمز السحب',
  'Upload evidence': 'ارفع الإثبات',
  'Not saved: see the marked field above.': 'لم يُحفظ: انظر الحقل المعلَّم أعلاه.',
  'Choose the file first.': 'اختر الملف أولًا.',
  'Uploaded and kept private: {ref}': 'رُفع ويُحفظ خاصًا: {ref}',
  'Evidence file (a scanned form, a recording)': 'ملف الإثبات (نموذج ممسوح، تسجيل)',
  'Optional. Uploaded to Chorus as private evidence, never shown outside the admin; the field above then names it.':
    'اختياري. يُرفع إلى Chorus كإثبات خاص لا يُعرض أبدًا خارج لوحة الإدارة؛ ثم يسمّيه الحقل أعلاه.',
  'Only the sheet below is printed. Hand it to {name} with their receipt.': 'تُطبع الورقة أدناه فقط. سلّمها إلى {name} مع إيصاله.',
  'The consent of {name} is now “{status}”.': 'موافقة {name} الآن «{status}».',
  'Shown once: their code to withdraw': 'يُعرض مرة واحدة: رمزه لسحب الموافقة',
  'Give this code to {name}. With it they can withdraw all their consent at any time, without an account. It replaces any earlier code. Chorus keeps only a fingerprint of it and can never show it again: print it or write it on their receipt now.':
    'أعطِ هذا الرمز إلى {name}. به يستطيع سحب كل موافقاته في أي وقت، دون حساب. يحل محل أي رمز سابق. لا يحتفظ Chorus إلا ببصمته ولن يعرضه مرة أخرى: اطبعه أو اكتبه على إيصاله الآن.',
  'Open receipt': 'افتح الإيصال',
  'Back to the withdrawal code': 'العودة إلى رمز السحب',
  'Back to {name}': 'العودة إلى {name}',
  'Consent recorded': 'سُجّلت الموافقة',
  'Consent amended': 'عُدّلت الموافقة',
  'Consent renewed': 'جُدّدت الموافقة',
  'Consent withdrawn': 'سُحبت الموافقة',
  'Consent revoked': 'ألغت المنظمة الموافقة',
  'Consent invalidated': 'أُبطلت الموافقة',
  'Consent expired': 'انتهت الموافقة',
  'Edit {name}': 'تعديل {name}',
  'Opening this form read their personal details; the read is recorded in the audit log.': 'فتح هذا النموذج قرأ بياناته الشخصية؛ وقد سُجّلت القراءة في سجل التدقيق.',
  'You record their legal name, which is stored encrypted; after saving, only editors and admins can read it.': 'تسجّل اسمه القانوني، ويُحفظ مشفرًا؛ بعد الحفظ لا يقرؤه إلا المحررون والمسؤولون.',
  'This name is a pseudonym': 'هذا الاسم مستعار',
  'Legal name': 'الاسم القانوني',
  'Contact (phone, e-mail, address)': 'وسيلة التواصل (هاتف، بريد، عنوان)',
  'Year of birth': 'سنة الميلاد',
  'Date of birth': 'تاريخ الميلاد',
  'Languages they speak': 'اللغات التي يتحدثها',
  'Private notes': 'ملاحظات خاصة',
  'Asylum seeker': 'طالب لجوء',
  Refugee: 'لاجئ',
  Undocumented: 'بلا وثائق',
  'The name or pseudonym they chose to be known by. Readers see it only as their consent allows.': 'الاسم أو الاسم المستعار الذي اختاره. لا يراه القراء إلا بقدر ما تسمح موافقته.',
  'Tick when the public name is not their real name. Under a “Pseudonym” consent, only a name ticked here is shown.': 'حدّده إن لم يكن الاسم العلني اسمه الحقيقي. مع موافقة «اسم مستعار» لا يُعرض إلا اسم محدد هنا.',
  'Their real name, for your records. Stored encrypted; never shown to readers or partners.': 'اسمه الحقيقي لسجلاتك. يُحفظ مشفرًا؛ لا يُعرض أبدًا للقراء أو الشركاء.',
  'How to reach them. Stored encrypted; editors and admins only.': 'كيفية التواصل معه. يُحفظ مشفرًا؛ للمحررين والمسؤولين فقط.',
  'Needed to know whether they may be under 18: a child needs a guardian and their consent ends at 18.': 'لازم لمعرفة إن كان دون 18 عامًا: يحتاج الطفل إلى ولي وتنتهي موافقته عند 18.',
  'When known; makes the end of a child’s consent exact.': 'إن كان معروفًا؛ يجعل نهاية موافقة الطفل دقيقة.',
  'Language codes such as ar, fa, en.': 'رموز لغات مثل ar وfa وen.',
  'Anything colleagues should know. Stored encrypted; editors and admins only.': 'كل ما ينبغي أن يعرفه الزملاء. يُحفظ مشفرًا؛ للمحررين والمسؤولين فقط.',
  'Their stories then need a risk assessment before approval.': 'تحتاج قصصه عندئذ إلى تقييم للمخاطر قبل الموافقة.',
  'Guardian’s name': 'اسم الولي',
  Relationship: 'صلة القرابة',
  'Basis of their authority': 'أساس سلطته',
  'Guardian’s contact': 'وسيلة التواصل مع الولي',
  'For example mother, legal guardian, social worker.': 'مثل الأم أو الولي القانوني أو الأخصائي الاجتماعي.',
  'What gives them authority: parental responsibility, a court or care order…': 'ما يمنحه السلطة: المسؤولية الأبوية، أمر محكمة أو رعاية…',
  'Guardian or legal representative': 'الولي أو الممثل القانوني',
  'They are, or may be, under 18: record their guardian': 'هو دون 18 عامًا أو قد يكون كذلك: سجّل وليّه',
  'Required for anyone who may be under 18. Stored encrypted.': 'مطلوب لكل من قد يكون دون 18 عامًا. يُحفظ مشفرًا.',
  'Save storyteller': 'احفظ الراوي',
  'Create storyteller': 'أنشئ الراوي',
  Cancel: 'إلغاء',
  'Saved.': 'حُفظ.',
  'Storyteller {name} created.': 'أُنشئ الراوي {name}.',
  Amend: 'عدّل',
  Renew: 'جدّد',
  'End consent': 'أنهِ الموافقة',
  Stories: 'القصص',
  'One story': 'قصة واحدة',
  'All their stories': 'كل قصصه',
  'Named as': 'يُسمّى',
  Faces: 'الوجوه',
  Voice: 'الصوت',
  Place: 'المكان',
  Given: 'أُعطيت',
  Ends: 'تنتهي',
  'Recorded by': 'سجّلها',
  'All storytellers': 'كل الرواة',
  'Recorded {date}. Editors and admins see their details and consent.': 'سُجّل في {date}. يرى المحررون والمسؤولون تفاصيله وموافقته.',
  'Public name is a pseudonym': 'الاسم العلني مستعار',
  Yes: 'نعم',
  No: 'لا',
  Born: 'الميلاد',
  Unknown: 'غير معروف',
  'Risk groups': 'فئات الخطر',
  None: 'لا شيء',
  'Edit storyteller': 'عدّل الراوي',
  'Record consent': 'سجّل الموافقة',
  'Show personal details': 'اعرض البيانات الشخصية',
  'Personal details': 'البيانات الشخصية',
  'Legal name, contact, guardian and notes. Each look is recorded in the audit log.': 'الاسم القانوني ووسيلة التواصل والولي والملاحظات. تُسجَّل كل قراءة في سجل التدقيق.',
  Contact: 'التواصل',
  Guardian: 'الولي',
  'No consent is recorded yet. Nothing of theirs can be published until it is.': 'لم تُسجَّل موافقة بعد. لا يمكن نشر شيء له قبل ذلك.',
  'Earlier records': 'سجلات سابقة',
  History: 'السجل',
  'indicated by {by} via {via}, recorded by {actor}': 'بطلب من {by} عبر {via}، سجّلها {actor}',
  'the storyteller or Chorus itself': 'الراوي أو Chorus نفسه',
  'Record consent for {name}': 'سجّل موافقة {name}',
  'Amend consent of {name}': 'عدّل موافقة {name}',
  'Renew consent of {name}': 'جدّد موافقة {name}',
  'Go through the steps with them, in their language. Each term is explained in plain words; tick only what they said yes to. When you save, you get their withdrawal code, shown once.':
    'امرّ على الخطوات معه بلغته. كل شرط مشروح بكلمات بسيطة؛ حدّد فقط ما قال له نعم. عند الحفظ تحصل على رمز السحب الخاص به، ويُعرض مرة واحدة.',
  'Change what they agreed to. A new record replaces this one; the old one stays in the history. Narrowing their consent takes effect at once.':
    'غيّر ما وافق عليه. يحل سجل جديد محل هذا؛ ويبقى القديم في السجل. تضييق الموافقة يسري فورًا.',
  'They agree again, with new dates. Check every term with them; leave the dates empty to start today for the standard period.':
    'يوافق مجددًا بتواريخ جديدة. راجع كل شرط معه؛ اترك التواريخ فارغة لتبدأ اليوم للمدة المعتادة.',
  '{name} is, or may be, under 18: record their guardian’s consent and their own agreement (step 5).': '{name} دون 18 عامًا أو قد يكون كذلك: سجّل موافقة وليّه وموافقته هو (الخطوة 5).',
  'Their answer': 'جوابه',
  'Given: they agreed; only this allows any use. Requested: we asked and wait for their answer. Refused: they said no. Unknown: older material whose consent we cannot show.':
    'معطاة: وافق؛ وهذا وحده يسمح بأي استخدام. مطلوبة: سألناه وننتظر جوابه. مرفوضة: قال لا. غير معروفة: مواد قديمة لا نستطيع إثبات موافقتها.',
  'Keep “{status}”': 'أبقِ «{status}»',
  'Given: they agreed': 'معطاة: وافق',
  'Refused: they said no': 'مرفوضة: قال لا',
  'Save amended consent': 'احفظ الموافقة المعدلة',
  'Renew consent': 'جدّد الموافقة',
  'Please correct the marked fields.': 'يرجى تصحيح الحقول المعلَّمة.',
  'Consent saved.': 'حُفظت الموافقة.',
  '{message} Someone changed this consent meanwhile: go back to the storyteller and act on the newest record.': '{message} غيّر أحدهم هذه الموافقة في الأثناء: عد إلى الراوي واعمل على أحدث سجل.',
  Withdraw: 'سحب',
  'The person takes their consent back (or their guardian does for them). This is final for what it covers.': 'يسحب الشخص موافقته (أو يسحبها وليّه عنه). وهذا نهائي لما تشمله.',
  Revoke: 'إلغاء من المنظمة',
  'The organisation stops the use, for example when a safeguarding officer sees a new risk.': 'توقف المنظمة الاستخدام، مثلًا عندما يرى مسؤول الحماية خطرًا جديدًا.',
  Invalidate: 'إبطال',
  'The consent was never sound: a false guardian, the person was under age, or they agreed under pressure.': 'لم تكن الموافقة سليمة قط: ولي مزيّف، أو كان الشخص قاصرًا، أو وافق تحت الضغط.',
  'The storyteller': 'الراوي',
  'Their guardian': 'وليّه',
  'Our organisation': 'منظمتنا',
  'In person': 'شخصيًا',
  'By phone': 'بالهاتف',
  'By e-mail': 'بالبريد الإلكتروني',
  'By post': 'بالبريد',
  'By message': 'برسالة',
  'End consent of {name}': 'إنهاء موافقة {name}',
  'This consent covers {channels}. Ending it takes effect at once: stories it alone covers stop being shown there on the next request, and every partner that received them is asked to take them down.':
    'تشمل هذه الموافقة {channels}. ينفذ إنهاؤها فورًا: تتوقف القصص التي لا تشملها إلا هي عن الظهور هناك من الطلب التالي، ويُطلب من كل شريك تلقاها إزالتها.',
  'Why it ends': 'سبب الإنهاء',
  'Who asked': 'من طلب',
  'How it reached us': 'كيف وصلنا',
  'The consent is now “{status}”.': 'الموافقة الآن «{status}».',
  'Consent receipt of {name}': 'إيصال موافقة {name}',
  'In their language ({language}). The receipt never holds their name or withdrawal code: write the code in its box if you print it now.':
    'بلغته ({language}). لا يحمل الإيصال اسمه ولا رمز السحب: اكتب الرمز في خانته إن طبعته الآن.',
  'Consent receipt': 'إيصال الموافقة',
  'Receipt fingerprint (SHA-256): {hash}': 'بصمة الإيصال (SHA-256): {hash}',
  'Your role does not allow this.': 'دورك لا يسمح بهذا.',
  // Enum words the panel shows.
  Pseudonym: 'اسم مستعار',
  'Full name': 'الاسم الكامل',
  'First name': 'الاسم الأول',
  Anonymous: 'مجهول',
  Shown: 'ظاهر',
  Obscured: 'محجوب',
  'Not depicted': 'غير مصوَّر',
  Original: 'أصلي',
  Altered: 'معدَّل',
  'Text only': 'نص فقط',
  Country: 'الدولة',
  Region: 'المنطقة',
  City: 'المدينة',
  'Public web': 'الويب العام',
  'Partner sites': 'مواقع الشركاء',
  'Mobile app': 'تطبيق الجوال',
  'Social media': 'وسائل التواصل الاجتماعي',
  Press: 'الصحافة',
  'Print exhibition': 'معرض مطبوع',
  'Research archive': 'أرشيف بحثي',
  Requested: 'مطلوبة',
  Renewed: 'مجدَّدة',
  Refused: 'مرفوضة',
  Withdrawn: 'مسحوبة',
  Revoked: 'ملغاة',
  Expired: 'منتهية',
  Invalidated: 'مُبطلة',
  Written: 'كتابي',
  Digital: 'رقمي',
  'Verbal recorded': 'شفهي مسجَّل',
  'Mark or thumbprint': 'علامة أو بصمة إبهام',
  Phone: 'الهاتف',
  Email: 'البريد الإلكتروني',
  Post: 'البريد',
  Message: 'رسالة',
  Automatic: 'تلقائي',
  Organisation: 'المنظمة',
  Minor: 'قاصر',
  'Ethnic origin': 'الأصل العرقي',
  'Political opinion': 'الرأي السياسي',
  'Religion or belief': 'الدين أو المعتقد',
  'Trade union': 'النقابة',
  Genetic: 'جيني',
  Biometric: 'بيومتري',
  Health: 'الصحة',
  'Sex life or orientation': 'الحياة أو الميول الجنسية',
});
