import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from './uuid.js';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose text sorts by time, and unique within a millisecond', () => {
    const at = Date.UTC(2026, 10, 27, 16, 0, 0, 0);
    const first = timeOrderedUuid(at);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(first.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    const later = [at + 1, at + 1000, at + 86_400_000].map((t) => timeOrderedUuid(t));
    expect([...later].reverse().sort()).toEqual(later);
    expect(later.every((uuid) => uuid > first)).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(at))).size).toBe(1000);
  });
});
