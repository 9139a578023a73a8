// The whole life of a post, in a real browser against `koho serve` and a real publisher
// process: 佐藤 翼 (危機管理課) drafts for the section's X account, sees a private phone
// number flagged live with みどり市's clause, fixes it and submits; 山本 健 (the chief the
// guideline names) approves; `koho publisher run --once` publishes it to a stateful fake of
// the X API on 127.0.0.1 with the token stored by `koho publisher credential set`; 佐藤 then
// corrects it, the chief approves the correction, the publisher sends it, and the public
// archive shows the correction linked to the original, which stays on the platform marked
// as corrected (みどり市 第11条). axe runs on every page; screenshots go to screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startFakeX } from './fake-x.mjs';
import {
  CHROMIUM, CHROMIUM_ARGS, SHOTS, demoLogin, expectAccessible, kohoBinary, openPage, shot, startServer, totp,
} from './support.mjs';

const VIOLATION = '防災訓練の担当は山田花子さん（090-1234-5678）です。';
const FIXED = '6月1日（日）に市内全域で防災訓練を行います。問い合わせは危機管理課（0123-45-6789）まで。';
const CORRECTED = '6月1日（日）の防災訓練は、正しくは午前9時開始です。問い合わせは危機管理課（0123-45-6789）まで。';
const APOLOGY = '先の投稿で開始時刻が抜けていました。お詫びして訂正します。';

let bin;
let dir;
let env;
let server;
let fakeX;
let browser;
let base;

function koho(args, input) {
  return execFileSync(bin, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  bin = kohoBinary();
  dir = mkdtempSync(join(tmpdir(), 'koho-journey-'));
  fakeX = await startFakeX();
  // The server and the publisher are separate processes on one database file.
  env = {
    ...process.env,
    KOHO_LOG: 'warn',
    KOHO_DATA_DIR: dir,
    DATABASE_URL: `sqlite://${join(dir, 'koho.db')}`,
    KOHO_CREDENTIAL_KEY_FILE: join(dir, 'credential.key'),
    KOHO_API_URL_X: fakeX.url,
  };
  delete env.KOHO_MUNICIPALITY;
  delete env.KOHO_GUIDELINE;
  server = await startServer(bin, env);
  base = server.url;
  writeFileSync(env.KOHO_CREDENTIAL_KEY_FILE, koho(['publisher', 'key', 'generate']).trim());
  const stored = koho(
    ['publisher', 'credential', 'set', 'https://x.com/midori_bousai', '--account-ref', fakeX.userId],
    JSON.stringify({ access_token: 'journey-access-token' }),
  );
  assert.ok(!stored.includes('journey-access-token'), 'the token was echoed');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) {
    await browser.close();
  }
  if (server) {
    server.child.kill('SIGTERM');
  }
  if (fakeX) {
    await fakeX.close();
  }
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function signIn(page, name) {
  const who = demoLogin(server.printed, name);
  await page.goto(`${base}/login?next=%2Fstaff`);
  await page.getByLabel('メールアドレス').fill(who.email);
  await page.getByLabel('パスワード').fill(who.password);
  await page.getByLabel('確認コード（6桁）').fill(totp(who.secret));
  await page.getByRole('button', { name: 'サインイン' }).click();
  await page.waitForURL(`${base}/staff`);
}

// Asynchronous: the fake X lives in this process and must answer while the publisher runs.
function publishRound() {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['publisher', 'run', '--once'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`publisher run exited ${code}: ${err}`))));
  });
}

