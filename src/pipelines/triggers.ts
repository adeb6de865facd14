import { CronExpressionParser } from 'cron-parser';
import type { Logger } from '../core/logger.js';
import { subscribeToEvents } from '../store/events.js';
import { enqueueJob } from '../store/queue/jobs.js';
import type { JobHandler } from '../store/queue/worker.js';
import * as engine from './engine/index.js';
import { changedPaths, readWorkflowFiles, resolveRef, type WorkflowFile } from './repository-source.js';
import type { RunView } from './model.js';
import { deleteExpiredArtifacts } from './run-storage.js';
import { deleteExpiredLogLines } from './log-store.js';
import type { PipelineService } from './service.js';

/** The recurring queue job that fires `schedule` triggers; one per cluster (unique key). */
export const SCHEDULE_TICK_JOB = 'pipelines:schedule-tick';
const TICK_MS = 60_000;

export interface PushEvent {
  repository: string;
  ref: string;
  before: string;
  after: string;
  pusher: string;
}

/** Starts the runs a push selects: every workflow at the pushed commit whose push filters match. */
export async function startRunsForPush(service: PipelineService, push: PushEvent, triggerKey: string): Promise<RunView[]> {
  if (/^0+$/.test(push.after)) return []; // A deleted branch runs nothing.
  const gitDir = await service.deps.sources.gitDirOf(push.repository);
  const files = await readWorkflowFiles(gitDir, push.after);
  if (files.length === 0) return [];
  const paths = await changedPaths(gitDir, push.before, push.after);
  return service.createRunsForWorkflows(
    {
      repository: push.repository,
      sha: push.after,
      ref: push.ref,
      event: 'push',
      eventPayload: { ref: push.ref, before: push.before, after: push.after, pusher: { name: push.pusher }, repository: { full_name: push.repository } },
      actor: push.pusher,
    },
    files,
    (workflow) => engine.matchesPushEvent(workflow, { ref: push.ref, changedPaths: paths }),
    (file) => `${triggerKey}:${file.path}`,
  );
}

/**
 * Reacts to `git:pushed` from hosted repositories (every serving replica subscribes; the
 * trigger key makes a twice-delivered push one run) and keeps the schedule ticking.
 */
export async function startPipelineTriggers(service: PipelineService, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const pushes = await subscribeToEvents(
    service.deps.store,
    'pipelines:runs-on-push',
    async (event) => {
      const payload = event.payload as PushEvent;
      try {
        await startRunsForPush(service, payload, `push:${event.seq}`);
      } catch (error) {
        // A push that cannot start runs (repository deleted since) must not stop the subscriber.
        logger.warn({ err: error, repository: payload.repository, ref: payload.ref }, 'could not start pipeline runs for a push');
      }
    },
    { types: ['git:pushed'], onError: (error) => logger.warn({ err: error }, 'pipeline push subscriber failed') },
  );
  await scheduleNextTick(service);
  return { stop: () => pushes.stop() };
}

async function scheduleNextTick(service: PipelineService): Promise<void> {
  const next = (Math.floor(Date.now() / TICK_MS) + 1) * TICK_MS;
  await enqueueJob(service.deps.store, { type: SCHEDULE_TICK_JOB, uniqueKey: SCHEDULE_TICK_JOB, runAt: next, maxAttempts: 3 });
}

/** Fires every `schedule` cron of every repository's default branch that fell in the last minute. */
export async function fireSchedules(service: PipelineService, now: number, logger?: Logger): Promise<RunView[]> {
  const windowEnd = Math.floor(now / TICK_MS) * TICK_MS;
  const windowStart = windowEnd - TICK_MS;
  const started: RunView[] = [];
  for (const repository of await service.deps.sources.listRepositories()) {
    try {
      const gitDir = await service.deps.sources.gitDirOf(repository);
      const head = await resolveRef(gitDir, await service.deps.sources.defaultBranchOf(repository)).catch(() => undefined);
      if (!head) continue;
      for (const { file, cron } of await schedulesAt(repository, gitDir, head.sha)) {
        const fire = lastFireIn(cron, windowStart, windowEnd);
        if (fire === undefined) continue;
        const { run, created } = await service.createRun({ repository, workflow: file, sha: head.sha, ref: head.ref, event: 'schedule', eventPayload: { schedule: cron }, actor: 'system:schedule', triggerKey: `schedule:${repository}:${file.path}:${cron}:${fire}` });
        if (created) started.push(run);
      }
    } catch (error) {
      logger?.warn({ err: error, repository }, 'could not fire the schedules of a repository');
    }
  }
  return started;
}

// The schedules of each repository's default branch head: read again only when the head moves.
const schedulesByRepository = new Map<string, { sha: string; schedules: Array<{ file: WorkflowFile; cron: string }> }>();

async function schedulesAt(repository: string, gitDir: string, sha: string): Promise<Array<{ file: WorkflowFile; cron: string }>> {
  const known = schedulesByRepository.get(repository);
  if (known?.sha === sha) return known.schedules;
  const schedules: Array<{ file: WorkflowFile; cron: string }> = [];
  for (const file of await readWorkflowFiles(gitDir, sha)) {
    const workflow = await engine.parseWorkflowFile(file.text, file.path).catch(() => undefined);
    for (const cron of (workflow && engine.workflowTriggers(workflow).schedule) || []) schedules.push({ file, cron });
  }
  schedulesByRepository.set(repository, { sha, schedules });
  return schedules;
}

/** The fire time of a cron expression in (start, end], in UTC, if any. */
function lastFireIn(cron: string, start: number, end: number): number | undefined {
  try {
    const fire = CronExpressionParser.parse(cron, { currentDate: new Date(end + 1), tz: 'UTC' }).prev().getTime();
    return fire > start && fire <= end ? fire : undefined;
  } catch {
    return undefined;
  }
}

export function scheduleTickHandler(service: PipelineService, logger: Logger): JobHandler {
  return {
    type: SCHEDULE_TICK_JOB,
    run: async () => {
      try {
        await fireSchedules(service, Date.now(), logger);
        await deleteExpiredArtifacts(service);
        await deleteExpiredLogLines(service.db, Date.now() - service.deps.config.logRetentionDays * 86_400_000);
      } finally {
        // The next tick is queued whatever happened to this one, or schedules would stop.
        await scheduleNextTick(service);
      }
    },
  };
}
