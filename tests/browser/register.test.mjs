// Browser test of the register's staff screens, the audit log viewer and the public
// archive (koho serve --demo, みどり市): the section chief applies for an account (with the
// comparison with existing accounts), the PR office chief approves it, publishes its
// operation policy and starts it, and the account appears on the public list of official
// accounts; the auditor-side audit log viewer shows the hash-chain verification; people
// and API tokens; the archive of posts, on a phone and printed. axe-core must find no WCAG
// 2.0/2.1 A or AA violation on any page. Screenshots go to screenshots/register-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, CHROMIUM_ARGS, SHOTS, demoLogin, expectAccessible, freshTotp, kohoBinary, shot, startServer, totp,
} from './support.mjs';

let server;
let browser;
let base;

test('the TOTP of this test matches RFC 6238', () => {
  // RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 → the last six digits.
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59000), '287082');
});

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

async function signIn(page, name) {
  const who = demoLogin(server.printed, name);
  await page.goto(`${base}/login`);
  await page.getByLabel('メールアドレス').fill(who.email);
  await page.getByLabel('パスワード').fill(who.password);
  // The same person signs in twice in this file: never with a code already used.
  await page.getByLabel('確認コード（6桁）').fill(await freshTotp(who.secret));
  await page.getByRole('button', { name: 'サインイン' }).click();
  await page.waitForURL(`${base}/staff`);
}

async function signOut(page) {
  // The sign-out button is in the staff menu, which public and error pages do not have.
  await page.goto(`${base}/staff`);
  await page.getByRole('button', { name: 'サインアウト' }).click();
  await page.waitForURL(/\/login/);
}

function watch(page) {
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

test('apply as the section chief, approve, publish the policy, start: listed in public', { timeout: 240000 }, async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const problems = watch(page);

  // The section chief of 危機管理課 (みどり市 opening.applicant) applies.
  await signIn(page, '山本 健');
  await page.getByRole('link', { name: '公式アカウント', exact: true }).first().click();
  await page.waitForURL(`${base}/staff/accounts`);
  await expectAccessible(page, 'staff accounts');
  await shot(page, 'register-accounts');
  await page.locator('#apply-link').click();
  await page.waitForURL(`${base}/staff/applications/new`);
  await expectAccessible(page, 'application form');
  await page.locator('#apply-platform').selectOption('instagram');
  await page.locator('#apply-handle').fill('midori_bousai_photo');
  await page.locator('#apply-display-name').fill('みどり市防災フォト');
  await page.locator('#apply-manager').selectOption({ label: '佐藤 翼' });
  await page.locator('#apply-purpose').fill('災害時の避難情報と防災訓練の様子を写真で届ける');
  await page.locator('#apply-content').fill('防災訓練\n避難情報');
  await page.locator('#apply-plan').fill('月に2回、訓練の写真を投稿する');
  // Compare with the existing accounts: @midori_bousai is about the same matters.
  await page.locator('#apply-compare').click();
  await page.locator('#overlaps').waitFor();
  assert.match(await page.locator('#overlaps').textContent(), /@midori_bousai/);
  assert.notEqual(await page.locator('#apply-policy').inputValue(), '', 'the policy is drafted from the template');
  await expectAccessible(page, 'application form compared');
  await shot(page, 'register-apply-compared');
  await page.locator('#apply-submit').click();
  await page.waitForURL(/\/staff\/applications\/[0-9a-f-]+\?done=applied$/);
  const applicationUrl = page.url().replace(/\?done=applied$/, '');
  assert.equal(await page.locator('#application-status').textContent(), '審査中');
  await expectAccessible(page, 'application filed');
  await shot(page, 'register-applied');
  await signOut(page);

  // The PR office chief (みどり市 opening.approver) approves it.
  await signIn(page, '緑川 一郎');
  await page.goto(applicationUrl);
  await page.locator('#approve').click();
  await page.waitForURL(/done=approved/);
  assert.equal(await page.locator('#application-status').textContent(), '承認済み');
  await page.getByRole('link', { name: 'このアカウントの詳細' }).click();
  await page.getByRole('link', { name: 'アカウントの手続き' }).click();
  await page.waitForURL(/\/manage$/);
  await expectAccessible(page, 'account procedures');
  await shot(page, 'register-manage');
  // Publish the policy version drafted at the approval, then start the account.
  await page.locator('#policy-link').click();
  await page.waitForURL(/\/policy$/);
  await expectAccessible(page, 'operation policy');
  await shot(page, 'register-policy');
  await page.locator('#publish-1').click();
  await page.waitForURL(/done=published/);
  await page.getByRole('link', { name: 'アカウントの手続き' }).click();
  await page.locator('#activate').click();
  await page.waitForURL(/done=activated/);
  assert.match(await page.locator('#account-state').textContent(), /運用中/);
  await expectAccessible(page, 'account started');

  // On the public list of official accounts.
  await page.goto(`${base}/official-accounts`);
  assert.match(await page.locator('#register').textContent(), /midori_bousai_photo/);
  await expectAccessible(page, 'public register');
  await shot(page, 'register-public');
  await signOut(page);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the audit log viewer shows the verification and filters', { timeout: 180000 }, async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, '井上 由美');
  await page.getByRole('link', { name: '監査ログ' }).first().click();
  await page.waitForURL(`${base}/staff/audit`);
  assert.match(await page.locator('#audit-verify-text').textContent(), /改ざんされていません/);
  assert.ok((await page.locator('#audit-log tbody tr').count()) > 0);
  await expectAccessible(page, 'audit log');
  await shot(page, 'register-audit');
  await page.locator('#audit-action').fill('person.');
  await page.locator('#audit-search').click();
  await page.waitForURL(/action=person\./);
  const actions = await page.locator('#audit-log tbody code:not(.audit-hash)').allTextContents();
  assert.ok(actions.length > 0 && actions.every((a) => a.startsWith('person.')), actions.join(', '));
  await expectAccessible(page, 'audit log filtered');
  await shot(page, 'register-audit-filtered');
  // The auditor manages no people.
  const res = await page.goto(`${base}/staff/people`);
  assert.equal(res.status(), 403);
  await expectAccessible(page, 'refusal page');
  await signOut(page);
  assert.deepEqual(problems.filter((p) => !/status of 403/.test(p)), []);
  await context.close();
});

