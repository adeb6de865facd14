import { useMemo } from 'react';
import { parse } from 'yaml';
import type { Entity } from '../../api/types.js';
import { CopyButton } from '../../components/copy-button.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema?: string;
}

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  summary?: string;
  description?: string;
  operationId?: string;
  deprecated: boolean;
  tags: string[];
  parameters: Parameter[];
  requestTypes: string[];
  responses: Array<{ status: string; description?: string }>;
}

interface OpenApiSummary {
  title?: string;
  version?: string;
  description?: string;
  specVersion?: string;
  servers: string[];
  operations: Operation[];
}

/** Follows a local `$ref` (`#/components/parameters/Id`) once; anything else is returned as is. */
function resolve(document: Json, value: unknown): unknown {
  if (!isObject(value) || typeof value.$ref !== 'string' || !value.$ref.startsWith('#/')) return value;
  let target: unknown = document;
  for (const part of value.$ref.slice(2).split('/')) target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return target ?? value;
}

function schemaText(document: Json, schema: unknown): string | undefined {
  if (isObject(schema) && typeof schema.$ref === 'string') return schema.$ref.split('/').pop();
  const resolved = resolve(document, schema);
  if (!isObject(resolved)) return undefined;
  if (resolved.type === 'array') return `${schemaText(document, resolved.items) ?? 'any'}[]`;
  return text(resolved.type) ?? (resolved.enum ? 'enum' : undefined);
}

/** The parts of an OpenAPI (3.x, or Swagger 2) document the page shows: info, servers and each operation. */
export function summarizeOpenApi(document: unknown): OpenApiSummary {
  if (!isObject(document)) throw new Error('the definition is not an object');
  const info = isObject(document.info) ? document.info : {};
  const servers = Array.isArray(document.servers)
    ? document.servers.map((s) => (isObject(s) ? text(s.url) : undefined)).filter((s): s is string => Boolean(s))
    : typeof document.host === 'string'
      ? [`${Array.isArray(document.schemes) ? document.schemes[0] : 'https'}://${document.host}${text(document.basePath) ?? ''}`]
      : [];
  const operations: Operation[] = [];
  const paths = isObject(document.paths) ? document.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = resolve(document, rawItem);
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const byKey = new Map<string, Parameter>();
      for (const raw of [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const p = resolve(document, raw);
        if (!isObject(p) || typeof p.name !== 'string') continue;
        const location = text(p.in) ?? 'query';
        byKey.set(`${location}:${p.name}`, { name: p.name, in: location, required: p.required === true, description: text(p.description), schema: schemaText(document, p.schema ?? p) });
      }
      const body = resolve(document, op.requestBody);
      const requestTypes = isObject(body) && isObject(body.content) ? Object.keys(body.content) : [...byKey.values()].some((p) => p.in === 'body') ? ['body'] : [];
      const responses = isObject(op.responses)
        ? Object.entries(op.responses).map(([status, r]) => {
            const resolved = resolve(document, r);
            return { status, description: isObject(resolved) ? text(resolved.description) : undefined };
          })
        : [];
      operations.push({
        method,
        path,
        summary: text(op.summary),
        description: text(op.description),
        operationId: text(op.operationId),
        deprecated: op.deprecated === true,
        tags: Array.isArray(op.tags) ? op.tags.map(String) : [],
        parameters: [...byKey.values()].filter((p) => p.in !== 'body'),
        requestTypes,
        responses,
      });
    }
  }
  return {
    title: text(info.title),
    version: text(info.version),
    description: text(info.description),
    specVersion: text(document.openapi) ?? (document.swagger ? `Swagger ${text(document.swagger)}` : undefined),
    servers,
    operations,
  };
}

/** An API entity's definition: OpenAPI rendered as its operations, other types as a code block. */
export function ApiDefinition({ entity }: { entity: Entity }) {
  const type = text(entity.spec?.type) ?? 'unknown';
  const definition = text(entity.spec?.definition);
  const isOpenApi = type.toLowerCase() === 'openapi' || type.toLowerCase() === 'swagger';
  return (
    <section className="card" aria-labelledby="definition-title">
      <div className="card__header">
        <h2 id="definition-title">
          API definition <span className="badge badge--neutral badge--plain">{type}</span>
        </h2>
        {definition && <CopyButton text={definition} label="Copy definition" />}
      </div>
      {!definition ? (
        <p className="muted">This API has no definition.</p>
      ) : isOpenApi ? (
        <OpenApiView definition={definition} />
      ) : (
        <pre className="code-block" tabIndex={0} aria-label={`${type} definition`}>
          <code>{definition}</code>
        </pre>
      )}
    </section>
  );
}

