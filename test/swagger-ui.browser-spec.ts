import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { TestApp, testConfig, tokenFor } from './harness.js';

/*
 * Swagger UI as a person uses it, in Debian's Chromium (headless): open /docs, Authorize with a
 * token, then "Try it out" → Execute with the pre-filled values only, on a fresh service:
 * create namespace, project and collection (201 each), then list the collection's members (200,
 * and nothing pre-filled in the query), all under the Content-Security-Policy /docs is served with:
 * no violation reported, no error in the console. `npm run test:browser`; .ci/run installs chromium.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const found = existsSync(CHROMIUM);
if (!found) {
  console.warn(
    `SKIPPED: Swagger UI browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

/** What the test reads in the page (the tests compile without the DOM's types). */
interface InPage {
  cspViolations: string[];
  document: {
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (event: {
        effectiveDirective: string;
        blockedURI: string;
        sourceFile: string;
        lineNumber: number;
      }) => void,
    ): void;
  };
}

/**
 * Clicks a control once it is shown: each one appears only after the one before it has been handled
 * (a block opens, then its form), so clicking at once may find nothing rendered yet.
 */
async function click(page: Page, selector: string): Promise<void> {
  await (await page.waitForSelector(selector, { visible: true }))!.click();
}

/** What Swagger UI shows after Execute: the status of the live response and the request URL it sent. */
async function tryItOut(page: Page, operationId: string): Promise<{ status: string; url: string; body: string }> {
  const block = `[id$="-${operationId}"]`;
  await click(page, `${block} .opblock-summary-control`);
  await click(page, `${block} .try-out__btn`);
  await click(page, `${block} .execute`);
  const status = `${block} .live-responses-table tr.response .response-col_status`;
  await page.waitForSelector(status, { timeout: 15_000 });
  const text = (selector: string) => page.$eval(selector, (element) => element.textContent?.trim() ?? '');
  return {
    status: await text(status),
    url: await text(`${block} .request-url pre`),
    body: await text(`${block} .live-responses-table tr.response .response-col_description pre`),
  };
}

(found ? describe : describe.skip)('Swagger UI in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const profile = mkdtempSync(join(tmpdir(), 'dreamlake-chromium-'));

  beforeAll(async () => {
    // The examples name namespace 'acme': a fresh embedded database, whatever DATABASE_URL says.
    t = await TestApp.start(testConfig({ DATABASE_URL: 'memory://' }));
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: false, // the flag is given below, as Debian's chromium takes it
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('authorizes with a token and runs Try it out as pre-filled: creates, then lists members', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    // Every CSP violation the page reports (the event carries what was blocked), and every console error.
    await page.evaluateOnNewDocument(() => {
      const page = globalThis as unknown as InPage;
      page.cspViolations = [];
      page.document.addEventListener('securitypolicyviolation', (event) =>
        page.cspViolations.push(
          `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
        ),
      );
    });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    const docs = await page.goto(`${base}/docs`, { waitUntil: 'networkidle0' });
    expect(docs?.headers()['content-security-policy']).toContain("script-src 'self'");

    await click(page, '.auth-wrapper .authorize');
    await (await page.waitForSelector('.modal-ux .auth-container input', { visible: true }))!.type(
      tokenFor('swagger-user'),
    );
    await click(page, '.modal-ux .auth-btn-wrapper .authorize');
    await click(page, '.modal-ux .btn-done');

    const namespace = await tryItOut(page, 'NamespacesController_create');
    expect({ status: namespace.status, url: namespace.url }).toEqual({ status: '201', url: `${base}/namespaces` });
    expect(JSON.parse(namespace.body)).toMatchObject({ slug: 'acme', name: 'Acme Robotics' });

    const project = await tryItOut(page, 'ProjectsController_create');
    expect({ status: project.status, url: project.url }).toEqual({
      status: '201',
      url: `${base}/namespaces/acme/projects`,
    });
    expect(JSON.parse(project.body)).toMatchObject({ name: 'Robotics', slug: 'robotics' });

    const collection = await tryItOut(page, 'CollectionsController_create');
    expect(collection.status).toBe('201');
    expect(JSON.parse(collection.body)).toMatchObject({ name: 'front-camera-clips', datasetId: null, memberCount: 3 });

    // The member listing sends no query at all as pre-filled: the page form with its defaults.
    const members = await tryItOut(page, 'CollectionsController_listMembers');
    expect({ status: members.status, url: members.url }).toEqual({
      status: '200',
      url: `${base}/namespaces/acme/projects/robotics/collections/front-camera-clips/members`,
    });
    expect(JSON.parse(members.body)).toMatchObject({ page: 1, pageSize: 50, total: 3, totalPages: 1 });

    const violations = await page.evaluate(() => (globalThis as unknown as InPage).cspViolations);
    expect({ violations, consoleErrors }).toEqual({ violations: [], consoleErrors: [] });
  });
});
