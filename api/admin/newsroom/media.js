/*
 * Newsroom: a story's media — uploading, describing, face boxes, renditions.
 *
 * The story page calls renderStoryMedia(container, story); this module fetches
 * the story's media itself and owns everything inside its section:
 * - Upload by drag and drop or the "Choose files" control. Files up to
 *   DIRECT_UPLOAD_ABOVE go as one GraphQL multipart request (addStoryMedia);
 *   larger ones (video, long recordings) go createMediaUpload → PUT with a
 *   progress bar → completeMediaUpload, so a 2 GiB video never passes through a
 *   single request that shows no progress and cannot say how far it got.
 * - Per item: alt text, caption, credit and "shows faces" (a form drawn from the
 *   schema's UpdateMediaInput, so a new field appears without UI code), face boxes
 *   drawn with the pointer on the picture or typed as numbers, in pixels of the
 *   stored original (what setFaceMasks takes), and previews of the renditions
 *   readers get, polled while the background job makes them.
 * - What about the item still holds the story or its readers back, in words.
 * After every change the section sends a bubbling `chorus:media-changed` event
 * ({storyId, media}) so the story page can update what blocks publication.
 *
 * Nothing is kept outside memory; URLs from the API expire within minutes and
 * are asked for again rather than stored.
 */
import {
  h, clear, gql, t, addTranslations, describeError, notify, hasRole, GqlError,
} from './core.js';
import { inputForm } from './forms.js';

/**
 * Files larger than this (8 MiB) take the large-upload path with a progress bar.
 * Below it, one multipart request is quicker (no second round trip) and the
 * server's multipart limit (CHORUS_MEDIA_MAX_UPLOAD_BYTES, 25 MiB by default) is
 * far away; above it, editors on slow connections need to see progress.
 */
export const DIRECT_UPLOAD_ABOVE = 8 * 1024 * 1024;

/** Files up to this size get a SHA-256 the server checks; hashing needs the whole file in memory. */
const HASH_UP_TO = 128 * 1024 * 1024;

/** How often the page asks whether renditions are ready, and for how long. */
const POLL_FIRST_MS = 1500;
const POLL_MAX_MS = 10000;
const POLL_GIVE_UP_MS = 5 * 60 * 1000;

const ACCEPT = 'image/jpeg,image/png,image/webp,image/gif,audio/*,video/*,.m4a,.mov,.webm,.ogg,.wav';

let sectionCounter = 0;

/* ------------------------------------------------------------ words */

const KIND_WORDS = { IMAGE: 'Photo', AUDIO: 'Recording', VIDEO: 'Video', DOCUMENT: 'Document' };

/** A sentence for a failed media operation, in the editor's words. */
export function mediaErrorText(err) {
  if (err instanceof GqlError) {
    switch (err.code) {
      case 'PAYLOAD_TOO_LARGE':
        return t('This file is too large for Chorus: {detail}.', { detail: err.message });
      case 'UNSUPPORTED_MEDIA_TYPE':
        return t('Chorus cannot take this kind of file. It takes JPEG, PNG, WebP and GIF photos; MP3, M4A, OGG and WAV recordings; MP4, MOV and WebM videos.');
      case 'CONFLICT':
        return t('This file is already attached to this story.');
      case 'FORBIDDEN':
        return t('Your role does not allow this on this story.');
      case 'STORAGE_UNAVAILABLE':
        return t('Media storage is not answering; please try again in a minute.');
      default:
        return describeError(err);
    }
  }
  return describeError(err);
}

function formatBytes(n) {
  const size = Number(n);
  if (!Number.isFinite(size)) return String(n);
  if (size < 1024) return t('{n} bytes', { n: size });
  if (size < 1024 * 1024) return t('{n} KB', { n: (size / 1024).toFixed(0) });
  if (size < 1024 * 1024 * 1024) return t('{n} MB', { n: (size / (1024 * 1024)).toFixed(1) });
  return t('{n} GB', { n: (size / (1024 * 1024 * 1024)).toFixed(2) });
}

/*
 * Chorus's own links (`/media/…?t=`, `/uploads/…?token=`) are absolute, made from
 * CHORUS_PUBLIC_URL or the bound address; the page may have been opened under
 * another name for the same server (localhost vs 127.0.0.1, an internal address),
 * which the CSP would treat as another site. Such links are used relative to this
 * page; presigned S3 URLs are left as they are (the CSP names the bucket's origin).
 */
export function localUrl(url) {
  let parsed;
  try {
    parsed = new URL(url, window.location.href);
  } catch (_) {
    return url;
  }
  if (parsed.origin === window.location.origin) return parsed.pathname + parsed.search;
  const chorusMedia = /^\/media\/[^/]+\/[^/]+$/.test(parsed.pathname) && parsed.searchParams.has('t');
  const chorusUpload = /^\/uploads\/[^/]+$/.test(parsed.pathname) && parsed.searchParams.has('token');
  if ((chorusMedia || chorusUpload) && !parsed.searchParams.has('X-Amz-Signature')) {
    return parsed.pathname + parsed.search;
  }
  return parsed.href;
}

function original(asset) {
  return (asset.sources || []).find((s) => s.variant === 'original') || null;
}

function renditions(asset) {
  return (asset.sources || []).filter((s) => s.variant !== 'original');
}

/** Whether the background job is still expected to make this item's renditions. */
function preparing(asset) {
  return asset.kind === 'IMAGE' && !asset.private && !renditions(asset).length && !asset.renditionError;
}

