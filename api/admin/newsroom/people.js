/*
 * Newsroom panel: People (admins only).
 *
 * Owns the staff accounts as an admin sees them, for the organisation in view
 * (organisation.js): invite someone into it (the one-time link is shown once,
 * to copy and hand over; Chorus sends no e-mail), change a role, disable and
 * enable an account, end a person's sessions, move a person to another
 * organisation (platform admins), and the audit log with people's names and
 * e-mails instead of ids (platform admins). What the server refuses a role
 * (FORBIDDEN) is left out, not shown as a failure. Also registers the 'user'
 * picker for forms (an ID field of a staff member).
 */
import {
  h, clear, gql, t, addTranslations, notify, describeError, currentUser, navigate, formatDateTime,
  registerPanel, shownOnce,
} from './core.js';
import { inputForm, registerPicker, enumValues, enumLabel, FormInvalid } from './forms.js';
import { chosenOrganisation, organisations, platformAdmin, organisationLabel } from './organisation.js';

/** The person's name for colleagues: "Name <email>", or the e-mail alone. */
function personName(user) {
  if (!user) return t('Unknown person');
  return user.displayName ? `${user.displayName} (${user.email})` : user.email;
}

function statusOf(user) {
  if (user.disabled) return t('Disabled');
  if (user.pendingInvite) return t('Invited, not yet accepted');
  return t('Active');
}

/**
 * A <select> of roles, each explained by the schema's description. `labelledBy`:
 * the id of what names it (a table row's person), when no <label> does.
 */
async function roleSelect(id, value, labelledBy) {
  const roles = await enumValues('Role');
  const helpId = `${id}-help`;
  const help = h('p', { class: 'nr-help', id: helpId });
  const select = h('select', {
    id, name: 'role', 'aria-labelledby': labelledBy || null, 'aria-describedby': helpId,
  }, roles.map((r) => h('option', { value: r.name }, enumLabel(r.name))));
  select.value = value || 'EDITOR';
  const explain = () => {
    const role = roles.find((r) => r.name === select.value);
    help.textContent = (role && role.description) || '';
  };
  select.addEventListener('change', explain);
  explain();
  return { select, help };
}

/* ---------------------------------------------------------------- invite */

async function inviteSection(onInvited) {
  const email = h('input', { id: 'people-invite-email', type: 'email', name: 'email', required: true, autocomplete: 'off', spellcheck: 'false' });
  const name = h('input', { id: 'people-invite-name', type: 'text', name: 'displayName', autocomplete: 'off' });
  const { select: role, help: roleHelp } = await roleSelect('people-invite-role', 'EDITOR');
  const error = h('div', { class: 'nr-form-errors', role: 'alert', id: 'people-invite-error' });
  const result = h('div', { class: 'people-invitation', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'nr-button nr-primary' }, t('Invite'));
  const form = h('form', { class: 'people-invite nr-form', 'aria-labelledby': 'people-invite-title', novalidate: true },
    error,
    h('div', { class: 'nr-field' },
      h('span', { class: 'nr-label-row' },
        h('label', { for: 'people-invite-email' }, t('Email')),
        h('span', { class: 'nr-required', 'aria-hidden': 'true' }, ' *')),
      email),
    h('div', { class: 'nr-field' },
      h('label', { for: 'people-invite-name' }, t('Name')),
      h('p', { class: 'nr-help', id: 'people-invite-name-help' }, t('How colleagues see the person in the admin (optional).')),
      name),
    h('div', { class: 'nr-field' }, h('label', { for: 'people-invite-role' }, t('Role')), roleHelp, role),
    h('div', { class: 'nr-actions' }, button));
  name.setAttribute('aria-describedby', 'people-invite-name-help');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear(error);
    clear(result);
    email.removeAttribute('aria-invalid');
    if (!email.value.trim() || !email.checkValidity()) {
      email.setAttribute('aria-invalid', 'true');
      error.appendChild(h('p', null, t('Please enter the person’s e-mail address.')));
      email.focus();
      return;
    }
    button.disabled = true;
    try {
      const org = chosenOrganisation();
      const data = await gql('PeopleInvite', {
        email: email.value.trim(),
        role: role.value,
        displayName: name.value.trim() || null,
        organisationId: org ? org.id : null,
      });
      const invitation = data.inviteUser;
      showInvitation(result, invitation);
      form.reset();
      role.value = 'EDITOR';
      role.dispatchEvent(new Event('change'));
      notify(t('Invitation made for {email}.', { email: invitation.user.email }));
      onInvited(invitation.user);
    } catch (err) {
      error.appendChild(h('p', null, describeError(err)));
    } finally {
      button.disabled = false;
    }
  });

  return h('section', { class: 'people-section', 'aria-labelledby': 'people-invite-title' },
    h('h2', { id: 'people-invite-title' }, chosenOrganisation()
      ? t('Invite someone into {org}', { org: chosenOrganisation().name })
      : t('Invite someone')),
    h('p', { class: 'nr-intro' }, t('Chorus sends no e-mail: copy the link it gives you and hand it to the person yourself. They open it to choose their password; it works once.')),
    form, result);
}

