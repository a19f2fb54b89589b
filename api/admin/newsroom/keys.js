/*
 * Newsroom panel: API keys of the organisation in view (admins).
 *
 * Owns the keys as an admin manages them: a member organisation that is also a
 * partner has the keys of that partner; the platform has the keys bound to no
 * member organisation's partner (its own site and app, for instance). A new
 * key's secret is shown once, with a copy button and a warning, because Chorus
 * keeps only its hash; revoking asks first, because every app using the key
 * stops at once. What the server refuses a role (FORBIDDEN) is explained, not
 * shown as a failure.
 */
import {
  h, clear, gql, t, addTranslations, notify, describeError, registerPanel, formatDateTime, allNodes, shownOnce,
} from './core.js';
import { creationForm, enumLabel } from './forms.js';
import { chosenOrganisation, organisations, platformAdmin } from './organisation.js';

const PAGE_LIMIT = 50; // 40 keys a page (the complexity budget)

function allKeys() {
  return allNodes('KeysPage', 'apiKeys', PAGE_LIMIT);
}

/** The keys that belong to `org`, from every key the server answered. */
function keysOf(org, keys) {
  if (!platformAdmin()) return keys; // the server answers with what the role may see
  if (org.kind === 'PLATFORM') {
    const members = new Set(organisations().filter((o) => o.partner).map((o) => o.partner.id));
    return keys.filter((k) => !k.partnerId || !members.has(k.partnerId));
  }
  return org.partner ? keys.filter((k) => k.partnerId === org.partner.id) : [];
}

function statusOf(key) {
  if (key.revokedAt) return t('Revoked {when}', { when: formatDateTime(key.revokedAt) });
  if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) return t('No longer valid');
  return key.expiresAt ? t('Active until {when}', { when: formatDateTime(key.expiresAt) }) : t('Active');
}

/** The secret, shown this once, with a copy button and what to do with it. */
function showSecret(container, created) {
  shownOnce(container, {
    id: 'keys-secret',
    className: 'keys-secret-box',
    title: t('The key for {name}', { name: created.apiKey.name }),
    label: t('Secret key'),
    value: created.secret,
    copyText: t('Copy key'),
    copied: t('The key is copied.'),
    selectedHint: t('Press Ctrl+C to copy the selected key.'),
    note: [h('strong', null, t('Shown only this once.')), ' ',
      t('Chorus keeps only a fingerprint of it: copy it now into the partner’s site or app settings. Whoever holds it reads stories as this partner; never send it by e-mail or chat in plain text.')],
  });
}

async function createSection(org, onCreated) {
  const member = org.kind !== 'PLATFORM';
  const host = h('div');
  const result = h('div', { 'aria-live': 'polite' });
  await creationForm(host, {
    type: 'CreateApiKeyInput',
    options: {
      hidden: member ? ['partnerId'] : [],
      values: member ? { channel: 'PARTNER_SITES' } : {},
      labels: {
        name: t('What the key is for'), channel: t('Channel'), campaignIds: t('Only these campaigns'),
        expiresAt: t('Stops working on (optional)'), partnerId: t('Partner'),
      },
      help: {
        name: t('For example: IMIX website. Shown to admins only.'),
        channel: t('Where the stories are shown; a member organisation’s own site is “Partner sites”. Readers see only what consent allows on it. “Submissions” is for a campaign site’s form where storytellers send their own stories in: tick exactly one campaign your organisation runs.'),
        campaignIds: t('Leave all unticked for every campaign.'),
        expiresAt: t('Empty: until it is revoked.'),
      },
    },
    className: 'keys-create',
    labelledBy: 'keys-create-title',
    buttonText: t('Create key'),
    async run(input) {
      clear(result);
      // A campaign site's SUBMISSIONS key belongs to its campaign, not a partner.
      if (member && org.partner && input.channel !== 'SUBMISSIONS') input.partnerId = org.partner.id;
      const created = (await gql('KeysCreate', { input })).createApiKey;
      showSecret(result, created);
      notify(t('The key {name} is made.', { name: created.apiKey.name }));
      onCreated(created.apiKey);
    },
  });
  return h('section', { class: 'keys-section', 'aria-labelledby': 'keys-create-title' },
    h('h2', { id: 'keys-create-title' }, t('New key')), host, result);
}

