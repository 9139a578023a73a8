// What the browser tests share: the koho binary, a `koho serve` process, RFC 6238 codes
// for the demo logins it prints, and axe with the WCAG 2.0/2.1 A and AA rules
// (JIS X 8341-3:2016 AA).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The koho executable: KOHO_BIN, or the one `cargo build` reports. */
export function kohoBinary() {
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

/** `koho serve --demo` on a free port; resolves with the process, its URL and what it printed. */
export function startServer(bin, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--demo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KOHO_LOG: 'warn', ...env },
    });
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`koho serve printed no URL: ${seen}`)), 120000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const m = seen.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0].replace(/\/$/, ''), printed: seen });
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

/** RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits. */
export function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30000)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const off = mac[19] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1000000).padStart(6, '0');
}

const usedSteps = new Map();

/**
 * A code the server has not seen from this person: koho refuses a TOTP step used before
 * (replay), so a second sign-in within the same 30 seconds waits for the next step.
 */
export async function freshTotp(secret) {
  for (;;) {
    const step = Math.floor(Date.now() / 30000);
    if (usedSteps.get(secret) !== step) {
      usedSteps.set(secret, step);
      return totp(secret);
    }
    await new Promise((resolve) => setTimeout(resolve, (step + 1) * 30000 - Date.now() + 50));
  }
}

/** The demo login `koho serve --demo` printed for a person, by name. */
export function demoLogin(printed, name) {
  const line = printed.split('\n').find((l) => l.includes(name) && l.includes('TOTP'));
  assert.ok(line, `no demo login for ${name} in:\n${printed}`);
  return {
    email: line.match(/<([^>]+)>/)[1],
    password: line.match(/パスワード: (\S+)/)[1],
    secret: line.match(/TOTP: ([A-Z2-7]+)/)[1],
  };
}

/** Fails with every WCAG 2.0/2.1 A or AA violation axe finds on the page. */
export async function expectAccessible(page, state) {
  const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const summary = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  assert.deepEqual(summary, [], `axe violations in ${state}`);
}

export async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** A fresh context and page that records console errors and any request leaving `base`. */
export async function openPage(browser, base, options = {}) {
  const context = await browser.newContext({ locale: 'ja-JP', ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('about:')) {
      problems.push(`external request: ${u}`);
    }
  });
  return { context, page, problems };
}
