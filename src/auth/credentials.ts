import { createHash, randomBytes } from 'node:crypto';

/** API tokens look like `plinth_<43 base64url chars>`; the prefix makes leaked tokens easy to find. */
export const TOKEN_PREFIX = 'plinth_';
export const TOKEN_PATTERN = /plinth_[A-Za-z0-9_-]{20,}/g;

export function generateSecretValue(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Tokens and session ids are stored only as this hash. */
export function hashCredential(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