test('draft → live check → fix → approve → publish to X → correct → both on the public archive', { timeout: 300000 }, async () => {
  // Each person signs in once (a TOTP code is accepted once) and keeps a window open.
  const drafter = await openPage(browser, base);
  const chief = await openPage(browser, base);
  await signIn(drafter.page, '佐藤 翼');
  await signIn(chief.page, '山本 健');
  const d = drafter.page;
  const c = chief.page;

  // Drafted with a private person's name and mobile number: flagged as he types.
  await d.goto(`${base}/staff/posts/new`);
  await d.locator('input[name="account"][data-platform="x"]').check();
  const box = d.locator('#text');
  await box.click();
  await box.pressSequentially(VIOLATION, { delay: 5 });
  await d.locator('#findings .finding--error').first().waitFor();
  assert.match(await d.locator('#findings .finding--error').first().textContent(), /第6条\(1\)/);
  await expectAccessible(d, 'journey: editor with a finding');
  await shot(d, 'journey-1-flagged');
  await box.click();
  await d.keyboard.press('Control+A');
  await d.keyboard.press('Delete');
  await box.pressSequentially(FIXED, { delay: 2 });
  await d.waitForFunction(() => document.getElementById('status').textContent === '指摘はありません。');
  await d.locator('#save-submit').click();
  await d.waitForURL(/done=submitted$/);
  const postUrl = d.url().replace(/\?.*$/, '');
  assert.equal(await d.locator('#post-state').textContent(), '承認待ち');

  // Nothing goes out before approval.
  assert.match(await publishRound(), /キュー投入 0 件/);
  assert.equal(fakeX.live().length, 0);

  // The chief approves; with no time set it is due at once.
  await c.goto(postUrl);
  await c.locator('#approve').click();
  await c.waitForURL(/done=approved$/);
  await expectAccessible(c, 'journey: approved');
  const round = await publishRound();
  assert.match(round, /公開 1/, round);
  assert.deepEqual(fakeX.live().map((t) => t.text), [FIXED], 'published exactly once, as approved');
  const original = fakeX.live()[0];
  assert.ok(fakeX.requests.every((r) => r.path.startsWith('/2/')), 'X API v2 paths only');

  // The post page shows where it went; a second round sends nothing.
  await d.goto(postUrl);
  assert.equal(await d.locator('tr[data-target-state="published"]').count(), 1);
  await expectAccessible(d, 'journey: published');
  await shot(d, 'journey-2-published');
  assert.match(await publishRound(), /キュー投入 0 件/);
  assert.equal(fakeX.live().length, 1);

  // A correction, linked to the post it corrects, cleared like any post.
  await d.locator('#correct-body').fill(CORRECTED);
  await d.locator('#correct-apology').fill(APOLOGY);
  await d.locator('#correct').click();
  await d.waitForURL(/done=correction$/);
  const correctionUrl = d.url().replace(/\?.*$/, '');
  assert.equal(await d.locator('#corrects-link').count(), 1);
  await d.locator('#submit-post').click();
  await d.waitForURL(/done=submitted$/);
  await expectAccessible(d, 'journey: correction submitted');
  await c.goto(correctionUrl);
  await c.locator('#approve').click();
  await c.waitForURL(/done=approved$/);
  const second = await publishRound();
  assert.match(second, /公開 1/, second);
  const live = fakeX.live();
  assert.equal(live.length, 2, 'みどり市 第11条 keeps the original, marked');
  assert.ok(live.some((t) => t.id === original.id), 'the original is still on X');
  const correction = live.find((t) => t.id !== original.id);
  assert.ok(correction.text.includes(CORRECTED) && correction.text.includes(APOLOGY), correction.text);

  // The public archive: no sign-in, both posts, each linked to the other.
  const citizen = await openPage(browser, base);
  const p = citizen.page;
  await p.goto(`${base}/archive`);
  const corr = p.locator('.archive__entry--correction').first();
  await corr.waitFor();
  assert.match(await corr.textContent(), /正しくは午前9時開始/);
  const orig = p.locator('.archive__entry--corrected', { hasText: '市内全域で防災訓練' });
  assert.equal(await orig.count(), 1, 'the original is listed, marked as corrected');
  await corr.locator('.archive__relation--corrects a').click();
  await p.waitForURL(/#/);
  await expectAccessible(p, 'journey: public archive');
  await shot(p, 'journey-3-archive');

  for (const w of [drafter, chief, citizen]) {
    assert.deepEqual(w.problems, []);
    await w.context.close();
  }
});
