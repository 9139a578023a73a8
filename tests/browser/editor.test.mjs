// Browser tests of koho's web application.
//
// Builds and starts `koho serve --addr 127.0.0.1:0` (or runs $KOHO_BIN), drives
// Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) with playwright-core, and
// runs axe-core on every page and state, requiring no WCAG 2.0/2.1 A or AA
// violation. Screenshots go to screenshots/ (not committed). Run: npm ci && npm test
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// A draft with two personal-information findings (a private person's name and a
// mobile number), its fixed version, and a URL shortener.
const VIOLATION = '子育て相談会を開きます。担当の山田花子さん（090-1234-5678）までご連絡ください。';
const FIXED = '子育て相談会を開きます。問い合わせは子育て支援課（0123-45-6790）まで。';

let server;
let browser;
let base;

function kohoBinary() {
  if (process.env.KOHO_BIN) {
    return process.env.KOHO_BIN;
  }
  const out = execFileSync('cargo', ['build', '-p', 'koho', '--message-format=json-render-diagnostics'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) {
      continue;
    }
    const m = JSON.parse(line);
    if (m.reason === 'compiler-artifact' && m.target && m.target.name === 'koho' && m.executable) {
      return m.executable;
    }
  }
  throw new Error('cargo build did not report the koho executable');
}

function startServer(bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A fresh in-memory database per run: the demo is filled into it, and nothing is
      // left behind in the user's data directory.
      env: { ...process.env, KOHO_LOG: 'warn', DATABASE_URL: 'sqlite::memory:' },
    });
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`koho serve printed no URL: ${seen}`)), 60000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const m = seen.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0].replace(/\/$/, '') });
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('exit', (code) => reject(new Error(`koho serve exited with ${code}: ${seen}`)));
  });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer(kohoBinary(), ['--demo']);
  base = server.url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  if (browser) {
    await browser.close();
  }
  if (server) {
    server.child.kill('SIGTERM');
  }
});

