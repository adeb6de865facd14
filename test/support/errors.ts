import { PlinthError } from '../../src/core/errors.js';

/** The PlinthError `fn` throws; anything else (or nothing) fails the test. */
export function plinthErrorOf(fn: () => unknown): PlinthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PlinthError) return error;
    throw error;
  }
  throw new Error('expected a PlinthError');
}
