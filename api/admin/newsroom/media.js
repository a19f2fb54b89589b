/*
 * Newsroom: a story's media (upload, alt text, faces, renditions).
 * (Placeholder until its branch lands.) The story page calls renderStoryMedia.
 */
import { h, t } from './core.js';

/** Draws the media section of the story page for `story` ({id, ...}). */
export async function renderStoryMedia(container, story) {
  container.appendChild(h('h2', null, t('Media')));
}
