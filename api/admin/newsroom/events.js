/*
 * Newsroom: a campaign's events, inside its card in Campaigns (campaigns.js).
 *
 * Owns the list of a campaign's coming events (local time in the event's own
 * zone, the coarse place, the status), changing an event's status, and adding
 * an event. The server decides who may: the organisation that runs the
 * campaign manages all its events, one it is shared with only its own; a
 * refusal is shown next to the form. Each change is drawn from the answer.
 */
import { h, clear, gql, t, addTranslations, notify, describeError, hasRole } from './core.js';
import { me } from './organisation.js';

const STATUSES = ['PLANNED', 'CANCELLED', 'DONE'];
const STATUS_LABELS = { PLANNED: 'Planned', CANCELLED: 'Cancelled', DONE: 'Done' };

/** The zone's offset from UTC at `utcMs`, in milliseconds (throws RangeError for an unknown zone). */
function zoneOffset(utcMs, zone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - utcMs;
}

/** 'YYYY-MM-DDTHH:MM' on the clocks of `zone` → an RFC 3339 instant; null if unreadable. */
export function wallTimeIn(local, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local || '');
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // Twice: the offset at the first guess may differ across a clock change.
  let instant = wall - zoneOffset(wall, zone);
  instant = wall - zoneOffset(instant, zone);
  return new Date(instant).toISOString();
}

/** An event's local start as written on its own clocks: `2031-02-20 04:30 (America/New_York)`. */
function localTime(event) {
  return `${event.localStartsAt.slice(0, 16).replace('T', ' ')} – ${event.localEndsAt.slice(11, 16)} (${event.timeZone})`;
}

function place(event) {
  const where = [event.venue, event.region].filter(Boolean).join(', ');
  return [where, event.onlineUrl ? t('online') : null].filter(Boolean).join(' · ');
}

/** True when the signed-in person may change this event (the server checks again). */
function manages(event, campaign) {
  const who = me();
  if (!who || !hasRole('ADMIN', 'EDITOR') || !who.organisation) return false;
  if (who.organisation.kind === 'PLATFORM') return true;
  return [campaign.owner && campaign.owner.id, event.organiser && event.organiser.id].includes(who.organisation.id);
}

/** The Events part of a campaign's card: it loads its own list. */
export function eventsSection(campaign) {
  const headingId = `cmp-ev-${campaign.id}`;
  const list = h('div', { class: 'cmp-events', 'aria-live': 'polite' }, h('p', { class: 'nr-help' }, t('Loading events…')));
  const error = h('div', { class: 'nr-form-errors', role: 'alert' });
  const section = h('section', { 'aria-labelledby': headingId },
    h('h4', { id: headingId }, t('Coming events')), error, list);
  let events = [];

  function draw() {
    clear(list);
    if (!events.length) {
      list.appendChild(h('p', { class: 'nr-help' }, t('No coming events.')));
      return;
    }
    list.appendChild(h('ul', { class: 'cmp-event-list' }, events.map((event) => {
      const item = h('li', { 'data-event': event.title },
        h('strong', null, h('bdi', null, event.title)), ' ',
        h('span', { dir: 'ltr' }, localTime(event)), ' · ', h('bdi', null, place(event)), ' · ',
        h('span', { class: `cmp-status cmp-status-${event.status.toLowerCase()}` }, t(STATUS_LABELS[event.status])));
      if (manages(event, campaign)) {
        const selectId = `cmp-ev-st-${event.id}`;
        const select = h('select', { id: selectId },
          STATUSES.map((s) => h('option', { value: s, selected: s === event.status ? '' : null }, t(STATUS_LABELS[s]))));
        const save = h('button', { type: 'submit', class: 'nr-button' }, t('Save status'));
        const form = h('form', { class: 'cmp-form', 'aria-label': t('Status of {event}', { event: event.title }) },
          h('label', { for: selectId }, t('Status')), select, save);
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          clear(error);
          save.disabled = true;
          try {
            const data = await gql('CampaignsSetEventStatus', { id: event.id, status: select.value });
            const updated = data.updateCampaignEvent;
            events = events.map((x) => (x.id === updated.id ? updated : x));
            notify(t('{event} is now {status}.', { event: updated.title, status: t(STATUS_LABELS[updated.status]) }));
            draw();
          } catch (err) {
            error.appendChild(h('p', null, t('{who}: {problem}', { who: event.title, problem: describeError(err) })));
            save.disabled = false;
          }
        });
        item.append(form);
      }
      return item;
    })));
  }

  if (hasRole('ADMIN', 'EDITOR')) section.appendChild(addForm(campaign, error, (created) => {
    events = [...events, created].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    draw();
  }));

  gql('CampaignsEvents', { slug: campaign.slug }).then((data) => {
    events = (data.campaign && data.campaign.events.nodes) || [];
    draw();
  }).catch((err) => {
    clear(list);
    error.appendChild(h('p', null, describeError(err)));
  });
  return section;
}