function listSection(org, keys) {
  const body = h('tbody');
  const error = h('div', { class: 'nr-form-errors', role: 'alert' });
  const empty = h('p', { class: 'nr-help' }, t('No keys yet.'));
  const table = h('table', { class: 'nr-table keys-table' },
    h('caption', { class: 'nr-visually-hidden' }, t('Keys of {org}', { org: org.name })),
    h('thead', null, h('tr', null,
      [t('Key'), t('Channel'), t('Status'), t('Last used'), t('Actions')].map((c) => h('th', { scope: 'col' }, c)))),
    body);
  const wrap = h('div', { class: 'nr-table-wrap' }, table);

  function row(key) {
    const nameId = `keys-name-${key.id}`;
    const actions = h('td', { class: 'people-actions' });
    if (!key.revokedAt) {
      const revoke = h('button', { type: 'button', class: 'nr-button nr-danger', 'aria-describedby': nameId }, t('Revoke key'));
      revoke.addEventListener('click', () => confirmRevoke(key, actions, revoke));
      actions.appendChild(revoke);
    }
    return h('tr', { 'data-key': key.prefix },
      h('th', { scope: 'row', id: nameId }, h('bdi', null, key.name), ' ',
        h('code', { class: 'keys-prefix', dir: 'ltr' }, `${key.prefix}…`)),
      h('td', null, enumLabel(key.channel)),
      h('td', null, statusOf(key)),
      h('td', null, key.lastUsedAt ? formatDateTime(key.lastUsedAt) : t('Never')),
      actions);
  }

  /** Asks in place, with the consequence spelled out; Cancel puts focus back. */
  function confirmRevoke(key, cell, revoke) {
    const yes = h('button', { type: 'button', class: 'nr-button nr-danger' }, t('Yes, revoke {name}', { name: key.name }));
    const no = h('button', { type: 'button', class: 'nr-button' }, t('Cancel'));
    const question = h('div', { class: 'keys-confirm', role: 'group', 'aria-label': t('Revoke {name}?', { name: key.name }) },
      h('p', null, t('Revoke {name}? Every site or app using it stops reading stories at once; this cannot be undone.', { name: key.name })),
      yes, ' ', no);
    revoke.hidden = true;
    cell.appendChild(question);
    no.addEventListener('click', () => {
      question.remove();
      revoke.hidden = false;
      revoke.focus();
    });
    yes.addEventListener('click', async () => {
      clear(error);
      yes.disabled = true;
      try {
        const revoked = (await gql('KeysRevoke', { id: key.id })).revokeApiKey;
        const at = keys.findIndex((k) => k.id === revoked.id);
        if (at >= 0) keys[at] = revoked;
        notify(t('{name} is revoked.', { name: key.name }));
        draw();
        const heading = wrap.querySelector(`#keys-name-${CSS.escape(revoked.id)}`);
        if (heading) {
          heading.setAttribute('tabindex', '-1');
          heading.focus();
        }
      } catch (err) {
        error.appendChild(h('p', null, t('{who}: {problem}', { who: key.name, problem: describeError(err) })));
        yes.disabled = false;
      }
    });
    yes.focus();
  }

  function draw() {
    clear(body);
    const mine = keysOf(org, keys).sort((a, b) => Number(Boolean(a.revokedAt)) - Number(Boolean(b.revokedAt)) || a.name.localeCompare(b.name));
    mine.forEach((k) => body.appendChild(row(k)));
    wrap.hidden = !mine.length;
    empty.hidden = mine.length > 0;
  }

  const section = h('section', { class: 'keys-section', 'aria-labelledby': 'keys-list-title' },
    h('h2', { id: 'keys-list-title' }, t('Keys of {org}', { org: org.name })), error, empty, wrap);
  return {
    section,
    draw,
    add(key) {
      keys.push(key);
      draw();
    },
  };
}

registerPanel({
  id: 'keys',
  title: 'Keys',
  order: 38,
  roles: ['ADMIN'],
  async render(container) {
    container.appendChild(h('h1', null, t('Keys')));
    const org = chosenOrganisation();
    if (!org) return;
    container.appendChild(h('p', { class: 'nr-intro' },
      t('Partner sites and apps read stories with an API key, and only what consent allows on the key’s channel.')));
    if (platformAdmin() && org.kind !== 'PLATFORM' && !org.partner) {
      container.appendChild(h('p', null,
        t('{org} holds no keys: it is not linked to a partner. Only an organisation that shows stories on its own site or app needs keys.', { org: org.name })));
      return;
    }
    // An organisation's own admins issue its partner's keys and its campaigns'
    // submission keys; the server decides what each may make.
    const ownAdmin = !platformAdmin() && org.kind !== 'PLATFORM';
    let keys;
    try {
      keys = await allKeys();
    } catch (err) {
      if (err && err.code === 'FORBIDDEN') {
        container.appendChild(h('p', null, t('The platform’s admins manage keys for now; ask them for a new key or to revoke one.')));
        return;
      }
      throw err;
    }
    const list = listSection(org, keys);
    if (platformAdmin() || ownAdmin) container.appendChild(await createSection(org, (key) => list.add(key)));
    container.appendChild(list.section);
    list.draw();
  },
});