/** What about this item holds the story or its readers back: [{level, text}]. */
export function mediaBlockers(asset) {
  const out = [];
  if (asset.kind === 'IMAGE' && !asset.private && !(asset.altText && asset.altText.trim())) {
    out.push({
      level: 'blocks',
      text: t('Needs alt text: the story cannot be published until this photo is described for people who cannot see it.'),
    });
  }
  if (asset.metadataStatus === 'NOT_CLEANABLE') {
    out.push({
      level: 'held',
      text: t('Kept private: Chorus cannot remove this file’s hidden data (such as location) yet, so readers never receive it.'),
    });
  }
  if (asset.kind === 'IMAGE' && asset.showsFaces && !asset.facesReviewedAt) {
    out.push({
      level: 'held',
      text: t('Faces not reviewed: readers whose consent asks for faces to be hidden will not get this photo until you draw boxes over the faces and save them, or say that no face can be seen.'),
    });
  }
  if (asset.kind === 'VIDEO' && asset.showsFaces) {
    out.push({
      level: 'held',
      text: t('Chorus cannot hide faces in a video: it only reaches readers whose consent allows faces to be shown.'),
    });
  }
  if (asset.renditionError) {
    out.push({ level: 'held', text: t('The web versions could not be made, so readers do not get this photo yet.') });
  }
  return out;
}

/* ------------------------------------------------------------ section */

/** Draws the media section of the story page for `story` ({id, ...}). */
export async function renderStoryMedia(container, story) {
  sectionCounter += 1;
  const sid = `md${sectionCounter}`;
  const headingId = `${sid}-heading`;
  const list = h('div', { class: 'md-items' });
  const uploads = h('ul', { class: 'md-uploads', 'aria-label': t('Uploads in progress') });
  const listError = h('div', { class: 'md-error', role: 'alert' });
  const section = h('section', { class: 'md-media', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, t('Media')));
  container.appendChild(section);

  const state = { story, items: new Map(), list, section };

  section.appendChild(dropZone(sid, (files) => uploadAll(state, files, uploads)));
  section.appendChild(uploads);
  section.appendChild(listError);
  section.appendChild(list);

  try {
    const data = await gql('MediaOfStory', { id: story.id });
    const media = (data.editorialStory && data.editorialStory.media) || [];
    if (!media.length) list.appendChild(h('p', { class: 'md-empty' }, t('No photos, recordings or videos yet.')));
    for (const asset of media) await addItem(state, asset);
  } catch (err) {
    listError.textContent = mediaErrorText(err);
  }
}

function dropZone(sid, onFiles) {
  const inputId = `${sid}-files`;
  const helpId = `${sid}-files-help`;
  const input = h('input', {
    id: inputId, type: 'file', multiple: true, accept: ACCEPT, class: 'md-file-input',
    'aria-describedby': helpId,
  });
  input.addEventListener('change', () => {
    const files = [...(input.files || [])];
    if (files.length) onFiles(files);
    input.value = '';
  });
  const zone = h('div', { class: 'md-drop' },
    h('p', { class: 'md-drop-text' }, t('Drag photos, recordings or videos here, or')),
    h('label', { for: inputId, class: 'md-choose' }, t('Choose files')),
    input,
    h('p', { class: 'md-help', id: helpId },
      t('Photos are cleaned of hidden data such as GPS location before they are stored. Files over {size} are sent in the background with a progress bar.',
        { size: formatBytes(DIRECT_UPLOAD_ABOVE) })));
  let depth = 0;
  zone.addEventListener('dragenter', (event) => {
    event.preventDefault();
    depth += 1;
    zone.classList.add('md-drop-over');
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('md-drop-over');
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('md-drop-over');
    const files = [...((event.dataTransfer && event.dataTransfer.files) || [])];
    if (files.length) onFiles(files);
  });
  return zone;
}

/* ------------------------------------------------------------ uploads */

async function uploadAll(state, files, uploads) {
  for (const file of files) {
    // One at a time: parallel uploads would share a slow line and all finish late.
    await uploadOne(state, file, uploads);
  }
}

async function uploadOne(state, file, uploads) {
  const progress = h('progress', { max: '100', 'aria-label': t('Uploading {name}', { name: file.name }) });
  const status = h('span', { class: 'md-upload-status', role: 'status' }, t('Uploading {name}…', { name: file.name }));
  const error = h('p', { class: 'md-error', role: 'alert' });
  const row = h('li', { class: 'md-upload' }, h('span', { class: 'md-upload-name', dir: 'auto' }, file.name), ' ',
    progress, ' ', status, error);
  uploads.appendChild(row);
  const fail = (message) => {
    progress.remove();
    status.textContent = t('{name} was not added.', { name: file.name });
    error.textContent = message;
    const dismiss = h('button', { type: 'button', class: 'md-dismiss' }, t('Dismiss'));
    dismiss.addEventListener('click', () => row.remove());
    row.appendChild(dismiss);
  };
  if (!file.size) {
    fail(t('This file is empty.'));
    return;
  }
  try {
    let asset;
    if (file.size <= DIRECT_UPLOAD_ABOVE) {
      // fetch reports no upload progress: an indeterminate bar says "working".
      progress.removeAttribute('value');
      const data = await gql('MediaAdd', { storyId: state.story.id, file: null }, { files: { file } });
      asset = data.addStoryMedia;
    } else {
      asset = await largeUpload(state.story.id, file, progress, status);
    }
    row.remove();
    const empty = state.list.querySelector('.md-empty');
    if (empty) empty.remove();
    const item = await addItem(state, asset);
    announceChange(state);
    notify(t('{name} was added. Describe it below.', { name: file.name }));
    if (item) item.heading.focus();
  } catch (err) {
    fail(mediaErrorText(err));
  }
}

