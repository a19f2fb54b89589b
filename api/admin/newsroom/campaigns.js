/*
 * Newsroom panel: Campaigns of the organisation in view.
 *
 * Owns who runs each campaign and who shares it: the campaigns the organisation
 * in view (organisation.js) runs, with the organisations they are shared with,
 * and the campaigns others share with it. The owning organisation's admins and
 * platform admins share a campaign with another organisation and take it back;
 * platform admins also give a campaign to another organisation. Each change is
 * drawn from the server's answer at once. Everyone else sees the lists only.
 * Each campaign's events are events.js's, inside its card.
 */
import { h, clear, gql, t, addTranslations, notify, describeError, registerPanel, allNodes } from './core.js';
import {
  chosenOrganisation, organisations, platformAdmin, managesOrganisation, organisationLabel,
} from './organisation.js';
import { eventsSection } from './events.js';

const PAGE_LIMIT = 50; // 2,000 campaigns (40 a page, the complexity budget): far more than a coalition runs.

function allCampaigns() {
  return allNodes('CampaignsPage', 'campaigns', PAGE_LIMIT);
}

/** Every organisation known to this page: the server's list, and those named on campaigns. */
function knownOrganisations(campaigns) {
  const byId = new Map(organisations().map((o) => [o.id, o]));
  for (const c of campaigns) {
    for (const o of [c.owner, ...(c.sharedWith || [])]) if (o && !byId.has(o.id)) byId.set(o.id, o);
  }
  return [...byId.values()];
}

function dates(campaign) {
  if (!campaign.startsOn && !campaign.endsOn) return null;
  return `${campaign.startsOn || '…'} – ${campaign.endsOn || '…'}`;
}

function render(container, campaigns) {
  const org = chosenOrganisation();
  const error = h('div', { class: 'nr-form-errors', role: 'alert' });
  const runs = h('div', { class: 'cmp-list' });
  const shared = h('div', { class: 'cmp-list' });
  container.append(
    error,
    h('section', { class: 'cmp-section', 'aria-labelledby': 'cmp-runs-title' },
      h('h2', { id: 'cmp-runs-title' }, t('Campaigns {org} runs', { org: org.name })), runs),
    h('section', { class: 'cmp-section', 'aria-labelledby': 'cmp-shared-title' },
      h('h2', { id: 'cmp-shared-title' }, t('Campaigns shared with {org}', { org: org.name })), shared));

  /** Runs a change, puts the server's answer in place, and brings focus back to the campaign. */
  async function change(button, operation, variables, campaign, done) {
    clear(error);
    button.disabled = true;
    try {
      const data = await gql(operation, variables);
      const updated = Object.values(data)[0];
      const at = campaigns.findIndex((c) => c.id === updated.id);
      if (at >= 0) campaigns[at] = updated;
      notify(done(updated));
      draw();
      const heading = container.querySelector(`[data-campaign="${CSS.escape(updated.slug)}"] h3`);
      if (heading) heading.focus();
      else container.querySelector('h1').focus();
    } catch (err) {
      error.appendChild(h('p', null, t('{who}: {problem}', { who: campaign.name, problem: describeError(err) })));
      button.disabled = false;
    }
  }

  /** A labelled choice of organisation and a button: {id, choices, name, label, button, primary, missing, run}. */
  function organisationForm(o) {
    const select = h('select', { id: o.id, name: 'organisation' },
      h('option', { value: '' }, t('Choose an organisation…')),
      o.choices.map((org) => h('option', { value: org.id }, organisationLabel(org))));
    const button = h('button', { type: 'submit', class: `nr-button${o.primary ? ' nr-primary' : ''}` }, o.button);
    const form = h('form', { class: 'cmp-form', 'aria-label': o.name },
      h('label', { for: o.id }, o.label), select, button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const target = o.choices.find((org) => org.id === select.value);
      if (!target) {
        select.focus();
        notify(o.missing, 'error');
        return;
      }
      o.run(button, target);
    });
    return form;
  }

  function card(campaign) {
    const headingId = `cmp-h-${campaign.id}`;
    const manage = campaign.owner && managesOrganisation(campaign.owner.id);
    const sharedWith = campaign.sharedWith || [];
    const meta = [
      h('dt', null, t('Run by')), h('dd', null, h('bdi', null, organisationLabel(campaign.owner))),
      campaign.hashtag ? [h('dt', null, t('Hashtag')), h('dd', { dir: 'ltr' }, campaign.hashtag)] : null,
      dates(campaign) ? [h('dt', null, t('Dates')), h('dd', { dir: 'ltr' }, dates(campaign))] : null,
    ];
    const sharedList = sharedWith.length
      ? h('ul', { class: 'cmp-shared', 'aria-labelledby': `${headingId}-shared` }, sharedWith.map((o) => {
        const item = h('li', null, h('bdi', null, organisationLabel(o)));
        if (manage) {
          const back = h('button', { type: 'button', class: 'nr-button nr-danger' },
            t('Take back from {org}', { org: o.name }));
          back.addEventListener('click', () => change(back, 'CampaignsUnshare',
            { campaignId: campaign.id, organisationId: o.id }, campaign,
            () => t('{campaign} is no longer shared with {org}.', { campaign: campaign.name, org: o.name })));
          item.append(' ', back);
        }
        return item;
      }))
      : h('p', { class: 'nr-help' }, t('Not shared with any other organisation.'));
    const body = [
      h('h3', { id: headingId, tabindex: '-1' }, h('bdi', null, campaign.name), ' ',
        h('span', { class: 'cmp-slug', dir: 'ltr' }, campaign.slug)),
      h('dl', { class: 'cmp-meta' }, meta),
      h('h4', { id: `${headingId}-shared` }, t('Shared with')),
      sharedList,
      eventsSection(campaign),
    ];
    if (manage) {
      const choices = knownOrganisations(campaigns)
        .filter((o) => o.id !== campaign.owner.id && !sharedWith.some((s) => s.id === o.id));
      if (choices.length) {
        body.push(organisationForm({
          id: `cmp-share-${campaign.id}`, choices, primary: true,
          name: t('Share {campaign}', { campaign: campaign.name }), label: t('Share with'), button: t('Share'),
          missing: t('Choose the organisation to share it with.'),
          run: (button, target) => change(button, 'CampaignsShare', { campaignId: campaign.id, organisationId: target.id },
            campaign, () => t('{campaign} is shared with {org}.', { campaign: campaign.name, org: target.name })),
        }));
      }
    }
    if (platformAdmin() && campaign.owner) {
      const others = knownOrganisations(campaigns).filter((o) => o.id !== campaign.owner.id);
      if (others.length) {
        body.push(organisationForm({
          id: `cmp-owner-${campaign.id}`, choices: others,
          name: t('Give {campaign} to another organisation', { campaign: campaign.name }),
          label: t('Give to another organisation'), button: t('Give'),
          missing: t('Choose the organisation to give it to.'),
          run: (button, target) => change(button, 'CampaignsSetOwner', { campaignId: campaign.id, organisationId: target.id },
            campaign, () => t('{campaign} is now run by {org}.', { campaign: campaign.name, org: target.name })),
        }));
      }
    }
    return h('article', { class: 'cmp-card', 'data-campaign': campaign.slug, 'aria-labelledby': headingId }, body);
  }

  function draw() {
    const ownedBy = campaigns.filter((c) => c.owner && c.owner.id === org.id);
    const sharedIn = campaigns.filter((c) => (c.sharedWith || []).some((o) => o.id === org.id));
    clear(runs);
    clear(shared);
    if (ownedBy.length) ownedBy.forEach((c) => runs.appendChild(card(c)));
    else runs.appendChild(h('p', { class: 'nr-help' }, t('{org} runs no campaign yet.', { org: org.name })));
    if (sharedIn.length) sharedIn.forEach((c) => shared.appendChild(card(c)));
    else shared.appendChild(h('p', { class: 'nr-help' }, t('No campaign is shared with {org}.', { org: org.name })));
  }
  draw();
}

