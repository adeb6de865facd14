/**
 * Replaces every registered secret value with *** in text. Used on every log line and,
 * later, on pipeline and task logs. Short values (under 4 characters) are not masked: they
 * would garble ordinary text and are no secret worth the name.
 */
export interface SecretMasker {
  add(value: string | undefined | null): void;
  mask(text: string): string;
}

export const MASK = '***';

export function createSecretMasker(): SecretMasker {
  const values = new Set<string>();
  let pattern: RegExp | undefined;
  return {
    add(value) {
      if (!value || value.length < 4 || values.has(value)) return;
      values.add(value);
      // Also mask the forms a value takes in JSON logs and URLs.
      values.add(JSON.stringify(value).slice(1, -1));
      values.add(encodeURIComponent(value));
      const sorted = [...values].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
      pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
    },
    mask(text) {
      return pattern ? text.replace(pattern, MASK) : text;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