async function sha256Hex(file) {
  if (!(window.crypto && window.crypto.subtle) || file.size > HASH_UP_TO) return null;
  const digest = await window.crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function largeUpload(storyId, file, progress, status) {
  status.textContent = t('Preparing {name}…', { name: file.name });
  const sha256 = await sha256Hex(file);
  const input = { storyId, sizeBytes: String(file.size) };
  if (sha256) input.sha256 = sha256;
  const created = (await gql('MediaCreateUpload', { input })).createMediaUpload;
  status.textContent = t('Sending {name}…', { name: file.name });
  progress.value = 0;
  let said = -1;
  await putWithProgress(created, file, (sent, total) => {
    progress.value = total ? Math.floor((sent / total) * 100) : 0;
    // The bar moves continuously; the words (read out by screen readers) every 10%.
    const step = Math.floor(progress.value / 10) * 10;
    if (step !== said) {
      said = step;
      status.textContent = t('Sending {name}: {percent}%', { name: file.name, percent: step });
    }
  });
  progress.removeAttribute('value');
  status.textContent = t('Checking {name} and removing hidden data…', { name: file.name });
  return (await gql('MediaCompleteUpload', { id: created.id })).completeMediaUpload;
}

/** PUTs the bytes to the upload URL; rejects with a GqlError-like error in words. */
function putWithProgress(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || 'PUT', localUrl(upload.url));
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
        return;
      }
      // Chorus answers {error: {code, message}}; a bucket answers XML.
      let code = xhr.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'UPLOAD_FAILED';
      let message = t('The storage refused the file (HTTP {status}).', { status: xhr.status });
      try {
        const body = JSON.parse(xhr.responseText);
        if (body && body.error) {
          code = body.error.code || code;
          message = body.error.message || message;
        }
      } catch (_) { /* not JSON: keep the status */ }
      if (code === 'GONE') message = t('The upload link expired before the file was sent; please add the file again.');
      reject(new GqlError([{ message, extensions: { code } }]));
    });
    xhr.addEventListener('error', () => reject(new TypeError('network')));
    xhr.addEventListener('abort', () => reject(new Error(t('The upload was stopped.'))));
    xhr.send(file);
  });
}

/* ------------------------------------------------------------ items */

/*
 * Tells the story page the media changed (an upload, a description, face boxes,
 * new renditions, a deletion), so what it says blocks publication can follow:
 * a bubbling `chorus:media-changed` event with {storyId, media}.
 */
function announceChange(state) {
  if (!state.section.isConnected) return;
  state.section.dispatchEvent(new CustomEvent('chorus:media-changed', {
    bubbles: true,
    detail: { storyId: state.story.id, media: [...state.items.values()].map((i) => i.asset) },
  }));
}

async function addItem(state, asset) {
  const item = { asset, node: h('article', { class: 'md-item' }), heading: null, poll: null };
  state.items.set(asset.id, item);
  state.list.appendChild(item.node);
  await drawItem(state, item);
  return item;
}

function itemTitle(state, asset) {
  const index = [...state.items.keys()].indexOf(asset.id) + 1;
  return t(`${KIND_WORDS[asset.kind] || 'Item'} {n}`, { n: index });
}

/*
 * An item is drawn in parts that are redrawn on their own: new renditions or a
 * saved description must not wipe face boxes drawn but not saved yet, nor alt
 * text being typed while the background job finishes.
 */
async function drawItem(state, item) {
  const { asset } = item;
  const base = `md-${asset.id}`;
  const headingId = `${base}-title`;
  clear(item.node);
  item.node.setAttribute('aria-labelledby', headingId);
  item.heading = h('h3', { id: headingId, tabindex: '-1' }, itemTitle(state, asset));
  item.parts = {
    status: h('div', { class: 'md-status' }),
    main: h('div', { class: 'md-item-main' }),
    details: h('div', { class: 'md-details-host' }),
    readers: h('div', { class: 'md-readers-host' }),
  };
  const side = h('div', { class: 'md-item-side' },
    item.parts.details, item.parts.readers, deleteControl(state, item));
  item.node.appendChild(item.heading);
  item.node.appendChild(item.parts.status);
  item.node.appendChild(h('div', { class: 'md-item-body' }, item.parts.main, side));
  drawMain(state, item);
  await drawDetails(state, item);
  drawStatus(state, item);
}

/** The picture with its face boxes, or the player. */
function drawMain(state, item) {
  const editor = hasRole('EDITOR', 'ADMIN');
  clear(item.parts.main).appendChild(item.asset.kind === 'IMAGE'
    ? faceEditor(state, item, editor)
    : playerFor(item.asset));
}

async function drawDetails(state, item) {
  const editor = hasRole('EDITOR', 'ADMIN');
  const part = editor ? await detailsForm(state, item) : detailsText(item.asset);
  clear(item.parts.details).appendChild(part);
}

/** Facts, what holds the item back, and what readers get; polls while renditions are made. */
function drawStatus(state, item) {
  const { asset } = item;
  const status = clear(item.parts.status);
  status.appendChild(h('p', { class: 'md-facts' }, facts(asset)));
  const blockers = mediaBlockers(asset);
  if (blockers.length) {
    status.appendChild(h('ul', { class: 'md-blockers', 'aria-label': t('What still holds this item back') },
      blockers.map((b) => h('li', { class: `md-blocker md-blocker-${b.level}` },
        h('strong', null, b.level === 'blocks' ? t('Blocks publication:') : t('Held back from readers:')), ' ', b.text))));
  }
  clear(item.parts.readers).appendChild(readersView(state, item));
  schedulePoll(state, item);
}

function facts(asset) {
  const parts = [t(KIND_WORDS[asset.kind] || 'Item'), h('bdi', null, asset.mime), h('bdi', null, formatBytes(asset.sizeBytes))];
  if (asset.width && asset.height) parts.push(h('bdi', null, t('{w} × {h} pixels', { w: asset.width, h: asset.height })));
  parts.push(asset.metadataStatus === 'CLEANED'
    ? t('hidden data (location, camera) removed')
    : t('hidden data could not be removed'));
  return parts.map((part, i) => [i ? ' · ' : '', part]);
}

function playerFor(asset) {
  const source = original(asset);
  if (!source) return h('p', null, t('No preview available.'));
  const label = t('Listen to or watch the file as stored');
  if (asset.kind === 'AUDIO') return h('audio', { controls: true, preload: 'none', src: localUrl(source.url), 'aria-label': label });
  if (asset.kind === 'VIDEO') return h('video', { controls: true, preload: 'metadata', src: localUrl(source.url), 'aria-label': label, class: 'md-video' });
  return h('p', null, h('a', { href: localUrl(source.url), target: '_blank', rel: 'noopener' }, t('Open the document')));
}

/* ------------------------------------------------------------ details */

