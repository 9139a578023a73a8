// Browser test of the staff side: sign in with password and TOTP (the code computed here
// with node's HMAC-SHA1 from the demo secret `koho serve --demo` prints), the dashboard,
// approving the pending application as the PR office chief (the approver みどり市's
// guideline names), signing out. axe-core must find no WCAG 2.0/2.1 A or AA violation on
// the sign-in page and the dashboard. Screenshots go to screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let server;
let browser;
let base;
let logins = '';

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
    if (line.startsWith('{')) {
      const m = JSON.parse(line);
      if (m.reason === 'compiler-artifact' && m.target && m.target.name === 'koho' && m.executable) {
        return m.executable;
      }
    }
  }
  throw new Error('cargo build did not report the koho executable');
}

function startServer(bin) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--demo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KOHO_LOG: 'warn', DATABASE_URL: 'sqlite::memory:' },
    });
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`koho serve printed no URL: ${seen}`)), 120000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const m = seen.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        logins = seen;
        resolve({ child, url: m[0].replace(/\/$/, '') });
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('exit', (code) => reject(new Error(`koho serve exited with ${code}: ${seen}`)));
  });
}

// RFC 4648 base32 → bytes.
function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/[=\s]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits.
function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30000)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const off = mac[19] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1000000).padStart(6, '0');
}

test('the TOTP of this test matches RFC 6238', () => {
  // RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 → the last six digits.
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59000), '287082');
});

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer(kohoBinary());
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

async function expectAccessible(page, state) {
  const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const summary = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  assert.deepEqual(summary, [], `axe violations in ${state}`);
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

// The demo login `koho serve --demo` printed for a role: { email, password, secret }.
function demoLogin(role) {
  const line = logins.split('\n').find((l) => l.includes(`[${role}`) || l.includes(` ${role}`) && l.includes('TOTP'));
  assert.ok(line, `no demo login for ${role} in:\n${logins}`);
  const email = line.match(/<([^>]+)>/)[1];
  const password = line.match(/パスワード: (\S+)/)[1];
  const secret = line.match(/TOTP: ([A-Z2-7]+)/)[1];
  return { email, password, secret };
}

test('sign in with TOTP, dashboard, approve as the chief, sign out', { timeout: 180000 }, async () => {
  assert.match(logins, /デモ専用/, 'the demo login is printed with a demo-only warning');
  const chief = demoLogin('pr-office-chief');
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const problems = [];
  // The refused sign-in answers 401 on purpose, which Chromium logs as a failed load;
  // anything else on the console (a CSP violation, a script error) is a problem.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // Staff pages send an anonymous visitor to the sign-in page.
  await page.goto(`${base}/staff`);
  assert.match(page.url(), /\/login\?next=%2Fstaff$/);
  await expectAccessible(page, 'sign-in page');
  await shot(page, 'login');

  // A wrong code: one message, the form again, still accessible.
  await page.getByLabel('メールアドレス').fill(chief.email);
  await page.getByLabel('パスワード').fill(chief.password);
  await page.getByLabel('確認コード（6桁）').fill(totp(chief.secret) === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'サインイン' }).click();
  await page.locator('#login-error').waitFor();
  assert.match(await page.locator('#login-error').textContent(), /サインインできませんでした/);
  await expectAccessible(page, 'sign-in page with an error');
  await shot(page, 'login-refused');

  // The right code: the dashboard, as the PR office chief.
  await page.getByLabel('メールアドレス').fill(chief.email);
  await page.getByLabel('パスワード').fill(chief.password);
  await page.getByLabel('確認コード（6桁）').fill(totp(chief.secret));
  await page.getByRole('button', { name: 'サインイン' }).click();
  await page.waitForURL(`${base}/staff`);
  assert.match(await page.locator('#whoami').textContent(), /緑川 一郎/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name.includes('koho_session'));
  assert.ok(session && session.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Lax');
  const waiting = page.locator('section[aria-labelledby="waiting-heading"] tbody tr');
  assert.ok((await waiting.count()) >= 1, 'an application waits for the chief');
  await expectAccessible(page, 'dashboard');
  await shot(page, 'dashboard');

  // Approve it.
  await waiting.first().locator('a').first().click();
  await page.waitForURL(/\/staff\/applications\/[0-9a-f-]+$/);
  await shot(page, 'application');
  await page.locator('#approve').click();
  await page.waitForURL(/done=approved/);
  assert.equal(await page.locator('#application-status').textContent(), '承認済み');
  await expectAccessible(page, 'application approved');
  await shot(page, 'application-approved');

  // Nothing waits any more; sign out ends the session.
  await page.goto(`${base}/staff`);
  assert.equal(await page.locator('section[aria-labelledby="waiting-heading"] tbody tr').count(), 0);
  await page.getByRole('button', { name: 'サインアウト' }).click();
  await page.waitForURL(/\/login/);
  await page.goto(`${base}/staff`);
  assert.match(page.url(), /\/login\?next=/);
  assert.deepEqual(problems, []);
  await context.close();
});