addTranslations('ar', {
  Keys: 'المفاتيح',
  'Revoked {when}': 'أُلغي {when}',
  'No longer valid': 'لم يعد صالحًا',
  'Active until {when}': 'نشط حتى {when}',
  'Copy key': 'نسخ المفتاح',
  'The key is copied.': 'نُسخ المفتاح.',
  'Press Ctrl+C to copy the selected key.': 'اضغط Ctrl+C لنسخ المفتاح المحدد.',
  'The key for {name}': 'مفتاح {name}',
  'Secret key': 'المفتاح السري',
  'Shown only this once.': 'يظهر هذه المرة فقط.',
  'Chorus keeps only a fingerprint of it: copy it now into the partner’s site or app settings. Whoever holds it reads stories as this partner; never send it by e-mail or chat in plain text.':
    'لا يحتفظ Chorus إلا ببصمته: انسخه الآن إلى إعدادات موقع الشريك أو تطبيقه. من يملكه يقرأ القصص باسم هذا الشريك؛ لا ترسله أبدًا بالبريد أو المحادثة نصًا صريحًا.',
  'What the key is for': 'الغرض من المفتاح',
  'Only these campaigns': 'هذه الحملات فقط',
  'For example: IMIX website. Shown to admins only.': 'مثلًا: موقع IMIX. يظهر للمديرين فقط.',
  'Leave all unticked for every campaign.': 'اترك الكل دون تحديد لتشمل كل الحملات.',
  'Stops working on (optional)': 'يتوقف عن العمل في (اختياري)',
  'Where the stories are shown; a member organisation’s own site is “Partner sites”. Readers see only what consent allows on it. “Submissions” is for a campaign site’s form where storytellers send their own stories in: tick exactly one campaign your organisation runs.':
    'أين تُعرض القصص؛ موقع المنظمة العضو نفسه هو «مواقع الشركاء». لا يرى القرّاء إلا ما تسمح به الموافقة عليها. «الإرسال» لنموذج موقع الحملة الذي يرسل فيه أصحاب القصص قصصهم بأنفسهم: اختر حملة واحدة فقط تديرها منظمتك.',
  'Empty: until it is revoked.': 'فارغ: حتى يُلغى.',
  'Create key': 'أنشئ المفتاح',
  'The key {name} is made.': 'أُنشئ المفتاح {name}.',
  'New key': 'مفتاح جديد',
  'No keys yet.': 'لا مفاتيح بعد.',
  'Keys of {org}': 'مفاتيح {org}',
  Key: 'المفتاح',
  Channel: 'القناة',
  'Last used': 'آخر استخدام',
  'Revoke key': 'ألغِ المفتاح',
  'Yes, revoke {name}': 'نعم، ألغِ {name}',
  'Revoke {name}?': 'إلغاء {name}؟',
  'Revoke {name}? Every site or app using it stops reading stories at once; this cannot be undone.':
    'إلغاء {name}؟ يتوقف كل موقع أو تطبيق يستخدمه عن قراءة القصص فورًا؛ ولا رجعة في ذلك.',
  '{name} is revoked.': 'أُلغي {name}.',
  'Partner sites and apps read stories with an API key, and only what consent allows on the key’s channel.':
    'تقرأ مواقع الشركاء وتطبيقاتهم القصص بمفتاح API، وفقط ما تسمح به الموافقة على قناة المفتاح.',
  '{org} holds no keys: it is not linked to a partner. Only an organisation that shows stories on its own site or app needs keys.':
    'لا تملك {org} مفاتيح: ليست مرتبطة بشريك. لا تحتاج المفاتيح إلا منظمة تعرض القصص على موقعها أو تطبيقها.',
  'The platform’s admins manage keys for now; ask them for a new key or to revoke one.':
    'يدير مديرو المنصة المفاتيح حاليًا؛ اطلب منهم مفتاحًا جديدًا أو إلغاء مفتاح.',
});
