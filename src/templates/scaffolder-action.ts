import type { JsonSchema, TemplateEntity } from './template-spec.js';

/** Where the running template came from: fetch actions resolve relative URLs against it. */
export interface TemplateInfo {
  entityRef: string;
  /**
   * The template file: an absolute path, or `<repo>.git/blob/<branch>/<path>`, or an http(s)
   * URL; undefined for a template given inline (dry-run), whose relative URLs then point into
   * the dry-run's directoryContents.
   */
  source?: string;
  entity: TemplateEntity;
}

export interface ActionContext<Input = Record<string, unknown>> {
  input: Input;
  /** The task workspace: every file the template writes stays under it. */
  workspacePath: string;
  templateInfo: TemplateInfo;
  user: { ref: string; entity?: unknown };
  secrets: Record<string, string>;
  taskId: string;
  stepId: string;
  /** True in a dry run: actions with side effects outside the workspace only say what they would do. */
  isDryRun: boolean;
  signal: AbortSignal;
  log(message: string): void;
  output(name: string, value: unknown): void;
  /** A fresh directory outside the workspace, removed when the task ends. */
  createTemporaryDirectory(): Promise<string>;
}

/** One action templates call from a step (`action: fetch:template`). */
export interface ScaffolderAction<Input = any> {
  id: string;
  description: string;
  schema: { input: JsonSchema; output?: JsonSchema };
  /** Runs in a dry run too (it only touches the workspace, or simulates itself when ctx.isDryRun). */
  supportsDryRun: boolean;
  handler(context: ActionContext<Input>): Promise<void>;
}

/** What GET /api/scaffolder/v2/actions lists. */
export interface ActionView {
  id: string;
  description: string;
  schema: { input: JsonSchema; output: JsonSchema };
}

export function toActionView(action: ScaffolderAction): ActionView {
  return { id: action.id, description: action.description, schema: { input: action.schema.input, output: action.schema.output ?? { type: 'object', properties: {} } } };
}