/** The "Add an event" form: its fields are labelled and checked before sending. */
function addForm(campaign, error, added) {
  const id = (name) => `cmp-ev-${name}-${campaign.id}`;
  const zone = (() => {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (_) { return 'UTC'; }
  })();
  const field = (name, label, attrs) => {
    const input = h('input', { id: id(name), name, ...attrs });
    return { input, row: h('div', { class: 'cmp-ev-field' }, h('label', { for: id(name) }, label), input) };
  };
  const title = field('title', t('Title'), { type: 'text', required: '', maxlength: '200' });
  const starts = field('starts', t('Starts'), { type: 'datetime-local', required: '' });
  const ends = field('ends', t('Ends'), { type: 'datetime-local', required: '' });
  const timeZone = field('zone', t('Time zone'), { type: 'text', required: '', value: zone, dir: 'ltr' });
  const region = field('region', t('Region (as coarse as a town)'), { type: 'text', maxlength: '200' });
  const venue = field('venue', t('Venue, if the organiser publishes it'), { type: 'text', maxlength: '200' });
  const online = field('online', t('Online link'), { type: 'url', placeholder: 'https://', dir: 'ltr' });
  const button = h('button', { type: 'submit', class: 'nr-button nr-primary' }, t('Add event'));
  const form = h('form', { class: 'cmp-ev-add', 'aria-label': t('Add an event to {campaign}', { campaign: campaign.name }) },
    h('h5', null, t('Add an event')),
    [title, starts, ends, timeZone, region, venue, online].map((f) => f.row), button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(error);
    let startsAt;
    let endsAt;
    try {
      startsAt = wallTimeIn(starts.input.value, timeZone.input.value.trim());
      endsAt = wallTimeIn(ends.input.value, timeZone.input.value.trim());
    } catch (_) {
      error.appendChild(h('p', null, t('Unknown time zone: use a name such as Europe/London.')));
      timeZone.input.focus();
      return;
    }
    if (!startsAt || !endsAt) {
      error.appendChild(h('p', null, t('Give the date and time it starts and ends.')));
      (startsAt ? ends : starts).input.focus();
      return;
    }
    const optional = (f) => f.input.value.trim() || null;
    button.disabled = true;
    try {
      const data = await gql('CampaignsCreateEvent', { input: {
        campaignId: campaign.id, title: title.input.value, startsAt, endsAt,
        timeZone: timeZone.input.value.trim(), region: optional(region), venue: optional(venue),
        onlineUrl: optional(online),
      } });
      const created = data.createCampaignEvent;
      notify(t('{event} was added to {campaign}.', { event: created.title, campaign: campaign.name }));
      form.reset();
      timeZone.input.value = zone;
      added(created);
    } catch (err) {
      error.appendChild(h('p', null, describeError(err)));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

addTranslations('ar', {
  'Coming events': 'الفعاليات القادمة',
  'Loading events…': 'جارٍ تحميل الفعاليات…',
  'No coming events.': 'لا فعاليات قادمة.',
  online: 'عبر الإنترنت',
  Planned: 'مقرّرة',
  Cancelled: 'ملغاة',
  Done: 'انتهت',
  Status: 'الحالة',
  'Save status': 'احفظ الحالة',
  'Status of {event}': 'حالة {event}',
  '{event} is now {status}.': '{event} الآن: {status}.',
  'Add an event': 'أضف فعالية',
  'Add an event to {campaign}': 'أضف فعالية إلى {campaign}',
  'Add event': 'أضف الفعالية',
  Title: 'العنوان',
  Starts: 'تبدأ',
  Ends: 'تنتهي',
  'Time zone': 'المنطقة الزمنية',
  'Region (as coarse as a town)': 'المنطقة (لا أدق من مدينة)',
  'Venue, if the organiser publishes it': 'المكان، إن نشره المنظّمون',
  'Online link': 'رابط عبر الإنترنت',
  'Unknown time zone: use a name such as Europe/London.': 'منطقة زمنية غير معروفة: استخدم اسمًا مثل Europe/London.',
  'Give the date and time it starts and ends.': 'أدخل تاريخ ووقت البداية والنهاية.',
  '{event} was added to {campaign}.': 'أُضيفت {event} إلى {campaign}.',
});