// A page that records anything leaving the server and any console error (a CSP
// violation is one).
async function openPage(options = {}) {
  const context = await browser.newContext({ locale: 'ja-JP', ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('about:')) {
      problems.push(`external request: ${u}`);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { context, page, problems };
}

async function expectAccessible(page, state) {
  const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const summary = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  assert.deepEqual(summary, [], `axe violations in ${state}`);
  return result.passes.length;
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

async function typeInto(page, text) {
  const box = page.locator('#text');
  await box.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await box.pressSequentially(text, { delay: 5 });
}

test('home page: Japanese, skip link, accessible, nothing external', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage();
  const res = await page.goto(`${base}/`);
  assert.equal(res.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.keyboard.press('Tab');
  const skip = page.locator('.skip-link');
  assert.equal(await skip.evaluate((el) => el === document.activeElement), true, 'first Tab reaches the skip link');
  assert.ok((await skip.boundingBox()).y >= 0, 'skip link visible when focused');
  await shot(page, 'home-skip-link-focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await expectAccessible(page, 'home');
  await shot(page, 'home');
  assert.deepEqual(problems, []);
  await context.close();
});

test('editor flags a violation live with the clause text, and clears when fixed', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage();
  await page.goto(`${base}/check`);
  await expectAccessible(page, 'editor, empty');
  await shot(page, 'editor-empty');

  const started = Date.now();
  await typeInto(page, VIOLATION);
  const finding = page.locator('#findings .finding').first();
  await finding.waitFor({ timeout: 10000 });
  const api = await (
    await fetch(`${base}/api/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: VIOLATION, platform: 'x' }),
    })
  ).json();
  assert.ok(api.diagnostics.length >= 1);
  await page.waitForFunction((n) => document.querySelectorAll('#findings .finding').length === n, api.diagnostics.length);
  const first = api.diagnostics[0];
  const shown = page.locator('#findings .finding').first();
  assert.equal(await shown.locator('[data-slot="rule"]').textContent(), first.rule);
  assert.equal(await shown.locator('[data-slot="message"]').textContent(), first.message);
  assert.equal(await shown.locator('.clause__label').first().textContent(), first.clauses[0].clause);
  assert.equal(await shown.locator('.clause__text').first().textContent(), first.clauses[0].text);
  assert.ok(await shown.locator('.clause__text').first().isVisible(), 'clause text visible');
  assert.match(await page.locator('#status').textContent(), /指摘が \d+ 件/);
  assert.ok((await page.locator('#mirror mark.sev-error').count()) >= 1, 'span underlined in the mirror');
  const marked = await page.locator('#mirror mark.sev-error').allTextContents();
  assert.ok(marked.some((t) => t.includes('090-1234-5678')), `marked: ${marked}`);
  assert.match(await page.locator('#length-count').textContent(), /^\d+ \/ 280$/);
  console.log(`# flagged ${Date.now() - started} ms after typing started`);

  // Selecting the finding's span in the text, from the keyboard.
  await shown.locator('[data-slot="select"]').click();
  const selected = await page.evaluate(() => {
    const t = document.getElementById('text');
    return t.value.slice(t.selectionStart, t.selectionEnd);
  });
  assert.equal(selected, first.excerpt);

  await expectAccessible(page, 'editor, findings shown');
  await shot(page, 'editor-flagged');

  await typeInto(page, FIXED);
  await page.waitForFunction(() => document.querySelectorAll('#findings .finding').length === 0);
  await page.waitForFunction(() => document.getElementById('status').textContent === '指摘はありません。');
  assert.equal(await page.locator('#mirror mark').count(), 0);
  await expectAccessible(page, 'editor, fixed');
  await shot(page, 'editor-fixed');

  // Over the limit: 150 full-width characters weigh 300 on X.
  await typeInto(page, 'あ'.repeat(150));
  await page.waitForFunction(() => document.getElementById('length').classList.contains('length--over'));
  assert.equal(await page.locator('#length-count').textContent(), '300 / 280');
  assert.equal(await page.locator('#length-state').textContent(), '上限を 20 超えています');
  assert.ok((await page.locator('#mirror mark.over').count()) >= 1);
  // Bluesky counts characters: the same text is within its 300.
  await page.selectOption('#platform', 'bluesky');
  await page.waitForFunction(() => document.getElementById('length-count').textContent === '150 / 300');
  await expectAccessible(page, 'editor, over the limit');
  await shot(page, 'editor-over-limit');

  // Input the checker refuses is explained, not crashed on.
  await typeInto(page, 'お知らせ\u202Etxt');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('INPUT_BIDI_CONTROL'));
  await expectAccessible(page, 'editor, refused input');
  // The refused check is a 422 response, which Chromium logs; nothing else may appear.
  assert.deepEqual(problems.filter((p) => !p.includes('status of 422')), []);
  await context.close();
});

test('switching to English', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage();
  await page.goto(`${base}/check`);
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/lang=en/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.locator('h1').textContent(), 'Pre-publication check');
  await typeInto(page, VIOLATION);
  await page.locator('#findings .finding').first().waitFor();
  assert.equal(await page.locator('#findings [data-slot="category"]').first().textContent(), 'Personal information');
  assert.match(await page.locator('#status').textContent(), /^\d+ findings/);
  await expectAccessible(page, 'editor in English, findings shown');
  await shot(page, 'editor-english');
  // The choice is remembered.
  await page.goto(`${base}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await expectAccessible(page, 'home in English');
  await page.getByRole('link', { name: '日本語' }).click();
  await page.waitForURL(/lang=ja/);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  assert.deepEqual(problems, []);
  await context.close();
});

test('without JavaScript the form renders the same findings on the server', { timeout: 120000 }, async () => {
  // koho's script is blocked (axe itself needs JavaScript in the page), so the
  // form really posts and the server renders the results.
  const { context, page, problems } = await openPage();
  await context.route(/\/static\/js\//, (route) => route.abort());
  await page.goto(`${base}/check`);
  await page.fill('#text', VIOLATION);
  await page.selectOption('#platform', 'x');
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  assert.ok((await page.locator('#findings .finding').count()) >= 1);
  assert.ok(await page.locator('#findings .clause__text').first().isVisible());
  assert.ok((await page.locator('#mirror mark.sev-error').count()) >= 1);
  assert.equal(await page.locator('#findings [data-slot="select"]').first().isHidden(), true, 'script did not run');
  await expectAccessible(page, 'editor without JavaScript, results');
  await shot(page, 'editor-no-js');
  assert.deepEqual(problems.filter((p) => !p.includes('ERR_FAILED')), []);
  await context.close();
});

test('phone width and 200% zoom: one column, no horizontal scrolling', { timeout: 120000 }, async () => {
  for (const [name, viewport] of [
    ['phone', { width: 375, height: 740 }],
    ['zoom-200', { width: 640, height: 400 }],
    ['zoom-400', { width: 320, height: 256 }],
  ]) {
    const { context, page, problems } = await openPage({ viewport, deviceScaleFactor: name === 'phone' ? 2 : 1 });
    await page.goto(`${base}/check`);
    await typeInto(page, VIOLATION);
    await page.locator('#findings .finding').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name}: page scrolls sideways by ${overflow}px`);
    await expectAccessible(page, `editor at ${name}`);
    await shot(page, `editor-${name}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('error pages show the code and request id, accessibly', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage();
  const res = await page.goto(`${base}/no/such/page`);
  assert.equal(res.status(), 404);
  assert.equal(await page.locator('#error-code').textContent(), 'NOT_FOUND');
  assert.equal(await page.locator('#request-id').textContent(), res.headers()['x-request-id']);
  await expectAccessible(page, 'error page');
  await shot(page, 'error-404');
  // The 404 of the page itself is a console error in Chromium; nothing else may be.
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
  await context.close();
});

test('demo mode lets every built-in guideline be chosen', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage();
  await page.goto(`${base}/check`);
  assert.ok(await page.locator('.demo-banner').isVisible());
  const options = await page.locator('#guideline option').count();
  assert.ok(options >= 6, `${options} guidelines`);
  await page.selectOption('#guideline', 'komae');
  await typeInto(page, VIOLATION);
  await page.locator('#findings .finding').first().waitFor();
  const api = await page.evaluate(async (text) => {
    const r = await fetch('/api/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, platform: 'x', guideline: 'komae' }),
    });
    return r.json();
  }, VIOLATION);
  const clause = api.diagnostics[0].clauses[0];
  assert.equal(clause.guideline, 'komae');
  // 狛江市's own clause, not みどり市's.
  assert.equal(await page.locator('#findings .clause__label').first().textContent(), clause.clause);
  assert.equal(await page.locator('#findings .clause__text').first().textContent(), clause.text);
  await expectAccessible(page, 'editor in demo mode, another guideline');
  assert.deepEqual(problems, []);
  await context.close();
});

// --- the public register of official accounts and "is this official?" ---

test('public register: table, phone and print layouts, policy page; accessible and cacheable', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage();
  const res = await page.goto(`${base}/official-accounts`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['cache-control'], /^public, max-age=\d+$/);
  assert.ok(res.headers().etag, 'an ETag');
  assert.ok((await page.locator('table.register tbody tr').count()) >= 5, 'the demo accounts are listed');
  await expectAccessible(page, 'register');
  await shot(page, 'register');

  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.site-nav').isVisible(), false, 'no navigation on paper');
  assert.equal(await page.locator('table.register').isVisible(), true);
  await shot(page, 'register-print');
  await page.emulateMedia({ media: 'screen' });

  await page.setViewportSize({ width: 320, height: 800 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
  );
  assert.equal(overflow, false, 'no horizontal scrolling at 320 px');
  await expectAccessible(page, 'register at 320 px');
  await shot(page, 'register-phone');

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.locator('table.register a[href$="/policy"]').first().click();
  await page.waitForSelector('.policy');
  await expectAccessible(page, 'operation policy');
  await shot(page, 'policy');
  assert.deepEqual(problems, []);
  await context.close();
});

test('verify: the form answers official, and warns of a lookalike', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage();
  await page.goto(`${base}/verify`);
  await expectAccessible(page, 'verify form');
  await page.getByLabel('アカウントの URL または ID').fill('@midori_c1ty');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.verify-result');
  assert.equal(await page.locator('.verify-result--not-official').count(), 1);
  assert.equal(await page.locator('.verify-lookalikes').isVisible(), true);
  assert.match(await page.locator('.verify-lookalikes').innerText(), /@midori_city/);
  await expectAccessible(page, 'verify: lookalike');
  await shot(page, 'verify-lookalike');

  await page.getByLabel('アカウントの URL または ID').fill('https://x.com/midori_city');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.verify-result--official');
  await expectAccessible(page, 'verify: official');
  await shot(page, 'verify-official');
  assert.deepEqual(problems, []);
  await context.close();
});
