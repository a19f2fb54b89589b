/* SCRATCH (never commit): renders the media section at #/stories/<id>. */
import { h, registerPanel, t } from './core.js';
import { renderStoryMedia } from './media.js';

registerPanel({
  id: 'stories',
  title: 'Stories',
  order: 10,
  roles: ['ADMIN', 'EDITOR', 'CONTRIBUTOR'],
  async render(container, params) {
    container.appendChild(h('h1', null, t('Stories')));
    if (params[0]) await renderStoryMedia(container, { id: params[0] });
  },
});
