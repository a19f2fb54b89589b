/*
 * Newsroom panel: Storytellers and consent. (Placeholder until its branch lands.)
 */
import { h, registerPanel, t } from './core.js';

registerPanel({
  id: 'storytellers',
  title: 'Storytellers and consent',
  order: 20,
  roles: ['ADMIN', 'EDITOR', 'CONTRIBUTOR'],
  render(container) {
    container.appendChild(h('h1', null, t('Storytellers and consent')));
  },
});