async function detailsForm(state, item) {
  const { asset } = item;
  const wrap = h('div', { class: 'md-details' });
  wrap.appendChild(h('h4', null, t('Description')));
  let form;
  try {
    form = await inputForm('UpdateMediaInput', {
      values: {
        altText: asset.altText, caption: asset.caption, credit: asset.credit, showsFaces: asset.showsFaces,
      },
      multiline: ['altText', 'caption'],
      // A recording has no faces; its alt text describes what can be heard.
      hidden: asset.kind === 'AUDIO' ? ['showsFaces'] : [],
      labels: {
        altText: 'Alt text', caption: 'Caption', credit: 'Credit', showsFaces: 'Someone’s face can be seen',
      },
      help: {
        altText: asset.kind === 'IMAGE'
          ? 'What the picture shows, for people who cannot see it. Required before the story is published.'
          : 'What can be seen or heard, in a sentence, for people who cannot see or hear it.',
        caption: asset.kind === 'IMAGE' ? 'Shown under the picture.' : 'Shown with the file.',
        credit: 'Who took the picture or made the recording.',
        showsFaces: asset.kind === 'IMAGE'
          ? 'Leave ticked unless you are sure no face can be seen. Faces are then covered with the boxes you draw.'
          : 'Leave ticked unless you are sure no face can be seen. Chorus cannot cover faces in a video.',
      },
    });
  } catch (err) {
    wrap.appendChild(h('p', { class: 'md-error', role: 'alert' }, mediaErrorText(err)));
    return wrap;
  }
  // Descriptions may be written in any language, whatever the UI's.
  for (const field of form.element.querySelectorAll('textarea, input[type="text"]')) field.setAttribute('dir', 'auto');
  const save = h('button', { type: 'submit' }, t('Save alt text and details'));
  const formEl = h('form', { class: 'md-details-form', novalidate: true }, form.element, save);
  formEl.addEventListener('submit', async (event) => {
    event.preventDefault();
    let input;
    try {
      input = form.value();
    } catch (_) {
      return;
    }
    save.disabled = true;
    try {
      const data = await gql('MediaDescribe', { id: asset.id, input });
      item.asset = data.updateMedia;
      announceChange(state);
      notify(t('Saved the description of {title}.', { title: itemTitle(state, item.asset) }));
      await drawDetails(state, item);
      drawStatus(state, item);
      const again = item.parts.details.querySelector('button[type="submit"]');
      if (again) again.focus();
    } catch (err) {
      save.disabled = false;
      form.setErrors(err instanceof GqlError && ['BAD_USER_INPUT'].includes(err.code) ? err : mediaErrorText(err));
    }
  });
  wrap.appendChild(formEl);
  return wrap;
}

function detailsText(asset) {
  const row = (label, value) => [h('dt', null, label), h('dd', { dir: 'auto' }, value || t('(none)'))];
  return h('div', { class: 'md-details' },
    h('h4', null, t('Description')),
    h('dl', null,
      row(t('Alt text'), asset.altText),
      row(t('Caption'), asset.caption),
      row(t('Credit'), asset.credit),
      row(t('Someone’s face can be seen'), asset.showsFaces ? t('Yes') : t('No'))),
    h('p', { class: 'md-help' }, t('Editors describe media and draw face boxes.')));
}

/* ------------------------------------------------------------ face boxes */

function clampBox(box, width, height) {
  const x = Math.max(0, Math.min(Math.round(box.x), width - 1));
  const y = Math.max(0, Math.min(Math.round(box.y), height - 1));
  return {
    x,
    y,
    width: Math.max(1, Math.min(Math.round(box.width), width - x)),
    height: Math.max(1, Math.min(Math.round(box.height), height - y)),
  };
}