function OpenApiView({ definition }: { definition: string }) {
  const parsed = useMemo(() => {
    try {
      return { summary: summarizeOpenApi(parse(definition, { maxAliasCount: 100 })) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }, [definition]);

  if ('error' in parsed) {
    return (
      <>
        <div className="notice notice--warning" role="status">
          <p className="notice__title">The OpenAPI definition could not be read</p>
          <p>{parsed.error}</p>
        </div>
        <pre className="code-block" tabIndex={0}>
          <code>{definition}</code>
        </pre>
      </>
    );
  }
  const { summary } = parsed;
  return (
    <div className="openapi">
      <div className="openapi__info">
        <p className="openapi__title">
          <strong>{summary.title ?? 'Untitled API'}</strong> {summary.version && <span className="badge badge--neutral badge--plain">v{summary.version}</span>}{' '}
          {summary.specVersion && <span className="muted small">OpenAPI {summary.specVersion}</span>}
        </p>
        {summary.description && <p className="openapi__description">{summary.description}</p>}
        {summary.servers.length > 0 && (
          <p className="small">
            <span className="muted">Servers:</span>{' '}
            {summary.servers.map((s, i) => (
              <span key={s}>
                {i > 0 && ', '}
                <code>{s}</code>
              </span>
            ))}
          </p>
        )}
      </div>
      {summary.operations.length === 0 ? (
        <p className="muted">The definition has no paths.</p>
      ) : (
        <ul className="openapi__operations" aria-label="Operations">
          {summary.operations.map((op) => (
            <li key={`${op.method} ${op.path}`}>
              <details className={op.deprecated ? 'operation operation--deprecated' : 'operation'}>
                <summary>
                  <span className={`method method--${op.method}`}>{op.method.toUpperCase()}</span>
                  <code className="operation__path">{op.path}</code>
                  {op.summary && <span className="operation__summary">{op.summary}</span>}
                  {op.deprecated && <span className="badge badge--warning">deprecated</span>}
                </summary>
                <div className="operation__body">
                  {op.description && <p>{op.description}</p>}
                  {op.operationId && (
                    <p className="small">
                      <span className="muted">Operation id</span> <code>{op.operationId}</code>
                    </p>
                  )}
                  {op.parameters.length > 0 && (
                    <table className="table table--compact" aria-label={`Parameters of ${op.method.toUpperCase()} ${op.path}`}>
                      <thead>
                        <tr>
                          <th scope="col">Parameter</th>
                          <th scope="col">In</th>
                          <th scope="col">Type</th>
                          <th scope="col">Description</th>
                        </tr>
                      </thead>
                      <tbody>
                        {op.parameters.map((p) => (
                          <tr key={`${p.in}:${p.name}`}>
                            <td>
                              <code>{p.name}</code>
                              {p.required && <span className="required" title="required"> *</span>}
                            </td>
                            <td>{p.in}</td>
                            <td className="mono small">{p.schema ?? '—'}</td>
                            <td>{p.description ?? ''}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                  {op.requestTypes.length > 0 && (
                    <p className="small">
                      <span className="muted">Request body</span> {op.requestTypes.map((t) => <code key={t}>{t}</code>)}
                    </p>
                  )}
                  {op.responses.length > 0 && (
                    <ul className="responses">
                      {op.responses.map((r) => (
                        <li key={r.status}>
                          <span className={`status-code status-code--${r.status[0] ?? 'x'}`}>{r.status}</span> {r.description}
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              </details>
            </li>
          ))}
        </ul>
      )}
      <details className="raw-definition">
        <summary>Raw definition</summary>
        <pre className="code-block" tabIndex={0}>
          <code>{definition}</code>
        </pre>
      </details>
    </div>
  );
}
