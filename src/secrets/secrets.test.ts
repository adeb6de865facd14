import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, loadSecretKey } from './crypto.js';
import { createSecretMasker } from './masking.js';

describe('secret box', () => {
  it('round-trips values and never repeats a ciphertext', () => {
    const box = createSecretBox(randomBytes(32));
    const a = box.encrypt('s3cret-password');
    const b = box.encrypt('s3cret-password');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(box.decrypt(a)).toBe('s3cret-password');
  });

  it('refuses a value encrypted with another key or altered', () => {
    const stored = createSecretBox(randomBytes(32)).encrypt('value');
    expect(() => createSecretBox(randomBytes(32)).decrypt(stored)).toThrow(/wrong key, or the value was altered/);
    const box = createSecretBox(randomBytes(32));
    const altered = box.encrypt('value').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(() => box.decrypt(altered)).toThrow(/could not be decrypted/);
  });

  it('generates a key file readable only by its owner, and reuses it', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-key-'));
    const key = loadSecretKey({ dataDir });
    expect(statSync(path.join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ dataDir }).equals(key)).toBe(true);
  });

  it('takes PLINTH_SECRET_KEY as base64 or hex, and rejects a short one clearly', () => {
    const raw = randomBytes(32);
    expect(loadSecretKey({ dataDir: '/nonexistent', secretKey: raw.toString('base64') }).equals(raw)).toBe(true);
    expect(loadSecretKey({ dataDir: '/nonexistent', secretKey: raw.toString('hex') }).equals(raw)).toBe(true);
    expect(() => loadSecretKey({ dataDir: '/nonexistent', secretKey: 'short' })).toThrow(/PLINTH_SECRET_KEY must be 32 bytes/);
  });
});

describe('secret masker', () => {
  it('replaces every registered value, also JSON- and URL-encoded', () => {
    const masker = createSecretMasker();
    masker.add('p@ss"word');
    masker.add('abc');
    expect(masker.mask('login p@ss"word ok')).toBe('login *** ok');
    expect(masker.mask(JSON.stringify({ password: 'p@ss"word' }))).toBe('{"password":"***"}');
    expect(masker.mask(`https://x?p=${encodeURIComponent('p@ss"word')}`)).toBe('https://x?p=***');
    // Values under four characters would garble ordinary text: not masked.
    expect(masker.mask('abc')).toBe('abc');
  });
});