/** The one-time link, shown once, with a button to copy it. */
function showInvitation(container, invitation) {
  shownOnce(container, {
    id: 'people-invite-link',
    title: t('Invitation for {who}', { who: personName(invitation.user) }),
    before: invitation.user.organisation
      ? h('p', { class: 'nr-help' }, t('They join {org}.', { org: invitation.user.organisation.name }))
      : null,
    label: t('Invitation link'),
    value: invitation.url,
    copyText: t('Copy link'),
    copied: t('The link is copied.'),
    selectedHint: t('Press Ctrl+C to copy the selected link.'),
    note: t('Shown only this once. It works until {when}.', { when: formatDateTime(invitation.expiresAt) }),
  });
}

/* ------------------------------------------------------------------ staff */

function staffSection() {
  const body = h('tbody');
  const error = h('div', { class: 'nr-form-errors', role: 'alert' });
  const table = h('table', { class: 'nr-table people-table' },
    h('caption', { class: 'nr-visually-hidden' }, t('Staff accounts')),
    h('thead', null, h('tr', null,
      [t('Person'), t('Role'), t('Status'), t('Last sign-in'), platformAdmin() ? t('Organisation') : null, t('Actions')]
        .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
    body);
  const org = chosenOrganisation();
  const empty = h('p', { class: 'nr-help', hidden: true }, t('No one works for this organisation yet.'));
  const wrap = h('div', { class: 'nr-table-wrap' }, table);
  const section = h('section', { class: 'people-section', 'aria-labelledby': 'people-staff-title' },
    h('h2', { id: 'people-staff-title' }, org ? t('Staff of {org}', { org: org.name }) : t('Staff')),
    error, empty, wrap);

  async function act(button, operation, user, done) {
    clear(error);
    button.disabled = true;
    try {
      const data = await gql(operation.name, operation.variables);
      notify(done(data));
      await load();
    } catch (err) {
      error.appendChild(h('p', null, t('{who}: {problem}', { who: personName(user), problem: describeError(err) })));
      button.disabled = false;
    }
  }

  async function row(user) {
    const me = currentUser();
    const mine = me && me.id === user.id;
    const roleId = `people-role-${user.id}`;
    const whoId = `people-who-${user.id}`;
    // Named by the person (the column says "Role"), so "Role" alone names the invite's.
    const { select: role, help: roleHelp } = await roleSelect(roleId, user.role, whoId);
    roleHelp.classList.add('nr-visually-hidden');
    const change = h('button', { type: 'button', class: 'nr-button' }, t('Change role'));
    change.addEventListener('click', () => {
      if (role.value === user.role) {
        notify(t('{who} already has this role.', { who: personName(user) }));
        return;
      }
      act(change, { name: 'PeopleSetRole', variables: { id: user.id, role: role.value } }, user,
        (d) => t('{who} is now {role}.', { who: personName(user), role: enumLabel(d.setUserRole.role) }));
    });
    const toggle = user.disabled
      ? h('button', { type: 'button', class: 'nr-button' }, t('Enable'))
      : h('button', { type: 'button', class: 'nr-button nr-danger' }, t('Disable'));
    toggle.addEventListener('click', () => {
      if (user.disabled) {
        act(toggle, { name: 'PeopleEnable', variables: { id: user.id } }, user,
          () => t('{who} can sign in again.', { who: personName(user) }));
      } else {
        act(toggle, { name: 'PeopleDisable', variables: { id: user.id } }, user,
          () => t('{who} is disabled and signed out everywhere.', { who: personName(user) }));
      }
    });
    const end = h('button', { type: 'button', class: 'nr-button' }, t('End sessions'));
    end.addEventListener('click', () => act(end, { name: 'PeopleEndSessions', variables: { id: user.id } }, user,
      (d) => t('{who}: {count} session(s) ended.', { who: personName(user), count: d.endUserSessions })));
    return h('tr', { 'data-user': user.id, 'data-email': user.email },
      h('th', { scope: 'row', id: whoId },
        h('bdi', { class: 'people-name' }, user.displayName || user.email),
        user.displayName ? h('span', { class: 'people-email' }, ' (', h('bdi', null, user.email), ')') : null,
        mine ? h('span', { class: 'people-you' }, ` ${t('(you)')}`) : null),
      h('td', null, h('div', { class: 'people-role-change' }, role, change), roleHelp),
      h('td', null, statusOf(user)),
      h('td', null, user.lastLoginAt ? formatDateTime(user.lastLoginAt) : t('Never')),
      platformAdmin() ? h('td', null, moveControl(user, whoId)) : null,
      h('td', { class: 'people-actions' }, toggle, end));
  }

  /** Moving a person to another organisation (platform admins): a select and a button. */
  function moveControl(user, whoId) {
    const id = `people-org-${user.id}`;
    const select = h('select', { id, name: 'organisation', 'aria-labelledby': `${id}-label ${whoId}` },
      organisations().map((o) => h('option', { value: o.id }, organisationLabel(o))));
    select.value = user.organisation.id;
    const move = h('button', { type: 'button', class: 'nr-button' }, t('Move'));
    move.addEventListener('click', () => {
      if (select.value === user.organisation.id) {
        notify(t('{who} already works for this organisation.', { who: personName(user) }));
        return;
      }
      act(move, { name: 'PeopleSetOrganisation', variables: { userId: user.id, organisationId: select.value } }, user,
        (d) => t('{who} now works for {org}.', { who: personName(user), org: d.setUserOrganisation.organisation.name }));
    });
    return h('div', { class: 'people-role-change' },
      h('span', { id: `${id}-label`, class: 'nr-visually-hidden' }, t('Organisation of')),
      select, move);
  }

  async function load() {
    let data;
    try {
      data = await gql('PeopleUsers');
    } catch (err) {
      // Not every admin may list accounts (an organisation's admins, for now):
      // they still invite; the list is simply not theirs to see.
      if (err && err.code === 'FORBIDDEN') {
        wrap.hidden = true;
        empty.hidden = false;
        empty.textContent = t('Your role may invite people into your organisation, but not list its accounts.');
        return;
      }
      throw err;
    }
    knownUsers = [...data.users];
    const current = chosenOrganisation();
    const users = data.users
      .filter((u) => !current || !u.organisation || u.organisation.id === current.id)
      .sort((a, b) => a.email.localeCompare(b.email));
    const rows = await Promise.all(users.map(row));
    clear(body);
    rows.forEach((r) => body.appendChild(r));
    wrap.hidden = !users.length;
    empty.hidden = users.length > 0;
  }

  return { section, load };
}

/* -------------------------------------------------------------- audit log */

let knownUsers = [];

/** "story.approved" → "Story approved" (translated when a translation exists). */
function actionLabel(action) {
  const words = String(action).replace(/[._]/g, ' ');
  return t(words.charAt(0).toUpperCase() + words.slice(1));
}

function subjectCell(event) {
  if (!event.subjectId) return t(event.subjectType);
  if (event.subjectType === 'user') {
    const user = knownUsers.find((u) => u.id === event.subjectId);
    if (user) return personName(user);
  }
  if (event.subjectType === 'story') {
    return h('a', {
      href: `#/stories/${encodeURIComponent(event.subjectId)}`,
      on: { click: (e) => { e.preventDefault(); navigate(`/stories/${event.subjectId}`); } },
    }, t('Story {id}', { id: event.subjectId.slice(0, 8) }));
  }
  return h('span', { title: event.subjectId }, `${t(event.subjectType)} ${event.subjectId.slice(0, 8)}`);
}

function actorCell(event) {
  if (event.actorUser) {
    return [
      h('span', { class: 'people-name' }, event.actorUser.displayName || event.actorUser.email),
      event.actorUser.displayName ? h('span', { class: 'people-email' }, ' (', h('bdi', null, event.actorUser.email), ')') : null,
    ];
  }
  if (event.actor === 'worker') return t('Chorus (background work)');
  if (event.actor === 'cli') return t('The server’s command line');
  return event.actorId ? t('A removed account') : t(event.actor);
}

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
}

async function auditSection() {
  const filter = await inputForm('AuditFilter', {
    pickers: { actorId: 'user' },
    labels: { actorId: 'Who', subjectId: 'About (id)', action: 'Action', since: 'Since', until: 'Until' },
    help: {
      action: 'For example user.invited or story.approved.',
      subjectId: 'The id of a story, storyteller or account.',
    },
  });
  const body = h('tbody');
  const error = h('div', { class: 'nr-form-errors', role: 'alert' });
  const older = h('button', { type: 'button', class: 'nr-button', hidden: true }, t('Show older events'));
  const status = h('p', { class: 'nr-help', 'aria-live': 'polite' });
  const show = h('button', { type: 'submit', class: 'nr-button nr-primary' }, t('Show events'));
  const form = h('form', { class: 'people-audit-filter', 'aria-labelledby': 'people-audit-filter-title', novalidate: true },
    h('h3', { id: 'people-audit-filter-title' }, t('Which events')), filter.element, h('div', { class: 'nr-actions' }, show));
  const table = h('table', { class: 'nr-table people-audit' },
    h('caption', { class: 'nr-visually-hidden' }, t('Audit log, newest first')),
    h('thead', null, h('tr', null,
      [t('When'), t('Who'), t('What'), t('About'), t('Change'), t('Details')].map((c) => h('th', { scope: 'col' }, c)))),
    body);
  let before = null;
  let current = {};

  async function load(more) {
    clear(error);
    if (!more) {
      try {
        current = filter.value();
      } catch (err) {
        if (err instanceof FormInvalid) return;
        throw err;
      }
      before = null;
      clear(body);
    }
    try {
      const data = await gql('PeopleAuditEvents', {
        filter: Object.keys(current).length ? current : null, last: 50, before,
      });
      const page = data.auditEvents;
      // Newest first: the page comes oldest first.
      for (const event of [...page.nodes].reverse()) {
        body.appendChild(h('tr', null,
          h('td', null, h('time', { datetime: event.occurredAt }, formatDateTime(event.occurredAt))),
          h('td', null, actorCell(event)),
          h('td', null, h('span', { title: event.action }, actionLabel(event.action))),
          h('td', null, subjectCell(event)),
          h('td', null, event.fromState || event.toState ? `${event.fromState || '—'} → ${event.toState || '—'}` : ''),
          h('td', { class: 'people-detail' }, detailText(event.detail))));
      }
      before = page.pageInfo.startCursor;
      older.hidden = !page.pageInfo.hasPreviousPage;
      status.textContent = body.children.length
        ? t('{count} events shown.', { count: body.children.length })
        : t('No events match.');
    } catch (err) {
      filter.setErrors(err);
      error.appendChild(h('p', null, describeError(err)));
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  older.addEventListener('click', () => load(true));

  const section = h('section', { class: 'people-section', 'aria-labelledby': 'people-audit-title' },
    h('h2', { id: 'people-audit-title' }, t('Audit log')),
    h('p', { class: 'nr-intro' }, t('Everything done in Chorus that matters for consent and safety, with who did it.')),
    form, error, status, h('div', { class: 'nr-table-wrap' }, table), older);
  return { section, load: () => load(false) };
}

/* ------------------------------------------------------------------ panel */

registerPanel({
  id: 'people',
  title: 'People',
  order: 40,
  roles: ['ADMIN'],
  async render(container) {
    container.appendChild(h('h1', null, t('People')));
    const org = chosenOrganisation();
    if (org) {
      container.appendChild(h('p', { class: 'nr-intro' },
        t('The people of {org}: who works there, their roles, and invitations into it.', { org: org.name })));
    }
    const staff = staffSection();
    const invite = await inviteSection(() => staff.load());
    container.append(invite, staff.section);
    // Only platform admins read the audit log (the server says FORBIDDEN to others).
    const audit = platformAdmin() ? await auditSection() : null;
    if (audit) container.append(audit.section);
    // Staff first: the audit log names the accounts it is about.
    await staff.load();
    if (audit) await audit.load();
  },
});

// Forms pick a staff member from a list rather than by id (e.g. the audit filter).
registerPicker('user', (container, { value, onChange, label, id, describedBy }) => {
  const select = h('select', { id, 'aria-describedby': describedBy || null },
    h('option', { value: '' }, t('Anyone')));
  const fill = (users) => {
    for (const user of users) select.appendChild(h('option', { value: user.id }, personName(user)));
    select.value = value || '';
  };
  gql('PeopleUsers').then((d) => fill(d.users)).catch(() => {});
  select.addEventListener('change', () => onChange(select.value || null));
  container.append(h('label', { for: id }, label), select);
  return { focus: () => select.focus() };
});

addTranslations('ar', {
  People: 'الأشخاص',
  'Unknown person': 'شخص غير معروف',
  Disabled: 'معطَّل',
  'Invited, not yet accepted': 'مدعو، لم يقبل بعد',
  Active: 'نشط',
  Email: 'البريد الإلكتروني',
  Name: 'الاسم',
  Role: 'الدور',
  Invite: 'دعوة',
  'How colleagues see the person in the admin (optional).': 'كيف يرى الزملاء هذا الشخص في لوحة الإدارة (اختياري).',
  'Please enter the person’s e-mail address.': 'يرجى إدخال عنوان البريد الإلكتروني للشخص.',
  'Invitation made for {email}.': 'أُنشئت دعوة لـ {email}.',
  'Invite someone': 'دعوة شخص',
  'Invite someone into {org}': 'دعوة شخص إلى {org}',
  'They join {org}.': 'ينضم إلى {org}.',
  'Staff of {org}': 'موظفو {org}',
  'No one works for this organisation yet.': 'لا يعمل أحد في هذه المنظمة بعد.',
  Organisation: 'المنظمة',
  'Organisation of': 'منظمة',
  Move: 'نقل',
  '{who} already works for this organisation.': '{who} يعمل في هذه المنظمة بالفعل.',
  '{who} now works for {org}.': '{who} يعمل الآن في {org}.',
  'Your role may invite people into your organisation, but not list its accounts.':
    'يسمح لك دورك بدعوة أشخاص إلى منظمتك، لا بعرض حساباتها.',
  'The people of {org}: who works there, their roles, and invitations into it.':
    'أشخاص {org}: من يعمل فيها وأدوارهم والدعوات إليها.',
  'Chorus sends no e-mail: copy the link it gives you and hand it to the person yourself. They open it to choose their password; it works once.':
    'لا يرسل Chorus بريدًا إلكترونيًا: انسخ الرابط الذي يعطيك إياه وسلّمه للشخص بنفسك. يفتحه لاختيار كلمة المرور؛ ويعمل مرة واحدة.',
  'Copy link': 'نسخ الرابط',
  'The link is copied.': 'نُسخ الرابط.',
  'Press Ctrl+C to copy the selected link.': 'اضغط Ctrl+C لنسخ الرابط المحدد.',
  'Invitation for {who}': 'دعوة لـ {who}',
  'Invitation link': 'رابط الدعوة',
  'Shown only this once. It works until {when}.': 'يظهر هذه المرة فقط. يعمل حتى {when}.',
  'Staff accounts': 'حسابات الموظفين',
  Person: 'الشخص',
  Status: 'الحالة',
  'Last sign-in': 'آخر تسجيل دخول',
  Actions: 'الإجراءات',
  Staff: 'الموظفون',
  '{who}: {problem}': '{who}: {problem}',
  'Change role': 'تغيير الدور',
  '{who} already has this role.': '{who} لديه هذا الدور بالفعل.',
  '{who} is now {role}.': '{who} الآن {role}.',
  Enable: 'تفعيل',
  Disable: 'تعطيل',
  '{who} can sign in again.': 'يمكن لـ {who} تسجيل الدخول مجددًا.',
  '{who} is disabled and signed out everywhere.': 'عُطِّل {who} وخرج من كل الجلسات.',
  'End sessions': 'إنهاء الجلسات',
  '{who}: {count} session(s) ended.': '{who}: أُنهيت {count} جلسة.',
  '(you)': '(أنت)',
  Never: 'أبدًا',
  Admin: 'مدير',
  Editor: 'محرر',
  Contributor: 'مساهم',
  'Story {id}': 'قصة {id}',
  user: 'حساب',
  story: 'قصة',
  storyteller: 'راوٍ',
  'Chorus (background work)': 'Chorus (عمل في الخلفية)',
  'The server’s command line': 'سطر أوامر الخادم',
  'A removed account': 'حساب محذوف',
  Who: 'من',
  'About (id)': 'بخصوص (المعرّف)',
  Action: 'الإجراء',
  Since: 'منذ',
  Until: 'حتى',
  'For example user.invited or story.approved.': 'مثلًا user.invited أو story.approved.',
  'The id of a story, storyteller or account.': 'معرّف قصة أو راوٍ أو حساب.',
  'Show older events': 'عرض أحداث أقدم',
  'Show events': 'عرض الأحداث',
  'Which events': 'أي الأحداث',
  'Audit log, newest first': 'سجل التدقيق، الأحدث أولًا',
  When: 'متى',
  What: 'ماذا',
  About: 'بخصوص',
  Change: 'التغيير',
  Details: 'التفاصيل',
  '{count} events shown.': 'عُرض {count} حدثًا.',
  'No events match.': 'لا أحداث مطابقة.',
  'Audit log': 'سجل التدقيق',
  'Everything done in Chorus that matters for consent and safety, with who did it.':
    'كل ما جرى في Chorus مما يهم الموافقة والسلامة، ومن قام به.',
  Anyone: 'أي شخص',
  'User invited': 'دُعي حساب',
  'User invite accepted': 'قُبلت دعوة',
  'User role changed': 'تغيّر دور حساب',
  'User disabled': 'عُطِّل حساب',
  'User enabled': 'فُعِّل حساب',
  'User sessions ended': 'أُنهيت جلسات حساب',
  'User password changed': 'تغيّرت كلمة مرور',
});