function faceEditor(state, item, editable) {
  const { asset } = item;
  const base = `md-${asset.id}`;
  const W = asset.width || 0;
  const H = asset.height || 0;
  // The boxes being edited, in pixels of the stored original; saved explicitly.
  let boxes = (asset.faceMasks || []).map((m) => ({ x: m.x, y: m.y, width: m.width, height: m.height }));
  let dirty = false;

  const wrap = h('div', { class: 'md-faces' });
  wrap.appendChild(h('h4', { id: `${base}-faces` }, t('Face boxes')));
  const source = original(asset);
  if (!source || !W || !H) {
    wrap.appendChild(h('p', null, t('This picture cannot be shown here.')));
    return wrap;
  }
  if (editable) {
    wrap.appendChild(h('p', { class: 'md-help', id: `${base}-draw-help` },
      t('Drag over each face on the picture to cover it with a black box, or use “Add a face box” and type its position in pixels. Readers only ever get the covered versions.')));
  }
  const img = h('img', {
    src: localUrl(source.url), alt: asset.altText || t('The photo as uploaded, before faces are covered'),
    draggable: 'false', class: 'md-original',
  });
  let refreshed = false;
  img.addEventListener('error', () => {
    // The link expired (they live minutes): fetch fresh ones once.
    if (!refreshed && !item.imageFailed) {
      refreshed = true;
      item.imageFailed = true;
      refreshItem(state, item, 'main');
      return;
    }
    canvas.replaceWith(h('p', { class: 'md-error', role: 'alert' },
      t('The picture could not be shown. Reload the page to try again.')));
  });
  img.addEventListener('load', () => { item.imageFailed = false; });
  const layer = h('div', { class: 'md-layer' });
  const canvas = h('div', {
    class: `md-canvas${editable ? ' md-canvas-edit' : ''}`, dir: 'ltr',
    'aria-describedby': editable ? `${base}-draw-help` : null,
  }, img, layer);
  wrap.appendChild(canvas);

  const fields = h('div', { class: 'md-box-fields' });
  const unsaved = h('p', { class: 'md-unsaved', role: 'status' });
  const error = h('p', { class: 'md-error', role: 'alert' });

  function drawBoxes() {
    clear(layer);
    boxes.forEach((b, i) => {
      layer.appendChild(h('div', {
        class: 'md-box',
        style: `left:${(b.x / W) * 100}%;top:${(b.y / H) * 100}%;width:${(b.width / W) * 100}%;height:${(b.height / H) * 100}%`,
      }, h('span', { class: 'md-box-number', 'aria-hidden': 'true' }, String(i + 1))));
    });
    unsaved.textContent = dirty ? t('Face boxes changed but not saved yet.') : '';
  }

  function drawFields() {
    clear(fields);
    if (!boxes.length) {
      fields.appendChild(h('p', null, t('No face boxes.')));
      return;
    }
    boxes.forEach((b, i) => {
      const n = i + 1;
      const number = (key, label, max) => {
        const id = `${base}-box${n}-${key}`;
        const input = h('input', {
          id, type: 'number', min: '0', max: String(max), step: '1', inputmode: 'numeric', value: String(b[key]),
          disabled: !editable,
        });
        input.addEventListener('change', () => {
          const v = Number.parseInt(input.value, 10);
          if (!Number.isFinite(v)) return;
          boxes[i] = clampBox({ ...boxes[i], [key]: v }, W, H);
          dirty = true;
          drawBoxes();
          if (String(boxes[i][key]) !== input.value) input.value = String(boxes[i][key]);
        });
        return h('span', { class: 'md-num' }, h('label', { for: id }, label), input);
      };
      const remove = h('button', { type: 'button', class: 'md-remove' }, t('Remove box {n}', { n }));
      remove.addEventListener('click', () => {
        boxes.splice(i, 1);
        dirty = true;
        drawBoxes();
        drawFields();
        const next = fields.querySelector('input, button');
        (next || addButton).focus();
      });
      fields.appendChild(h('fieldset', { class: 'md-boxset' },
        h('legend', null, t('Face box {n}', { n })),
        number('x', t('Left (x)'), W - 1), number('y', t('Top (y)'), H - 1),
        number('width', t('Width'), W), number('height', t('Height'), H),
        editable ? remove : null));
    });
  }

  const addButton = h('button', { type: 'button' }, t('Add a face box'));
  addButton.addEventListener('click', () => {
    const size = Math.max(1, Math.round(Math.min(W, H) / 5));
    // Each new box a little further along, so boxes added one after another stay apart.
    const shift = ((boxes.length % 4) * size) / 2;
    boxes.push(clampBox({ x: (W - size) / 2 + shift, y: (H - size) / 2 + shift, width: size, height: size }, W, H));
    dirty = true;
    drawBoxes();
    drawFields();
    const inputs = fields.querySelectorAll('fieldset:last-of-type input');
    if (inputs[0]) inputs[0].focus();
  });
  const saveButton = h('button', { type: 'button', class: 'md-primary' }, t('Save face boxes'));
  saveButton.addEventListener('click', async () => {
    error.textContent = '';
    saveButton.disabled = true;
    try {
      const masks = boxes.map((b) => clampBox(b, W, H));
      const data = await gql('MediaSetFaceMasks', { mediaId: asset.id, masks });
      item.asset = data.setFaceMasks;
      announceChange(state);
      notify(masks.length
        ? t('Saved {n} face box(es). The covered web versions are being made.', { n: masks.length })
        : t('Removed the face boxes; the faces are no longer marked as reviewed.'));
      drawMain(state, item);
      drawStatus(state, item);
      const again = [...item.parts.main.querySelectorAll('button')].find((b) => b.textContent === t('Save face boxes'));
      if (again) again.focus();
    } catch (err) {
      saveButton.disabled = false;
      error.textContent = mediaErrorText(err);
    }
  });

  if (editable) enableDrawing(canvas, layer, W, H, (box) => {
    boxes.push(box);
    dirty = true;
    drawBoxes();
    drawFields();
  });

  drawBoxes();
  drawFields();
  wrap.appendChild(unsaved);
  wrap.appendChild(fields);
  if (editable) wrap.appendChild(h('div', { class: 'md-actions' }, addButton, ' ', saveButton));
  wrap.appendChild(error);
  return wrap;
}

/** Pointer drawing on `canvas`: calls done(box) with a box in original pixels. */
function enableDrawing(canvas, layer, W, H, done) {
  let start = null;
  let ghost = null;
  const toPixels = (event) => {
    const rect = canvas.getBoundingClientRect();
    const fx = rect.width ? (event.clientX - rect.left) / rect.width : 0;
    const fy = rect.height ? (event.clientY - rect.top) / rect.height : 0;
    return { x: Math.max(0, Math.min(1, fx)) * W, y: Math.max(0, Math.min(1, fy)) * H };
  };
  const boxFrom = (a, b) => ({
    x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y),
  });
  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    start = toPixels(event);
    ghost = h('div', { class: 'md-box md-box-ghost' });
    layer.appendChild(ghost);
    try {
      canvas.setPointerCapture(event.pointerId);
    } catch (_) { /* synthetic events have no capturable pointer */ }
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!start || !ghost) return;
    const b = boxFrom(start, toPixels(event));
    ghost.setAttribute('style',
      `left:${(b.x / W) * 100}%;top:${(b.y / H) * 100}%;width:${(b.width / W) * 100}%;height:${(b.height / H) * 100}%`);
  });
  const finish = (event, keep) => {
    if (!start) return;
    const b = boxFrom(start, toPixels(event));
    start = null;
    if (ghost) ghost.remove();
    ghost = null;
    // A click or a tiny slip is not a box: at least 1% of the picture each way.
    if (keep && b.width >= W / 100 && b.height >= H / 100 && b.width >= 1 && b.height >= 1) done(clampBox(b, W, H));
  };
  canvas.addEventListener('pointerup', (event) => finish(event, true));
  canvas.addEventListener('pointercancel', (event) => finish(event, false));
  // Stops the browser's own image drag from stealing the gesture.
  canvas.addEventListener('dragstart', (event) => event.preventDefault());
}

/* ------------------------------------------------------------ readers' view */

