/*
 * The browser harness shared by the newsroom test: Debian's Chromium through
 * playwright-core, every request outside loopback blocked and counted, console
 * errors and page errors collected, a screenshot per step, axe-core runs, and
 * the check that a signed-out browser holds nothing.
 *
 * Nothing here waits by sleeping: every wait is on something a person would
 * see (a heading, a button, a message), with generous timeouts, because the
 * test runs on loaded two-core machines.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** How long any one UI state may take to appear. */
export const STEP_TIMEOUT = 60_000;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export class Harness {
  constructor({ baseUrl, screenshots, executablePath }) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.screenshots = screenshots;
    this.executablePath = executablePath || '/usr/bin/chromium';
    this.outside = [];
    this.problems = [];
    this.failures = [];
    this.staffAnswers = 0;
    this.shot = 0;
    this.axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    mkdirSync(screenshots, { recursive: true });
  }

  async start() {
    this.browser = await chromium.launch({
      executablePath: this.executablePath,
      headless: true,
      timeout: STEP_TIMEOUT,
      // Shared CI machines have little /dev/shm.
      args: ['--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
    });
  }

  async stop() {
    if (this.browser) await this.browser.close();
  }

  /**
   * A fresh browser profile (one person at one computer): its own storage,
   * every non-loopback request refused and recorded, console errors recorded.
   */
  async person(who, options = {}) {
    const context = await this.browser.newContext({
      locale: 'en-GB',
      viewport: { width: 1280, height: 900 },
      acceptDownloads: false,
      ...options,
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT);
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') {
        if (!LOOPBACK.has(url.hostname)) {
          this.outside.push(`${who}: ${route.request().method()} ${url.href}`);
          return route.abort('blockedbyclient');
        }
      }
      return route.continue();
    });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.problems.push(`${who}: console error: ${msg.text()} (${msg.location().url || '?'})`);
    });
    page.on('pageerror', (err) => this.problems.push(`${who}: page error: ${err && err.stack ? err.stack : err}`));
    page.on('crash', () => this.problems.push(`${who}: the page crashed`));
    // Staff answers must never be kept by the browser's cache (issue 15, item 3).
    page.on('response', async (res) => {
      const req = res.request();
      if (!new URL(req.url()).pathname.startsWith('/graphql')) return;
      const auth = await req.headerValue('authorization').catch(() => null);
      if (!auth) return;
      this.staffAnswers += 1;
      const cache = (await res.headerValue('cache-control').catch(() => null)) || '';
      if (!/\bno-store\b/.test(cache)) {
        this.fail(`${who}: a signed-in answer from ${req.url()} is cacheable (Cache-Control: ${cache || 'none'})`);
      }
    });
    return { context, page, who };
  }

  /** Saves a screenshot named after the step, numbered in order. */
  async screenshot(page, step) {
    this.shot += 1;
    const name = `${String(this.shot).padStart(2, '0')}-${step.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
    await page.screenshot({ path: path.join(this.screenshots, name), fullPage: true });
    return name;
  }

  /**
   * Runs axe-core on the page as it is and fails on any serious or critical
   * violation. axe is evaluated through the DevTools protocol, which the
   * page's CSP does not govern; the page itself still runs under its CSP
   * (checked separately, and any CSP violation is a console error).
   */
  async axe(page, where) {
    const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
    if (!loaded) await page.evaluate(this.axeSource);
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
      }));
    });
    const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (bad.length) {
      // Recorded, not thrown: the rest of the day is still worth checking.
      this.fail(`axe-core on ${where}: ${bad.length} serious/critical violation(s):\n` +
        bad.map((v) => `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n'));
    }
    const minor = result.filter((v) => !bad.includes(v));
    if (minor.length) log(`  axe on ${where}: ${minor.length} minor/moderate: ${minor.map((v) => v.id).join(', ')}`);
    else log(`  axe on ${where}: no violations`);
  }

  /**
   * What a signed-out browser still holds: every localStorage and
   * sessionStorage key, every IndexedDB database, every Cache Storage cache
   * and every cookie of the origin.
   */
  async leftovers(page) {
    const held = await page.evaluate(async () => {
      const keys = (s) => Array.from({ length: s.length }, (_, i) => s.key(i));
      const dbs = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : ['<indexedDB.databases() missing>'];
      const caches_ = typeof caches !== 'undefined' ? await caches.keys() : [];
      return {
        localStorage: keys(localStorage).map((k) => `${k}=${localStorage.getItem(k)}`),
        sessionStorage: keys(sessionStorage).map((k) => `${k}=${sessionStorage.getItem(k)}`),
        indexedDB: dbs,
        caches: caches_,
      };
    });
    held.cookies = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`);
    return held;
  }

  /** Records a failure that need not stop the journey; the test fails at the end. */
  fail(message) {
    this.failures.push(message);
    log(`FAILURE: ${message}`);
  }

  /** Fails if anything went wrong in any page so far, or anything went outside. */
  assertClean() {
    const out = [...this.failures];
    if (this.outside.length) out.push(`${this.outside.length} request(s) outside loopback:\n  ${this.outside.join('\n  ')}`);
    if (this.problems.length) out.push(`console or page errors:\n  ${this.problems.join('\n  ')}`);
    if (out.length) throw new Error(out.join('\n'));
  }
}

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...args);
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/**
 * Moves focus with Tab alone until `matches(activeElementInfo)` holds, as a
 * keyboard user would; fails after `limit` presses. Returns the info.
 */
export async function tabTo(page, describe, matches, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const labels = el.labels ? Array.from(el.labels).map((l) => l.textContent.trim()) : [];
      return {
        tag: el.tagName.toLowerCase(),
        type: el.getAttribute('type') || '',
        name: (el.getAttribute('aria-label') || labels.join(' ') || el.textContent || '').trim().replace(/\s+/g, ' '),
        visibleFocus: (() => {
          const s = getComputedStyle(el);
          return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
        })(),
      };
    });
    if (info && matches(info)) return info;
  }
  throw new Error(`Tab never reached ${describe} within ${limit} presses`);
}

/** The metadata blocks left in a JPEG or WebP: names of any EXIF/XMP/IPTC/comment. */
export function metadataIn(bytes) {
  const found = [];
  const b = Buffer.from(bytes);
  if (b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 4 <= b.length && b[i] === 0xff) {
      const marker = b[i + 1];
      if (marker === 0xda || marker === 0xd9) break; // start of scan: no more headers
      const len = b.readUInt16BE(i + 2);
      const body = b.subarray(i + 4, i + 2 + len);
      if (marker === 0xe1) found.push(body.subarray(0, 4).toString('latin1') === 'Exif' ? 'EXIF' : 'APP1 (XMP)');
      if (marker === 0xed) found.push('APP13 (IPTC)');
      if (marker === 0xfe) found.push('COM (comment)');
      i += 2 + len;
    }
  } else if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') {
    let i = 12;
    while (i + 8 <= b.length) {
      const id = b.subarray(i, i + 4).toString('latin1');
      const len = b.readUInt32LE(i + 4);
      if (id === 'EXIF' || id === 'XMP ') found.push(id.trim());
      i += 8 + len + (len % 2);
    }
  } else {
    found.push('not a JPEG or WebP');
  }
  return found;
}
