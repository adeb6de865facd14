import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { PlinthError } from '../core/errors.js';

/** AES-256-GCM with a 96-bit random IV per value. Stored as `v1:<iv>:<tag>:<ciphertext>` (base64). */
export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
}

const KEY_FILE = 'secret.key';

/**
 * The key comes from PLINTH_SECRET_KEY (32 bytes as base64 or hex) or, when unset, from a key
 * file generated in the data dir with mode 0600 on first start.
 */
export function loadSecretKey(options: { secretKey?: string; dataDir: string }): Buffer {
  if (options.secretKey) return parseKey(options.secretKey, 'PLINTH_SECRET_KEY');
  const file = path.join(options.dataDir, KEY_FILE);
  if (existsSync(file)) return parseKey(readFileSync(file, 'utf8').trim(), file);
  mkdirSync(options.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

function parseKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new PlinthError('SECRETS_KEY_INVALID', `${source} must be 32 bytes as base64 or 64 hex digits (got ${key.length} bytes); generate one with: openssl rand -base64 32`, {
      location: { field: source },
    });
  }
  return key;
}

export function createSecretBox(key: Buffer): SecretBox {
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
    },
    decrypt(stored) {
      const [version, iv, tag, ciphertext] = stored.split(':');
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined) {
        throw new PlinthError('SECRETS_DECRYPT_FAILED', 'stored secret is not in the v1 format');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new PlinthError('SECRETS_DECRYPT_FAILED', 'secret could not be decrypted: wrong key, or the value was altered', { cause: error });
      }
    },
  };
}