registerPanel({
  id: 'campaigns',
  title: 'Campaigns',
  order: 30,
  roles: ['ADMIN', 'EDITOR', 'CONTRIBUTOR'],
  async render(container) {
    container.appendChild(h('h1', null, t('Campaigns')));
    const org = chosenOrganisation();
    if (!org) {
      container.appendChild(h('p', null, t('The newsroom could not tell which organisation you work for.')));
      return;
    }
    container.appendChild(h('p', { class: 'nr-intro' },
      t('A campaign is run by one organisation, which may share it with others: their staff then work on its stories too.')));
    render(container, await allCampaigns());
  },
});

addTranslations('ar', {
  Campaigns: 'الحملات',
  'Campaigns {org} runs': 'حملات تديرها {org}',
  'Campaigns shared with {org}': 'حملات يشاركها آخرون مع {org}',
  'Choose an organisation…': 'اختر منظمة…',
  'Run by': 'تديرها',
  Hashtag: 'الوسم',
  Dates: 'التواريخ',
  'Take back from {org}': 'استرجعها من {org}',
  '{campaign} is no longer shared with {org}.': 'لم تعد {campaign} مشتركة مع {org}.',
  'Not shared with any other organisation.': 'غير مشتركة مع أي منظمة أخرى.',
  'Shared with': 'مشتركة مع',
  Share: 'شارك',
  'Share {campaign}': 'شارك {campaign}',
  'Share with': 'شارك مع',
  'Choose the organisation to share it with.': 'اختر المنظمة التي تشاركها معها.',
  '{campaign} is shared with {org}.': 'صارت {campaign} مشتركة مع {org}.',
  Give: 'سلّم',
  'Give {campaign} to another organisation': 'سلّم {campaign} إلى منظمة أخرى',
  'Give to another organisation': 'سلّمها إلى منظمة أخرى',
  'Choose the organisation to give it to.': 'اختر المنظمة التي تسلّمها إليها.',
  '{campaign} is now run by {org}.': 'صارت {org} تدير {campaign}.',
  '{org} runs no campaign yet.': 'لا تدير {org} أي حملة بعد.',
  'No campaign is shared with {org}.': 'لا حملة مشتركة مع {org}.',
  'The newsroom could not tell which organisation you work for.': 'تعذّر على غرفة الأخبار معرفة المنظمة التي تعمل فيها.',
  'A campaign is run by one organisation, which may share it with others: their staff then work on its stories too.':
    'تدير كل حملة منظمة واحدة، ويمكنها مشاركتها مع غيرها: فيعمل موظفوها على قصصها أيضًا.',
});
