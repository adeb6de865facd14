import { describe, expect, it } from 'vitest';
import { runnerQueueOf, runnerQueuesFor } from './model.js';
import { conclusionOfJobs } from './service.js';

describe('runner queues', () => {
  it('a job goes to the queue of its label set; a worker serves every subset of its labels', () => {
    expect(runnerQueueOf(['x64', 'linux', 'linux'])).toBe('label:linux,x64');
    expect(runnerQueuesFor(['linux', 'x64'])).toEqual(['label:linux', 'label:x64', 'label:linux,x64']);
    expect(runnerQueuesFor(['linux', 'x64', 'self-hosted'])).toContain(runnerQueueOf(['self-hosted', 'linux', 'x64']));
    expect(runnerQueuesFor(['linux', 'x64'])).not.toContain(runnerQueueOf(['linux', 'gpu']));
  });
});

describe('a run conclusion', () => {
  it('is failure if a job failed, cancelled if one was, skipped if all were, else success', () => {
    expect(conclusionOfJobs(['success', 'skipped', 'failure', 'cancelled'])).toBe('failure');
    expect(conclusionOfJobs(['success', 'cancelled'])).toBe('cancelled');
    expect(conclusionOfJobs(['skipped', 'skipped'])).toBe('skipped');
    expect(conclusionOfJobs(['success', 'skipped'])).toBe('success');
  });
});
