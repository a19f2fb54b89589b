/*
 * Newsroom panel: Organisations (admins).
 *
 * Owns the coalition's organisations as an admin sees them: platform admins
 * list every one, create a member organisation (optionally the partner that
 * holds its API keys) and rename any; an organisation's admins see their own.
 * Which organisation the other sections show is chosen in the bar above them
 * (organisation.js); this panel offers a shortcut to it.
 */
import { h, clear, gql, t, addTranslations, notify, describeError, registerPanel, formatDateTime } from './core.js';
import { creationForm } from './forms.js';
import {
  organisations, platformAdmin, chooseOrganisation, chosenOrganisation, rememberOrganisation,
  loadOrganisations,
} from './organisation.js';

function kindWord(kind) {
  return kind === 'PLATFORM' ? t('Platform (runs the archive)') : t('Member of the coalition');
}

/* ------------------------------------------------------------- create */

async function createSection(onCreated) {
  const host = h('div');
  const result = h('div', { 'aria-live': 'polite' });
  await creationForm(host, {
    type: 'CreateOrganisationInput',
    options: {
      labels: { slug: t('Short name for addresses'), name: t('Name'), partnerId: t('Partner it also is') },
      help: {
        slug: t('Small letters and hyphens, for example imix. It cannot be changed later.'),
        partnerId: t('Only if the organisation shows stories on its own site or app and holds API keys (optional).'),
      },
    },
    className: 'org-create',
    labelledBy: 'org-create-title',
    buttonText: t('Create organisation'),
    async run(input) {
      clear(result);
      const created = (await gql('OrganisationsCreate', { input })).createOrganisation;
      rememberOrganisation(created);
      notify(t('{name} is created.', { name: created.name }));
      const show = h('button', { type: 'button', class: 'nr-button' }, t('Show {name} in the newsroom', { name: created.name }));
      show.addEventListener('click', () => chooseOrganisation(created.id));
      result.appendChild(h('p', { class: 'org-created' }, t('{name} is created.', { name: created.name }), ' ', show));
      show.focus();
      onCreated(created);
    },
  });
  return h('section', { class: 'org-section', 'aria-labelledby': 'org-create-title' },
    h('h2', { id: 'org-create-title' }, t('New organisation')),
    h('p', { class: 'nr-intro' }, t('A member of the coalition that runs its own campaigns. Invite its first admin from People once it exists.')),
    host, result);
}

/* -------------------------------------------------------------- list */