function readersView(state, item) {
  const { asset } = item;
  const base = `md-${asset.id}`;
  const wrap = h('div', { class: 'md-readers' });
  wrap.appendChild(h('h4', { id: `${base}-readers` }, t('What readers get')));
  if (asset.private) {
    wrap.appendChild(h('p', null, t('Nothing: this file is kept private.')));
    return wrap;
  }
  if (asset.kind !== 'IMAGE') {
    wrap.appendChild(h('p', null, t('The file as stored above, with its hidden data removed, when consent allows.')));
    return wrap;
  }
  if (asset.renditionError) {
    wrap.appendChild(h('p', { class: 'md-error', role: 'alert' },
      t('The web versions could not be made: {reason}', { reason: asset.renditionError })));
    if (hasRole('ADMIN')) {
      const retry = h('button', { type: 'button' }, t('Try again'));
      const error = h('p', { class: 'md-error', role: 'alert' });
      retry.addEventListener('click', async () => {
        retry.disabled = true;
        try {
          item.asset = (await gql('MediaRetryRenditions', { mediaId: asset.id })).retryMediaRenditions;
          announceChange(state);
          notify(t('Making the web versions again.'));
          drawStatus(state, item);
          // The button is gone with the error; the item's heading keeps the editor's place.
          item.heading.focus();
        } catch (err) {
          retry.disabled = false;
          error.textContent = mediaErrorText(err);
        }
      });
      wrap.appendChild(retry);
      wrap.appendChild(error);
    } else {
      wrap.appendChild(h('p', null, t('Ask an administrator to try again once the cause is fixed.')));
    }
    return wrap;
  }
  const ready = renditions(asset);
  if (!ready.length) {
    wrap.appendChild(h('p', { class: 'md-preparing', role: 'status' },
      h('span', { class: 'md-spinner', 'aria-hidden': 'true' }), ' ',
      t('Preparing… the web versions, with faces covered, are being made.')));
    return wrap;
  }
  const jpegs = ready.filter((s) => s.mime === 'image/jpeg').sort((a, b) => (a.width || 0) - (b.width || 0));
  const shown = jpegs.find((s) => (s.width || 0) >= 600) || jpegs[jpegs.length - 1] || ready[0];
  const preview = h('img', {
    src: localUrl(shown.url), class: 'md-rendition',
    alt: t('Web version readers get, {w} pixels wide, faces covered: {alt}', {
      w: shown.width || '?', alt: asset.altText || t('no alt text yet'),
    }),
  });
  let refreshed = false;
  preview.addEventListener('error', () => {
    if (refreshed) return;
    refreshed = true;
    refreshItem(state, item, 'status');
  });
  wrap.appendChild(h('figure', { class: 'md-figure' }, preview,
    h('figcaption', null, asset.faceMasks && asset.faceMasks.length
      ? t('{n} face box(es) painted black; location and camera data removed.', { n: asset.faceMasks.length })
      : t('No face boxes; location and camera data removed.'))));
  wrap.appendChild(h('p', { class: 'md-variants' }, t('Sizes:'), ' ',
    ready.map((s, i) => [i ? ', ' : '', h('bdi', null, h('a', { href: localUrl(s.url), target: '_blank', rel: 'noopener noreferrer' },
      `${s.width || '?'} px ${s.mime.replace('image/', '').toUpperCase()}`))])));
  return wrap;
}

/* ------------------------------------------------------------ polling */

/** Asks for the item again (fresh URLs, new state) and redraws `part`: 'main' or 'status'. */
async function refreshItem(state, item, part) {
  if (!item.node.isConnected) return;
  try {
    const data = await gql('MediaItem', { id: item.asset.id });
    item.asset = data.mediaAsset;
    if (part === 'main') drawMain(state, item);
    drawStatus(state, item);
  } catch (_) { /* keep what is shown; the next action will say what is wrong */ }
}

function schedulePoll(state, item) {
  if (item.poll) clearTimeout(item.poll.timer);
  if (!preparing(item.asset)) {
    item.poll = null;
    return;
  }
  const started = (item.poll && item.poll.started) || Date.now();
  const delay = Math.min(POLL_MAX_MS, POLL_FIRST_MS * 2 ** ((item.poll && item.poll.round) || 0));
  const round = ((item.poll && item.poll.round) || 0) + 1;
  const timer = setTimeout(async () => {
    // Gone from the page (another story, sign-out): stop asking.
    if (!item.node.isConnected) return;
    if (Date.now() - started > POLL_GIVE_UP_MS) {
      const check = h('button', { type: 'button' }, t('Check again'));
      check.addEventListener('click', () => {
        item.poll = null;
        refreshItem(state, item, 'status');
      });
      const where = item.node.querySelector('.md-preparing');
      if (where) where.after(h('p', null, t('This is taking longer than usual.'), ' ', check));
      return;
    }
    try {
      const data = await gql('MediaItem', { id: item.asset.id });
      const next = data.mediaAsset;
      if (preparing(next)) {
        item.asset = next;
        item.poll = { started, round, timer: null };
        schedulePoll(state, item);
        return;
      }
      item.asset = next;
      item.poll = null;
      announceChange(state);
      // Only the status and preview change: focus and anything being typed stay put.
      const hadFocus = item.parts.readers.contains(document.activeElement);
      drawStatus(state, item);
      notify(next.renditionError
        ? t('The web versions of {title} could not be made.', { title: itemTitle(state, next) })
        : t('The web versions of {title} are ready.', { title: itemTitle(state, next) }));
      if (hadFocus) item.heading.focus();
    } catch (_) {
      item.poll = { started, round, timer: null };
      schedulePoll(state, item);
    }
  }, delay);
  item.poll = { started, round, timer };
}

/* ------------------------------------------------------------ delete */

