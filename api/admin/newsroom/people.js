/*
 * Newsroom panel: People. (Placeholder until its branch lands.)
 */
import { h, registerPanel, t } from './core.js';

registerPanel({
  id: 'people',
  title: 'People',
  order: 40,
  roles: ['ADMIN'],
  render(container) {
    container.appendChild(h('h1', null, t('People')));
  },
});
