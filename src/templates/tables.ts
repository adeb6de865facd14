import type { Generated } from 'kysely';

/** Tables owned by templates/. */
export type TemplateTables = {
  template_tasks: DbTemplateTaskRow;
  template_task_events: DbTemplateTaskEventRow;
};

export type TaskStatus = 'open' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface DbTemplateTaskRow {
  id: string;
  template_ref: string;
  /** JSON TaskSpec; secret parameter values are left out (they are in `secrets`). */
  spec: string;
  /** SecretBox ciphertext of `{ secrets, parameters }` (the hidden ones), null when there are none or the task completed. */
  secrets: string | null;
  status: TaskStatus;
  created_by: string;
  created_at: number;
  last_heartbeat_at: number | null;
  /** JSON StepState[]. */
  steps: string;
  output: string | null;
  error: string | null;
  job_id: number | null;
}

export interface DbTemplateTaskEventRow {
  id: Generated<number>;
  task_id: string;
  type: 'log' | 'completion' | 'cancelled';
  /** JSON { message, stepId?, status?, output?, error? }, masked. */
  body: string;
  created_at: number;
}