function deleteControl(state, item) {
  const wrap = h('div', { class: 'md-delete' });
  const error = h('p', { class: 'md-error', role: 'alert' });
  const ask = h('button', { type: 'button', class: 'md-danger' }, t('Delete this item'));
  ask.addEventListener('click', () => {
    const title = itemTitle(state, item.asset);
    const yes = h('button', { type: 'button', class: 'md-danger' }, t('Yes, delete {title}', { title }));
    const no = h('button', { type: 'button' }, t('Cancel'));
    const confirm = h('p', { role: 'group', 'aria-label': t('Confirm deletion') },
      t('Delete {title} and all its versions for good?', { title }), ' ', yes, ' ', no);
    ask.hidden = true;
    wrap.insertBefore(confirm, error);
    no.addEventListener('click', () => {
      confirm.remove();
      ask.hidden = false;
      ask.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await gql('MediaDelete', { id: item.asset.id });
        if (item.poll) clearTimeout(item.poll.timer);
        state.items.delete(item.asset.id);
        item.node.remove();
        announceChange(state);
        notify(t('{title} was deleted.', { title }));
        state.section.querySelector('h2').focus();
      } catch (err) {
        yes.disabled = false;
        error.textContent = mediaErrorText(err);
      }
    });
    no.focus();
  });
  wrap.appendChild(ask);
  wrap.appendChild(error);
  return wrap;
}

/* ------------------------------------------------------------ Arabic */

