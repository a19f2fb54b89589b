/*
 * Newsroom panel: Stories. (Placeholder until its branch lands.)
 */
import { h, registerPanel, t } from './core.js';

registerPanel({
  id: 'stories',
  title: 'Stories',
  order: 10,
  roles: ['ADMIN', 'EDITOR', 'CONTRIBUTOR'],
  render(container) {
    container.appendChild(h('h1', null, t('Stories')));
  },
});
