/*
 * Newsroom: the organisation in view.
 *
 * Owns who the signed-in person is in the coalition (their role and
 * organisation, from `me`), the organisations they may see, and which one the
 * newsroom shows: platform admins choose any organisation in the bar above the
 * sections (the choice is kept for the tab in sessionStorage under a `chorus.`
 * key, so sign-out wipes it with the rest); everyone else sees their own
 * organisation's name there. The People, Campaigns and Keys sections read the
 * choice from here and are drawn again when it changes.
 */
import { h, clear, gql, t, addTranslations, notify, registerBanner, redraw, currentUser } from './core.js';

const CHOICE_KEY = 'chorus.newsroom.organisation';

let context = null;

/** Loads `me` and the organisations (once per sign-in, and again on demand). */
export async function loadOrganisations() {
  const data = await gql('OrganisationContext');
  const me = data.me;
  const list = [...(data.organisations || [])];
  // The server answers `organisations` with the caller's own for most staff.
  if (me.organisation && !list.some((o) => o.id === me.organisation.id)) list.push(me.organisation);
  list.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'PLATFORM' ? -1 : 1));
  context = { me, list, chosenId: null };
  let saved = null;
  try { saved = sessionStorage.getItem(choiceKey()); } catch (_) { /* storage refused */ }
  context.chosenId = platformAdmin() && list.some((o) => o.id === saved) ? saved : me.organisation.id;
  drawBar();
  return context;
}

function choiceKey() {
  const user = currentUser();
  return `${CHOICE_KEY}.${user ? user.id : 'nobody'}`;
}

/** The signed-in staff member as `me` answers (role, organisation), or null before loading. */
export function me() {
  return context ? context.me : null;
}

/** Every organisation the signed-in person may see, the platform first, then by name. */
export function organisations() {
  return context ? context.list : [];
}

/** True for an ADMIN of the platform organisation. */
export function platformAdmin() {
  const who = me();
  return Boolean(who && who.role === 'ADMIN' && who.organisation && who.organisation.kind === 'PLATFORM');
}

/** True when the signed-in person is an ADMIN of `organisationId` or a platform admin. */
export function managesOrganisation(organisationId) {
  const who = me();
  if (!who || who.role !== 'ADMIN') return false;
  return platformAdmin() || (who.organisation && who.organisation.id === organisationId);
}

/** The organisation in view: the chosen one for platform admins, otherwise one's own. */
export function chosenOrganisation() {
  if (!context) return null;
  return context.list.find((o) => o.id === context.chosenId) || context.me.organisation;
}

/** Shows another organisation (platform admins); sections are drawn again. */
export function chooseOrganisation(id) {
  if (!context || !context.list.some((o) => o.id === id)) return;
  context.chosenId = id;
  try { sessionStorage.setItem(choiceKey(), id); } catch (_) { /* storage refused: kept in memory */ }
  drawBar();
  redraw();
}

/** Adds or replaces an organisation in the list (after creating or renaming one). */
export function rememberOrganisation(org) {
  if (!context) return;
  const at = context.list.findIndex((o) => o.id === org.id);
  if (at >= 0) context.list[at] = { ...context.list[at], ...org };
  else context.list.push(org);
  context.list.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'PLATFORM' ? -1 : 1));
  drawBar();
}

/** The organisation's name with what kind it is, e.g. "IMIX (member)". */
export function organisationLabel(org) {
  if (!org) return t('Unknown organisation');
  return org.kind === 'PLATFORM' ? t('{name} (runs the archive)', { name: org.name }) : org.name;
}

/* ----------------------------------------------------------------- the bar */

let slot = null;

function drawBar() {
  if (!slot || !context) return;
  const current = chosenOrganisation();
  clear(slot);
  if (!platformAdmin()) {
    slot.appendChild(h('section', { class: 'nr-orgbar', 'aria-label': t('Organisation') },
      h('span', { class: 'nr-orgbar-label' }, t('Organisation')), ' ',
      h('strong', { class: 'nr-orgbar-name' }, h('bdi', null, organisationLabel(current)))));
    return;
  }
  // A select and a button, not a select that redraws on change: arrowing through
  // the list must not redraw the page under the person at each step.
  const select = h('select', { id: 'nr-org-choice', name: 'organisation' },
    context.list.map((o) => h('option', { value: o.id }, organisationLabel(o))));
  select.value = current.id;
  const form = h('form', { class: 'nr-orgbar', 'aria-label': t('Organisation') },
    h('label', { for: 'nr-org-choice', class: 'nr-orgbar-label' }, t('Organisation in view')),
    select,
    h('button', { type: 'submit', class: 'nr-button' }, t('Show organisation')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (select.value === chosenOrganisation().id) return;
    chooseOrganisation(select.value);
    notify(t('The newsroom now shows {name}.', { name: chosenOrganisation().name }));
  });
  slot.appendChild(form);
}

registerBanner({
  async load() {
    await loadOrganisations();
  },
  draw(into) {
    slot = into;
    drawBar();
  },
  forget() {
    context = null;
    slot = null;
  },
});

addTranslations('ar', {
  Organisation: 'المنظمة',
  'Organisation in view': 'المنظمة المعروضة',
  'Show organisation': 'اعرض المنظمة',
  'The newsroom now shows {name}.': 'تعرض غرفة الأخبار الآن {name}.',
  'Unknown organisation': 'منظمة غير معروفة',
  '{name} (runs the archive)': '{name} (تدير الأرشيف)',
});
