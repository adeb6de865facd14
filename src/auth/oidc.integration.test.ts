import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import Provider from 'oidc-provider';
import type { FastifyInstance } from 'fastify';
import { sqliteDatabase } from '../../test/support/databases.js';
import { createTestPlatform, type TestPlatform } from '../../test/support/platform.js';
import { buildApp } from '../server/app.js';
import { authDb, getUser } from './users.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must run the OIDC login test`);
if (!hasChromium) console.warn(`\n!!! ${CHROMIUM} is missing: the OIDC login test is SKIPPED\n`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * OIDC login against a real OpenID Provider (node-oidc-provider, certified), driven through its
 * login and consent pages in Chromium, as a person would.
 */
describe.skipIf(!hasChromium)('OIDC login', () => {
  let provider: Server;
  let t: TestPlatform;
  let app: FastifyInstance;
  let browser: Browser;
  let plinthUrl: string;

  beforeAll(async () => {
    const providerPort = await freePort();
    const plinthPort = await freePort();
    plinthUrl = `http://127.0.0.1:${plinthPort}`;
    const issuer = `http://127.0.0.1:${providerPort}`;
    const oidc = new Provider(issuer, {
      clients: [{ client_id: 'plinth', client_secret: 'plinth-client-secret', redirect_uris: [`${plinthUrl}/api/auth/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
      claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
      conformIdTokenClaims: false,
      async findAccount(_ctx, id) {
        return { accountId: id, claims: async () => ({ sub: `sub-${id}`, preferred_username: id, email: `${id}@example.com`, name: 'Erin Example' }) };
      },
    });
    provider = oidc.listen(providerPort);
    t = await createTestPlatform(sqliteDatabase, (config) => {
      config.publicUrl = plinthUrl;
      config.auth.oidc = { issuer, clientId: 'plinth', clientSecret: 'plinth-client-secret', defaultRole: 'member' };
    });
    app = await buildApp(t.platform);
    await app.listen({ host: '127.0.0.1', port: plinthPort });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
    provider?.close();
  });

  it('logs a new user in through the provider and starts a session', async () => {
    const providers = await (await fetch(`${plinthUrl}/api/auth/providers`)).json();
    expect(providers).toMatchObject({ oidc: true });
    const page = await browser.newPage();
    await page.goto(`${plinthUrl}/api/auth/oidc/login`);
    await page.fill('input[name="login"]', 'erin');
    await page.fill('input[name="password"]', 'anything');
    await page.click('button[type="submit"]');
    await page.click('button[type="submit"]'); // consent
    await page.waitForURL(`${plinthUrl}/`);
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
    expect(me.actor).toMatchObject({ type: 'user', name: 'erin', displayName: 'Erin Example', role: 'member' });
    const cookies = await page.context().cookies(plinthUrl);
    expect(cookies.find((c) => c.name === 'plinth_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await getUser(authDb(t.platform.store), 'erin')).toMatchObject({ email: 'erin@example.com', role: 'member' });
  });

  it('refuses a callback that was not started here', async () => {
    const res = await fetch(`${plinthUrl}/api/auth/oidc/callback?code=forged&state=x`);
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe('AUTH_OIDC_FAILED');
  });
});
