/**
 * The one adapter over @actions/workflow-parser and @actions/expressions (pinned 0.3.61).
 *
 * workflow-parser's dist imports its schema JSON without `with { type: 'json' }`, which Node 20
 * and 24 both refuse. A resolve hook (registered once, before the dynamic import) adds the json
 * import attribute for that package's .json files only; no bundle, no build step.
 */
import { register } from 'node:module';
import { Evaluator, Lexer, Parser, data, ExpressionError } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { falsy } from '@actions/expressions/result';
import type { parseWorkflow as ParseWorkflowFn, convertWorkflowTemplate as ConvertFn, NoOperationTraceWriter as TraceWriterClass } from '@actions/workflow-parser';

const JSON_ATTRIBUTE_HOOK = `export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes('/@actions/workflow-parser/') && resolved.url.endsWith('.json')) {
    return { ...resolved, format: 'json', importAttributes: { ...context.importAttributes, type: 'json' } };
  }
  return resolved;
}`;

interface WorkflowParserModule {
  parseWorkflow: typeof ParseWorkflowFn;
  convertWorkflowTemplate: typeof ConvertFn;
  NoOperationTraceWriter: typeof TraceWriterClass;
}

let parserModule: Promise<WorkflowParserModule> | undefined;

function loadWorkflowParser(): Promise<WorkflowParserModule> {
  if (!parserModule) {
    register(`data:text/javascript,${encodeURIComponent(JSON_ATTRIBUTE_HOOK)}`);
    // A variable specifier keeps bundlers/vite from inlining it; Node resolves it through the hook.
    const specifier = '@actions/workflow-parser';
    parserModule = import(specifier) as Promise<WorkflowParserModule>;
  }
  return parserModule;
}

/** One finding of the workflow parser: the message without its location prefix, and where. */
export interface ParserProblem {
  message: string;
  line?: number;
  column?: number;
}

/**
 * Schema-validates a workflow and runs the converter's checks (job ids, needs, cycles, matrix).
 * Returns every problem; an empty list means the workflow is valid.
 */
export async function validateWorkflowText(text: string, fileName: string): Promise<ParserProblem[]> {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await loadWorkflowParser();
  const parsed = parseWorkflow({ name: fileName, content: text }, new NoOperationTraceWriter());
  const problems = parsed.context.errors.getErrors();
  if (problems.length === 0 && parsed.value) {
    await convertWorkflowTemplate(parsed.context, parsed.value);
  }
  return parsed.context.errors.getErrors().map((problem) => ({
    message: problem.rawMessage,
    line: problem.range?.start.line,
    column: problem.range?.start.column,
  }));
}

/** A plain JSON-like value as contexts hold them. */
export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };

export function toExpressionData(value: unknown): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
}

export function fromExpressionData(value: data.ExpressionData): PlainValue {
  return JSON.parse(JSON.stringify(value, data.replacer) ?? 'null') as PlainValue;
}

export function isTruthy(value: data.ExpressionData): boolean {
  return !falsy(value);
}

export function coerceToString(value: data.ExpressionData): string {
  return value.coerceString();
}

/** A function the engine adds to the language (status functions, hashFiles). */
export interface ExtraFunction {
  name: string;
  minArgs: number;
  maxArgs: number;
  call: (...args: data.ExpressionData[]) => data.ExpressionData;
}

export class ExpressionSyntaxError extends Error {}

/**
 * Evaluates one expression (without `${{ }}`) against `contexts`. Unknown context names and
 * functions are syntax errors, as on GitHub.
 */
export function evaluateExpression(expression: string, contexts: Record<string, unknown>, functions: ExtraFunction[] = []): data.ExpressionData {
  if (expression.trim() === '') return new data.Null();
  let tree;
  try {
    const lexed = new Lexer(expression).lex();
    tree = new Parser(lexed.tokens, Object.keys(contexts), functions).parse();
  } catch (error) {
    if (error instanceof ExpressionError) throw new ExpressionSyntaxError(error.message);
    throw error;
  }
  const context = toExpressionData(contexts) as data.Dictionary;
  const map = new Map<string, FunctionDefinition>(functions.map((f) => [f.name.toLowerCase(), { ...f, description: '' }]));
  return new Evaluator(tree, context, map).evaluate();
}

export { data as expressionData };
