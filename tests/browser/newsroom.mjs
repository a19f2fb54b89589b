/*
 * The editors' day in the newsroom, in a real browser (issue 15, item 6).
 *
 *   node newsroom.mjs <base-url>
 *
 * Run by tests/api/newsroom_browser.rs, which starts Chorus, makes what the
 * journey does not (the first admin, editor A, a PUBLIC_WEB key, a photo
 * carrying GPS) and passes them in CHORUS_BROWSER_TEST (JSON):
 *   {admin: {email, password}, editorA: {email, password}, editorB: {email},
 *    publicKey, photo, gpsHex, screenshots}
 * Exits non-zero with the reason on the first failure.
 */
import { readFileSync } from 'node:fs';
import { Harness, STEP_TIMEOUT, assert, log } from './harness.mjs';

const baseUrl = process.argv[2];
const settings = JSON.parse(process.env.CHORUS_BROWSER_TEST || '{}');
if (!baseUrl || !settings.admin) {
  console.error('usage: CHORUS_BROWSER_TEST=<json> node newsroom.mjs <base-url>');
  process.exit(2);
}

// A hung browser must not hang CI: the whole journey gets this long.
const OVERALL = Number(process.env.CHORUS_BROWSER_TIMEOUT_SECS || 900) * 1000;
setTimeout(() => {
  console.error(`the browser test did not finish within ${OVERALL / 1000}s`);
  process.exit(3);
}, OVERALL).unref();

const h = new Harness({ baseUrl, screenshots: settings.screenshots, executablePath: settings.chromium });
const started = Date.now();
const timings = [];

/** Runs one step of the journey, timed and logged, with a screenshot after it. */
async function step(name, page, fn) {
  const t0 = Date.now();
  log(`step: ${name}`);
  try {
    await fn();
  } catch (err) {
    if (page) await h.screenshot(page, `FAILED-${name}`).catch(() => {});
    throw new Error(`step "${name}" failed: ${err && err.stack ? err.stack : err}`);
  }
  if (page) await h.screenshot(page, name);
  timings.push([name, Date.now() - t0]);
}

/* ------------------------------------------------------------- the page */

/** The admin page's security headers: a strict CSP, kept (item 6, Acceptance). */
async function checkHeaders() {
  const res = await fetch(`${baseUrl}/admin`);
  assert(res.ok, `/admin answers ${res.status}`);
  const csp = res.headers.get('content-security-policy') || '';
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v]));
  assert(String(directives['default-src']) === "'self'", `default-src 'self' in ${csp}`);
  assert(String(directives['script-src']) === "'self'", `script-src 'self' only (no inline, no eval) in ${csp}`);
  assert(String(directives['connect-src']) === "'self'", `connect-src 'self' in ${csp}`);
  assert(directives['frame-ancestors'] && directives['frame-ancestors'][0] === "'none'", `frame-ancestors 'none' in ${csp}`);
  const index = await res.text();
  assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(index), 'no inline <script> in the admin page');
  assert(!/\son[a-z]+\s*=/i.test(index), 'no inline event handlers in the admin page');
}

/** Opens /admin and waits for the sign-in form. */
async function openSignIn(page) {
  await page.goto(`${baseUrl}/admin`);
  await page.getByRole('heading', { level: 1, name: 'Chorus admin' }).waitFor();
  await page.getByLabel('Email').waitFor();
}

/** Signs in by keyboard alone: type, Tab, type, Enter. */
async function signInByKeyboard(page, email, password) {
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
  assert((await focused()) === 'login-email', 'the email field has focus when the form opens');
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  assert((await focused()) === 'login-password', 'Tab moves from email to password');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Signs in with the mouse, as most people do. */
async function signIn(page, email, password) {
  await openSignIn(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Signs out and checks the browser holds nothing of the session. */
async function signOutLeavesNothing(page, secrets) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const held = await h.leftovers(page);
  const all = JSON.stringify(held);
  for (const secret of secrets.filter(Boolean)) {
    assert(!all.includes(secret), `nothing of the session is left in the browser, but found ${JSON.stringify(secret)} in ${all}`);
  }
  assert(held.localStorage.length === 0, `localStorage is empty after sign-out: ${all}`);
  assert(held.sessionStorage.length === 0, `sessionStorage is empty after sign-out: ${all}`);
  assert(held.indexedDB.length === 0, `no IndexedDB database after sign-out: ${all}`);
  assert(held.caches.length === 0, `no Cache Storage after sign-out: ${all}`);
  assert(held.cookies.length === 0, `no cookie after sign-out: ${all}`);
  // And a reload shows the sign-in form, not the newsroom.
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
}

/* ------------------------------------------------------------ the day */

async function main() {
  await h.start();
  log(`Chromium ${h.browser.version()} at ${h.executablePath}; Chorus at ${baseUrl}`);

  await step('the admin page keeps a strict CSP', null, checkHeaders);

  const admin = await h.person('admin');
  let page = admin.page;
  await step('sign-in form (English)', page, async () => {
    await openSignIn(page);
    await h.axe(page, 'the sign-in form');
  });
  await step('admin signs in by keyboard', page, async () => {
    await signInByKeyboard(page, settings.admin.email, settings.admin.password);
    await page.locator('#newsroom').waitFor();
    assert(await page.locator('#newsroom').isVisible(), 'the newsroom is the default view');
    await page.locator('#newsroom h1').first().waitFor();
    await h.axe(page, 'the newsroom (admin, English)');
  });
  await step('the GraphQL console is one click away', page, async () => {
    await page.getByRole('button', { name: 'GraphQL console' }).click();
    await page.locator('.graphiql-container').waitFor();
    await page.getByRole('button', { name: 'Newsroom' }).click();
    await page.locator('#newsroom').waitFor();
  });
  await step('admin signs out and the browser holds nothing', page, async () => {
    await signOutLeavesNothing(page, [settings.admin.email]);
  });

  h.assertClean();
  log(`outside requests: ${h.outside.length}; console errors: ${h.problems.length}`);
  log('timings:', timings.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)}s`).join('; '));
  log(`the newsroom journey passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

main()
  .then(() => h.stop())
  .then(() => process.exit(0))
  .catch(async (err) => {
    console.error(String(err && err.stack ? err.stack : err));
    if (h.outside.length) console.error(`outside requests:\n  ${h.outside.join('\n  ')}`);
    if (h.problems.length) console.error(`console/page errors:\n  ${h.problems.join('\n  ')}`);
    await h.stop().catch(() => {});
    process.exit(1);
  });

