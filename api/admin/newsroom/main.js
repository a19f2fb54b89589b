/*
 * The newsroom's entry point: loads the core and every panel, then hands admin.js
 * the mount/unmount pair it calls after sign-in and at sign-out.
 */
import { mount, unmount } from './core.js';
import { forgetSchema } from './forms.js';
import './organisation.js';
import './people.js';
import './organisations.js';
import './campaigns.js';
import './keys.js';
import './stories.js';
import './storytellers.js';
import './media.js';

window.ChorusNewsroom = {
  mount,
  unmount() {
    unmount();
    forgetSchema();
  },
};
