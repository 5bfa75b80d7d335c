import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSigningKey } from '../../src/audit/checkpoint.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

const CLI = fileURLToPath(new URL('../../src/bin/fingate.js', import.meta.url));
const chromium = (process.env.CHROMIUM ? [process.env.CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((path) => existsSync(path));
const needsChromium = chromium ? '' : ' (skipped: no chromium binary; apt-get install -y chromium, or set CHROMIUM)';

/** `fingate start --memory` as an operator runs it, with a small demo; resolves with its endpoint. */
async function startCli(env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, 'start', '--memory'], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, FINGATE_DEMO_CUSTOMERS: '20', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // the tokens are printed after the serving line; the last one is the auditor's
      const match = /fingate serving (http:\/\/\S+\/graphql)/.exec(output);
      if (match && (env.NODE_ENV === 'production' || /auditor[^\n]*:\n\s+Authorization/.test(output))) resolve(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`fingate exited (${code}) before serving:\n${output}`)));
  });
  return {
    url,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('GraphiQL in a browser with no internet', () => {
  let gateway: Awaited<ReturnType<typeof startCli>> | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!chromium) return;
    gateway = await startCli({});
    browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it.skipIf(!chromium)(`opens with the compliance token and a purpose, runs a query and shows the result, loading nothing from outside${needsChromium}`, async () => {
    const page = await browser!.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const outside: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') return void request.continue();
      outside.push(request.url());
      void request.abort('internetdisconnected');
    });

    try {
      // a link to GraphiQL with a query in it, as a colleague would send one; then Run
      const query = '{ customers(first: 2) { totalCount edges { node { name } } } }';
      await page.goto(`${gateway!.url}?query=${encodeURIComponent(query)}`, { waitUntil: 'load' });
      const run = await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
      await page.waitForFunction((q) => document.querySelector('.graphiql-query-editor')?.textContent?.replaceAll('\u00a0', ' ').includes(q), { polling: 100 }, query);
      const answered = page.waitForResponse((response) => response.request().method() === 'POST' && /customers\(first: ?2\)/.test(response.request().postData() ?? ''));
      await run!.click();
      const response = await answered;

      const sent = response.request().headers();
      const tokenLine = /compliance[^\n]*:\n\s+Authorization: (Bearer \S+)/.exec(gateway!.output())![1];
      expect(sent.authorization).toBe(tokenLine);
      expect(sent['x-access-purpose']).toBe('risk-control');
      const body = await response.json();
      expect(body.errors).toBeUndefined();
      expect(body.data.customers.totalCount).toBe(20);
      // names are readable under risk-control: the purpose header did reach the gateway
      expect(body.data.customers.edges.map((e: any) => typeof e.node.name)).toEqual(['string', 'string']);

      // and the result is on screen (the editor renders spaces as no-break spaces)
      await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.replaceAll('\u00a0', ' ').includes('"totalCount": 20'), { polling: 100, timeout: 15_000 });
    } finally {
      // a page that reaches for a CDN also fails above (it never renders): this names the culprit
      expect(outside, 'requests that tried to leave the machine').toEqual([]);
    }
  });
});

describe('GraphiQL assets and production', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ customers: 0, graphiql: { headers: '{}' } });
  });
  afterAll(() => gw?.close());

  it('serves a page that names no external URL, and the assets it names', async () => {
    const html = await (await fetch(gw.url, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('YogaGraphiQL');
    expect(html).not.toMatch(/(src|href)="?(https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(3);
    for (const path of [...assets, ...['editorWorkerService', 'json', 'graphql'].map((label) => assets[0]!.replace(/[^/]+$/, `${label}.worker.js`))]) {
      const response = await fetch(new URL(path, gw.url));
      expect(response.status, path).toBe(200);
      expect((await response.arrayBuffer()).byteLength, path).toBeGreaterThan(1000);
    }
  });

  it('is off in production: no page at /graphql and no assets', async () => {
    const production = await startCli({ NODE_ENV: 'production', GATEWAY_JWT_SECRET: 'a-real-secret-of-at-least-32-characters!!', FINGATE_AUDIT_SIGNING_KEY: newSigningKey() });
    try {
      const page = await fetch(production.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toContain('YogaGraphiQL');
      const assetPath = (await (await fetch(gw.url, { headers: { accept: 'text/html' } })).text()).match(/src="(\/graphiql\/[^"]+)"/)![1]!;
      expect((await fetch(new URL(assetPath, production.url))).status).toBe(404);
    } finally {
      await production.stop();
    }
  });
});