function listSection() {
  const body = h('tbody');
  const error = h('div', { class: 'nr-form-errors', role: 'alert' });
  const platform = platformAdmin();
  const table = h('table', { class: 'nr-table org-table' },
    h('caption', { class: 'nr-visually-hidden' }, t('Organisations')),
    h('thead', null, h('tr', null,
      [t('Organisation'), t('Short name'), t('Kind'), t('Partner'), t('Since'), platform ? t('Actions') : null]
        .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
    body);

  function row(org) {
    const nameId = `org-name-${org.id}`;
    const cells = [
      h('th', { scope: 'row', id: nameId }, h('bdi', null, org.name),
        chosenOrganisation() && chosenOrganisation().id === org.id ? h('span', { class: 'org-in-view' }, ` ${t('(in view)')}`) : null),
      h('td', { dir: 'ltr' }, h('code', null, org.slug)),
      h('td', null, kindWord(org.kind)),
      h('td', null, org.partner ? h('bdi', null, org.partner.name) : '—'),
      h('td', null, org.createdAt ? formatDateTime(org.createdAt) : ''),
    ];
    if (platform) {
      const inputId = `org-rename-${org.id}`;
      const input = h('input', { id: inputId, type: 'text', value: org.name, autocomplete: 'off', 'aria-labelledby': `${inputId}-label ${nameId}` });
      const rename = h('button', { type: 'button', class: 'nr-button' }, t('Rename'));
      rename.addEventListener('click', async () => {
        clear(error);
        const name = input.value.trim();
        if (!name || name === org.name) {
          input.focus();
          return;
        }
        rename.disabled = true;
        try {
          const renamed = (await gql('OrganisationsRename', { id: org.id, name })).renameOrganisation;
          rememberOrganisation(renamed);
          notify(t('{old} is now called {name}.', { old: org.name, name: renamed.name }));
          draw();
        } catch (err) {
          error.appendChild(h('p', null, t('{who}: {problem}', { who: org.name, problem: describeError(err) })));
          rename.disabled = false;
        }
      });
      const show = h('button', { type: 'button', class: 'nr-button' }, t('Show in the newsroom'));
      show.setAttribute('aria-describedby', nameId);
      show.addEventListener('click', () => chooseOrganisation(org.id));
      cells.push(h('td', { class: 'org-actions' },
        h('div', { class: 'people-role-change' },
          h('span', { id: `${inputId}-label`, class: 'nr-visually-hidden' }, t('New name of')), input, rename),
        chosenOrganisation() && chosenOrganisation().id === org.id ? null : show));
    }
    return h('tr', { 'data-organisation': org.slug }, cells);
  }

  function draw() {
    clear(body);
    for (const org of organisations()) body.appendChild(row(org));
  }

  const section = h('section', { class: 'org-section', 'aria-labelledby': 'org-list-title' },
    h('h2', { id: 'org-list-title' }, platform ? t('Every organisation') : t('Your organisation')),
    error, h('div', { class: 'nr-table-wrap' }, table));
  return { section, draw };
}

/* ------------------------------------------------------------- panel */

registerPanel({
  id: 'organisations',
  title: 'Organisations',
  order: 35,
  roles: ['ADMIN'],
  async render(container) {
    container.appendChild(h('h1', null, t('Organisations')));
    container.appendChild(h('p', { class: 'nr-intro' }, platformAdmin()
      ? t('The coalition: the platform and its member organisations. Each one has its own people, campaigns and keys; choose which one the newsroom shows in the bar at the top.')
      : t('Only the platform’s admins create or rename organisations.')));
    // Fresh from the server: another admin may have added one since sign-in.
    await loadOrganisations();
    const list = listSection();
    if (platformAdmin()) container.appendChild(await createSection(() => list.draw()));
    container.appendChild(list.section);
    list.draw();
  },
});

addTranslations('ar', {
  Organisations: 'المنظمات',
  'Platform (runs the archive)': 'المنصة (تدير الأرشيف)',
  'Member of the coalition': 'عضو في التحالف',
  'Short name for addresses': 'اسم مختصر للعناوين',
  'Partner it also is': 'الشريك الذي تمثّله أيضًا',
  'Only if the organisation shows stories on its own site or app and holds API keys (optional).':
    'فقط إن كانت المنظمة تعرض القصص على موقعها أو تطبيقها وتملك مفاتيح API (اختياري).',
  'Create organisation': 'أنشئ المنظمة',
  'Small letters and hyphens, for example imix. It cannot be changed later.':
    'أحرف لاتينية صغيرة وشرطات، مثل imix. لا يمكن تغييره لاحقًا.',
  '{name} is created.': 'أُنشئت {name}.',
  'Show {name} in the newsroom': 'اعرض {name} في غرفة الأخبار',
  'New organisation': 'منظمة جديدة',
  'A member of the coalition that runs its own campaigns. Invite its first admin from People once it exists.':
    'عضو في التحالف يدير حملاته الخاصة. ادعُ أول مدير لها من قسم الأشخاص بعد إنشائها.',
  'Short name': 'الاسم المختصر',
  Kind: 'النوع',
  Partner: 'الشريك',
  '(in view)': '(معروضة)',
  Rename: 'إعادة تسمية',
  '{old} is now called {name}.': 'صار اسم {old} الآن {name}.',
  'Show in the newsroom': 'اعرض في غرفة الأخبار',
  'New name of': 'الاسم الجديد لـ',
  'Every organisation': 'كل المنظمات',
  'Your organisation': 'منظمتك',
  'The coalition: the platform and its member organisations. Each one has its own people, campaigns and keys; choose which one the newsroom shows in the bar at the top.':
    'التحالف: المنصة والمنظمات الأعضاء. لكل منها أشخاصها وحملاتها ومفاتيحها؛ اختر أيها تعرض غرفة الأخبار من الشريط في الأعلى.',
  'Only the platform’s admins create or rename organisations.': 'مديرو المنصة وحدهم ينشئون المنظمات أو يعيدون تسميتها.',
});
