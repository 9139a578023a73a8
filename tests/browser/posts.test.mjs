// Browser test of the posts workspace: 佐藤 翼 (危機管理課 staff) signs in with password and
// TOTP, drafts a post for the section's X account with a private person's name and mobile
// number, sees it flagged as he types with the clause of みどり市's own guideline (第6条(1)),
// a length counter and a preview per platform; saves (findings rendered by the server), fixes
// it and submits it. 山本 健 (the section's chief, the approver 第5条(1) names) finds it on
// his dashboard, reads the diff, approves and schedules it. The same save also works with
// JavaScript off. axe-core must find no WCAG 2.0/2.1 A or AA violation on any page or state
// (with JavaScript on: axe itself runs in the page);
// screenshots go to screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, CHROMIUM_ARGS, SHOTS, demoLogin, expectAccessible, kohoBinary, openPage as open, shot, startServer, totp,
} from './support.mjs';

const VIOLATION = '防災訓練の担当は山田花子さん（090-1234-5678）です。';
const FIXED = '防災訓練の問い合わせは危機管理課（0123-45-6789）まで。';

let server;
let browser;
let base;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer(kohoBinary(), { DATABASE_URL: 'sqlite::memory:' });
  base = server.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) {
    await browser.close();
  }
  if (server) {
    server.child.kill('SIGTERM');
  }
});

function openPage(options = {}) {
  return open(browser, base, options);
}

async function signIn(page, name) {
  const who = demoLogin(server.printed, name);
  await page.goto(`${base}/login?next=%2Fstaff`);
  await page.getByLabel('メールアドレス').fill(who.email);
  await page.getByLabel('パスワード').fill(who.password);
  await page.getByLabel('確認コード（6桁）').fill(totp(who.secret));
  await page.getByRole('button', { name: 'サインイン' }).click();
  await page.waitForURL(`${base}/staff`);
  assert.match(await page.locator('#whoami').textContent(), new RegExp(name));
}

async function typeInto(page, text) {
  const box = page.locator('#text');
  await box.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await box.pressSequentially(text, { delay: 5 });
}