addTranslations('ar', {
  Media: 'الوسائط',
  Photo: 'صورة',
  Recording: 'تسجيل صوتي',
  Video: 'فيديو',
  Document: 'مستند',
  Item: 'عنصر',
  'Photo {n}': 'الصورة {n}',
  'Recording {n}': 'التسجيل {n}',
  'Video {n}': 'الفيديو {n}',
  'Document {n}': 'المستند {n}',
  'Item {n}': 'العنصر {n}',
  'This file is too large for Chorus: {detail}.': 'هذا الملف أكبر مما يقبله كورس: {detail}.',
  'Chorus cannot take this kind of file. It takes JPEG, PNG, WebP and GIF photos; MP3, M4A, OGG and WAV recordings; MP4, MOV and WebM videos.':
    'لا يقبل كورس هذا النوع من الملفات. يقبل الصور بصيغ JPEG وPNG وWebP وGIF، والتسجيلات بصيغ MP3 وM4A وOGG وWAV، والفيديو بصيغ MP4 وMOV وWebM.',
  'This file is already attached to this story.': 'هذا الملف مرفق بهذه القصة من قبل.',
  'Your role does not allow this on this story.': 'لا يسمح دورك بهذا في هذه القصة.',
  'Media storage is not answering; please try again in a minute.': 'مخزن الوسائط لا يستجيب؛ يرجى المحاولة بعد دقيقة.',
  '{n} bytes': '{n} بايت',
  '{n} KB': '{n} ك.ب',
  '{n} MB': '{n} م.ب',
  '{n} GB': '{n} غ.ب',
  'Needs alt text: the story cannot be published until this photo is described for people who cannot see it.':
    'يحتاج إلى نص بديل: لا يمكن نشر القصة حتى تُوصف هذه الصورة لمن لا يستطيع رؤيتها.',
  'Kept private: Chorus cannot remove this file’s hidden data (such as location) yet, so readers never receive it.':
    'محفوظ بشكل خاص: لا يستطيع كورس بعدُ إزالة البيانات المخفية من هذا الملف (مثل الموقع)، لذلك لا يصل إلى القراء أبدًا.',
  'Faces not reviewed: readers whose consent asks for faces to be hidden will not get this photo until you draw boxes over the faces and save them, or say that no face can be seen.':
    'لم تُراجَع الوجوه: لن يحصل على هذه الصورة القراء الذين تطلب موافقتهم إخفاء الوجوه حتى ترسم مربعات فوق الوجوه وتحفظها، أو تذكر أنه لا يظهر أي وجه.',
  'Chorus cannot hide faces in a video: it only reaches readers whose consent allows faces to be shown.':
    'لا يستطيع كورس إخفاء الوجوه في الفيديو: لا يصل إلا إلى القراء الذين تسمح موافقتهم بإظهار الوجوه.',
  'The web versions could not be made, so readers do not get this photo yet.': 'تعذّر إعداد نسخ الويب، لذلك لا يحصل القراء على هذه الصورة بعد.',
  'Uploads in progress': 'عمليات الرفع الجارية',
  'No photos, recordings or videos yet.': 'لا توجد صور أو تسجيلات أو مقاطع فيديو بعد.',
  'Drag photos, recordings or videos here, or': 'اسحب الصور أو التسجيلات أو مقاطع الفيديو إلى هنا، أو',
  'Choose files': 'اختر ملفات',
  'Photos are cleaned of hidden data such as GPS location before they are stored. Files over {size} are sent in the background with a progress bar.':
    'تُنظَّف الصور من البيانات المخفية مثل موقع GPS قبل حفظها. الملفات الأكبر من {size} تُرسل في الخلفية مع شريط تقدّم.',
  'Uploading {name}': 'جارٍ رفع {name}',
  'Uploading {name}…': 'جارٍ رفع {name}…',
  '{name} was not added.': 'لم تتم إضافة {name}.',
  Dismiss: 'إخفاء',
  'This file is empty.': 'هذا الملف فارغ.',
  '{name} was added. Describe it below.': 'تمت إضافة {name}. صِفه أدناه.',
  'Preparing {name}…': 'جارٍ تجهيز {name}…',
  'Sending {name}…': 'جارٍ إرسال {name}…',
  'Sending {name}: {percent}%': 'جارٍ إرسال {name}: {percent}٪',
  'Checking {name} and removing hidden data…': 'جارٍ فحص {name} وإزالة البيانات المخفية…',
  'The storage refused the file (HTTP {status}).': 'رفض المخزن الملف (HTTP {status}).',
  'The upload link expired before the file was sent; please add the file again.': 'انتهت صلاحية رابط الرفع قبل إرسال الملف؛ يرجى إضافة الملف مرة أخرى.',
  'The upload was stopped.': 'توقف الرفع.',
  'What still holds this item back': 'ما الذي ما زال يعيق هذا العنصر',
  'Blocks publication:': 'يمنع النشر:',
  'Held back from readers:': 'محجوب عن القراء:',
  '{w} × {h} pixels': '{w} × {h} بكسل',
  'hidden data (location, camera) removed': 'أُزيلت البيانات المخفية (الموقع، الكاميرا)',
  'hidden data could not be removed': 'تعذّرت إزالة البيانات المخفية',
  'No preview available.': 'لا تتوفر معاينة.',
  'Listen to or watch the file as stored': 'استمع إلى الملف أو شاهده كما هو محفوظ',
  'Open the document': 'افتح المستند',
  Description: 'الوصف',
  'Alt text': 'النص البديل',
  Caption: 'التعليق',
  Credit: 'الحقوق',
  'Someone’s face can be seen': 'يظهر وجه شخص ما',
  'What the picture shows, for people who cannot see it. Required before the story is published.':
    'ما تُظهره الصورة، لمن لا يستطيع رؤيتها. مطلوب قبل نشر القصة.',
  'Shown under the picture.': 'يظهر تحت الصورة.',
  'What can be seen or heard, in a sentence, for people who cannot see or hear it.': 'ما يمكن رؤيته أو سماعه، في جملة، لمن لا يستطيع الرؤية أو السمع.',
  'Shown with the file.': 'يظهر مع الملف.',
  'Leave ticked unless you are sure no face can be seen. Chorus cannot cover faces in a video.': 'اتركه محددًا ما لم تكن متأكدًا من عدم ظهور أي وجه. لا يستطيع كورس تغطية الوجوه في الفيديو.',
  'Who took the picture or made the recording.': 'من التقط الصورة أو سجّل التسجيل.',
  'Leave ticked unless you are sure no face can be seen. Faces are then covered with the boxes you draw.':
    'اتركه محددًا ما لم تكن متأكدًا من عدم ظهور أي وجه. تُغطّى الوجوه عندئذ بالمربعات التي ترسمها.',
  'Save alt text and details': 'احفظ النص البديل والتفاصيل',
  'Saved the description of {title}.': 'تم حفظ وصف {title}.',
  '(none)': '(لا شيء)',
  Yes: 'نعم',
  No: 'لا',
  'Editors describe media and draw face boxes.': 'يصف المحررون الوسائط ويرسمون مربعات الوجوه.',
  'Face boxes': 'مربعات الوجوه',
  'This picture cannot be shown here.': 'لا يمكن عرض هذه الصورة هنا.',
  'The picture could not be shown. Reload the page to try again.': 'تعذّر عرض الصورة. أعد تحميل الصفحة للمحاولة مرة أخرى.',
  'Drag over each face on the picture to cover it with a black box, or use “Add a face box” and type its position in pixels. Readers only ever get the covered versions.':
    'اسحب فوق كل وجه في الصورة لتغطيته بمربع أسود، أو استخدم «أضف مربع وجه» واكتب موضعه بالبكسل. لا يحصل القراء إلا على النسخ المغطّاة.',
  'The photo as uploaded, before faces are covered': 'الصورة كما رُفعت، قبل تغطية الوجوه',
  'Face boxes changed but not saved yet.': 'تغيّرت مربعات الوجوه ولم تُحفظ بعد.',
  'No face boxes.': 'لا توجد مربعات وجوه.',
  'Remove box {n}': 'احذف المربع {n}',
  'Face box {n}': 'مربع الوجه {n}',
  'Left (x)': 'اليسار (x)',
  'Top (y)': 'الأعلى (y)',
  Width: 'العرض',
  Height: 'الارتفاع',
  'Add a face box': 'أضف مربع وجه',
  'Save face boxes': 'احفظ مربعات الوجوه',
  'Saved {n} face box(es). The covered web versions are being made.': 'تم حفظ {n} من مربعات الوجوه. يجري إعداد نسخ الويب المغطّاة.',
  'Removed the face boxes; the faces are no longer marked as reviewed.': 'أُزيلت مربعات الوجوه؛ لم تعد الوجوه معلَّمة على أنها رُوجعت.',
  'What readers get': 'ما يحصل عليه القراء',
  'Nothing: this file is kept private.': 'لا شيء: هذا الملف محفوظ بشكل خاص.',
  'The file as stored above, with its hidden data removed, when consent allows.': 'الملف كما هو محفوظ أعلاه، بعد إزالة بياناته المخفية، عندما تسمح الموافقة.',
  'The web versions could not be made: {reason}': 'تعذّر إعداد نسخ الويب: {reason}',
  'Try again': 'حاول مرة أخرى',
  'Making the web versions again.': 'يجري إعداد نسخ الويب مرة أخرى.',
  'Ask an administrator to try again once the cause is fixed.': 'اطلب من أحد المسؤولين المحاولة مرة أخرى بعد إصلاح السبب.',
  'Preparing… the web versions, with faces covered, are being made.': 'جارٍ التجهيز… يجري إعداد نسخ الويب مع تغطية الوجوه.',
  'Web version readers get, {w} pixels wide, faces covered: {alt}': 'نسخة الويب التي يحصل عليها القراء، بعرض {w} بكسل، والوجوه مغطّاة: {alt}',
  'no alt text yet': 'لا يوجد نص بديل بعد',
  '{n} face box(es) painted black; location and camera data removed.': '{n} من مربعات الوجوه مطلية بالأسود؛ وأُزيلت بيانات الموقع والكاميرا.',
  'No face boxes; location and camera data removed.': 'لا توجد مربعات وجوه؛ وأُزيلت بيانات الموقع والكاميرا.',
  'Sizes:': 'المقاسات:',
  'Check again': 'تحقّق مرة أخرى',
  'This is taking longer than usual.': 'يستغرق هذا وقتًا أطول من المعتاد.',
  'The web versions of {title} could not be made.': 'تعذّر إعداد نسخ الويب لـ{title}.',
  'The web versions of {title} are ready.': 'نسخ الويب لـ{title} جاهزة.',
  'Delete this item': 'احذف هذا العنصر',
  'Yes, delete {title}': 'نعم، احذف {title}',
  Cancel: 'إلغاء',
  'Confirm deletion': 'تأكيد الحذف',
  'Delete {title} and all its versions for good?': 'هل تحذف {title} وكل نسخه نهائيًا؟',
  '{title} was deleted.': 'حُذف {title}.',
});