test('people and API tokens: the secret is shown once', { timeout: 180000 }, async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, '緑川 一郎');
  await page.goto(`${base}/staff/people`);
  await expectAccessible(page, 'people');
  await shot(page, 'register-people');
  await page.goto(`${base}/staff/tokens`);
  await expectAccessible(page, 'tokens');
  await page.locator('#token-name').fill('reiki-system');
  const me = await page.locator('#token-person option', { hasText: '緑川 一郎' }).getAttribute('value');
  await page.locator('#token-person').selectOption(me);
  await page.locator('#token-role').selectOption('pr-office-chief');
  await page.locator('#token-issue').click();
  await page.locator('#token-secret').waitFor();
  const secret = await page.locator('#token-secret').textContent();
  assert.match(secret, /^koho_midori\./);
  await expectAccessible(page, 'token issued');
  await shot(page, 'register-token-issued');
  await page.goto(`${base}/staff/tokens`);
  assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
  await signOut(page);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the archive of posts: accessible, on a phone and printed', { timeout: 120000 }, async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const problems = watch(page);
  const res = await page.goto(`${base}/archive`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['cache-control'], /^public/);
  assert.ok(res.headers().etag);
  // koho serve --demo publishes two posts of みどり市防災 and a correction of one (besides
  // the demo register's emergency post): the correction links its original, which is
  // marked corrected and kept (みどり市 第11条).
  const total = await page.locator('#archive > li').count();
  assert.ok(total >= 3, `${total} posts in the archive`);
  const correction = page.locator('.archive__entry--correction');
  await correction.locator('a[href^="#post-"]').first().click();
  const original = page.locator('.archive__entry--corrected');
  assert.match(await original.textContent(), /「訂正済み」と明示して/);
  assert.equal(await original.evaluate((el) => el.matches(':target')), true, 'the link leads to the original');
  await expectAccessible(page, 'archive');
  await shot(page, 'register-archive');
  const filtered = await page.goto(`${base}/archive?account=${encodeURIComponent('x:@midori_bousai')}`);
  assert.equal(filtered.status(), 200);
  const shown = await page.locator('#archive > li').count();
  assert.ok(shown >= 3 && shown <= total, `${shown} of ${total} posts on @midori_bousai`);
  await page.goto(`${base}/archive`);
  await page.setViewportSize({ width: 375, height: 740 });
  await expectAccessible(page, 'archive on a phone');
  await shot(page, 'register-archive-phone');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.archive-filter').isVisible(), false, 'no filter form on paper');
  await shot(page, 'register-archive-print');
  assert.deepEqual(problems, []);
  await context.close();
});