test('draft flagged live, fixed, submitted; the chief approves with the diff and schedules', { timeout: 300000 }, async () => {
  const { context, page, problems } = await openPage();
  await signIn(page, '佐藤 翼');
  // The demo's posts: his draft, his expired post, a target nobody could confirm.
  assert.equal(await page.locator('#post-expired-heading').count(), 1);
  assert.equal(await page.locator('#post-alerts-heading').count(), 1);
  await expectAccessible(page, 'dashboard of the drafter');
  await shot(page, 'post-dashboard-drafter');

  // The editor: the section's accounts, the guideline's exceptions, a panel per platform.
  await page.goto(`${base}/staff/posts/new`);
  await expectAccessible(page, 'empty editor');
  await shot(page, 'post-new');
  await page.locator('input[name="account"][data-platform="x"]').check();
  const panel = page.locator('.platform-panel[data-platform="x"]');
  await panel.waitFor({ state: 'visible' });
  assert.equal(await page.locator('.platform-panel[data-platform="mastodon"]').isVisible(), false,
    'only the chosen platforms have a panel');

  // Typing the violation: flagged in the text, listed with the clause and its words.
  await typeInto(page, VIOLATION);
  await page.locator('#findings .finding--error').first().waitFor();
  await page.locator('#mirror mark.sev-error').first().waitFor();
  const finding = page.locator('#findings .finding--error').first();
  assert.match(await finding.textContent(), /第6条\(1\)/);
  assert.match(await finding.locator('.clause__text').first().textContent(), /個人情報|個人/);
  assert.match(await page.locator('#status').textContent(), /エラー [1-9]/);
  // X counts its way: the counter and the preview follow the text.
  await panel.locator('[data-slot="count"]').waitFor({ state: 'visible' });
  assert.match(await panel.locator('[data-slot="count"]').textContent(), /^\d+ \/ 280$/);
  assert.equal(await panel.locator('[data-slot="preview"]').textContent(), VIOLATION);
  await expectAccessible(page, 'editor with a finding');
  await shot(page, 'post-editor-flagged');

  // Saved: the server shows the same finding and blocks submission.
  await page.locator('#save').click();
  await page.waitForURL(/\/staff\/posts\/[0-9a-f-]{36}\?done=saved$/);
  const postUrl = page.url().replace(/\?.*$/, '');
  await page.locator('#blocked').waitFor();
  assert.match(await page.locator('#findings').textContent(), /第6条\(1\)/);
  await expectAccessible(page, 'saved draft with a finding');
  await shot(page, 'post-saved-flagged');

  // Fixed in the editor: no findings; saved and submitted at once.
  await page.locator('#edit-post').click();
  await page.waitForURL(/\/edit$/);
  await typeInto(page, FIXED);
  await page.waitForFunction(() => document.getElementById('status').textContent === '指摘はありません。');
  assert.equal(await page.locator('#findings li').count(), 0);
  assert.equal(await page.locator('#mirror mark').count(), 0);
  await expectAccessible(page, 'editor with the fixed text');
  await shot(page, 'post-editor-fixed');
  await page.locator('#save-submit').click();
  await page.waitForURL(/done=submitted$/);
  assert.equal(await page.locator('#post-state').textContent(), '承認待ち');
  await expectAccessible(page, 'submitted post');
  await shot(page, 'post-submitted');
  await page.getByRole('button', { name: 'サインアウト' }).click();
  await page.waitForURL(/\/login/);

  // The chief: waiting on his dashboard, the diff since version 1, approve, schedule.
  await signIn(page, '山本 健');
  const waiting = page.locator('section[aria-labelledby="post-waiting-heading"] tbody tr');
  assert.ok((await waiting.count()) >= 1, 'the post waits for the chief');
  await expectAccessible(page, 'dashboard of the chief');
  await shot(page, 'post-dashboard-chief');
  await page.goto(postUrl);
  const diff = page.locator('#diff');
  await diff.waitFor();
  assert.ok((await diff.locator('del.diff__removed').count()) >= 1);
  assert.ok((await diff.locator('ins.diff__added').count()) >= 1);
  assert.match(await diff.locator('del.diff__removed').first().textContent(), /削除/);
  await expectAccessible(page, 'submitted post seen by the approver');
  await shot(page, 'post-approval-diff');
  await page.locator('#approve').click();
  await page.waitForURL(/done=approved$/);
  assert.equal(await page.locator('#post-state').textContent(), '承認済み');
  await expectAccessible(page, 'approved post');

  await page.locator('#schedule-at').fill('2099-06-01T09:30');
  await page.locator('#schedule').click();
  await page.waitForURL(/done=scheduled$/);
  assert.match(await page.locator('main').textContent(), /2099-06-01 09:30/);
  assert.equal(await page.locator('tr[data-target-state="scheduled"]').count(), 1);
  await expectAccessible(page, 'scheduled post');
  await shot(page, 'post-scheduled');

  // The demo's emergency post: published at once, its post-hoc report waits for him.
  await page.goto(`${base}/staff`);
  const report = page.locator('section[aria-labelledby="post-reports-heading"] tbody tr a').first();
  await report.click();
  await page.waitForURL(/\/staff\/posts\/[0-9a-f-]{36}$/);
  assert.match(await page.locator('main').textContent(), /大雨警報/);
  assert.equal(await page.locator('tr[data-target-state="published"] a').count(), 1, 'the published link');
  await page.locator('#acknowledge').waitFor();
  await expectAccessible(page, 'emergency post with its report open');
  await shot(page, 'post-emergency-report');
  await page.locator('#acknowledge').click();
  await page.waitForURL(/done=acknowledged$/);
  assert.equal(await page.locator('#acknowledge').count(), 0);
  await expectAccessible(page, 'emergency post acknowledged');

  // The other posts pages.
  await page.goto(`${base}/staff/posts`);
  await expectAccessible(page, 'post list');
  await shot(page, 'post-list');
  await page.goto(`${base}/staff/requests`);
  await expectAccessible(page, 'department requests');
  assert.deepEqual(problems, []);
  await context.close();
});

test('without JavaScript a saved draft shows its findings rendered by the server', { timeout: 120000 }, async () => {
  const { context, page, problems } = await openPage({ javaScriptEnabled: false });
  // Another drafter (a TOTP code is accepted once): 木村 花子 of the PR office.
  await signIn(page, '木村 花子');
  await page.goto(`${base}/staff/posts/new`);
  await page.getByRole('checkbox', { name: /@midori_city \(/ }).check();
  await page.locator('#text').fill(VIOLATION);
  await page.locator('#save').click();
  await page.waitForURL(/done=saved$/);
  assert.match(await page.locator('#findings').textContent(), /第6条\(1\)/);
  assert.ok((await page.locator('#post-text mark.sev-error').count()) >= 1);
  await page.locator('#edit-post').click();
  await page.waitForURL(/\/edit$/);
  assert.ok((await page.locator('#mirror mark.sev-error').count()) >= 1);
  assert.match(await page.locator('#findings').textContent(), /第6条\(1\)/);
  // axe runs in the page, so it cannot run here; the same markup was checked above.
  await shot(page, 'post-editor-nojs');
  assert.deepEqual(problems, []);
  await context.close();
});
