import * as client from 'openid-client';
import type { PlinthConfig } from '../core/config.js';
import { PlinthError } from '../core/errors.js';

export interface OidcIdentity {
  subject: string;
  /** Login name: preferred_username, else the local part of the email, else the subject. */
  name: string;
  displayName?: string;
  email?: string;
}

export interface OidcLogin {
  /** The provider URL to send the browser to, and the state to keep in a cookie until it returns. */
  start(): Promise<{ url: string; state: string }>;
  finish(callbackUrl: URL, state: string): Promise<OidcIdentity>;
}

/** Authorization-code flow with PKCE through openid-client; discovery happens on first use. */
export function createOidcLogin(config: PlinthConfig): OidcLogin {
  const oidc = config.auth.oidc!;
  const redirectUri = oidc.redirectUrl ?? `${config.publicUrl}/api/auth/oidc/callback`;
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= client
      .discovery(new URL(oidc.issuer), oidc.clientId, oidc.clientSecret, undefined, {
        execute: oidc.issuer.startsWith('http://') ? [client.allowInsecureRequests] : [],
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw new PlinthError('AUTH_OIDC_FAILED', `cannot reach the OIDC issuer ${oidc.issuer}: ${(error as Error).message}`, { cause: error });
      });
    return discovered;
  };
  return {
    async start() {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, state: [state, nonce, verifier].join('.') };
    },
    async finish(callbackUrl, stored) {
      const [state, nonce, verifier] = stored.split('.');
      try {
        const tokens = await client.authorizationCodeGrant(await configuration(), callbackUrl, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
        const claims = tokens.claims();
        if (!claims) throw new Error('the provider returned no ID token');
        const email = typeof claims.email === 'string' ? claims.email : undefined;
        const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
        const name = (preferred ?? email?.split('@')[0] ?? claims.sub).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
        return { subject: claims.sub, name, displayName: typeof claims.name === 'string' ? claims.name : undefined, email };
      } catch (error) {
        if (error instanceof PlinthError) throw error;
        throw new PlinthError('AUTH_OIDC_FAILED', `OIDC login failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
