import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_KINDS, PlinthError, type ErrorCode } from '../core/errors.js';

/** An RFC 9457 problem document, with Plinth's stable `code` and the failing fields. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: Array<{ path: string; message: string }>;
  requestId?: string;
}

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
    requestId: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
} as const;

export function problemOf(error: PlinthError, requestId?: string): Problem {
  const errors = [...(error.location?.field ? [{ path: error.location.field, message: error.message }] : []), ...error.details.filter((d) => d.location?.field).map((d) => ({ path: d.location!.field!, message: d.message }))];
  const unique = errors.filter((e, i) => errors.findIndex((o) => o.path === e.path && o.message === e.message) === i);
  return {
    type: `urn:plinth:problem:${error.code.toLowerCase()}`,
    title: ERROR_KINDS[error.kind].title,
    status: error.status,
    detail: error.toString(),
    code: error.code,
    ...(unique.length ? { errors: unique } : {}),
    requestId,
  };
}

interface ValidationItem {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns Fastify's schema-validation failure into REQUEST_INVALID naming each field (`/body/name`). */
export function validationProblem(error: FastifyError): PlinthError {
  const part = error.validationContext ?? 'body';
  const items = (error.validation ?? []) as ValidationItem[];
  const details = items.map((item) => {
    let path = `/${part}${item.instancePath}`;
    let message = item.message ?? 'is invalid';
    if (item.keyword === 'required') {
      path += `/${String(item.params.missingProperty)}`;
      message = 'is required';
    } else if (item.keyword === 'additionalProperties') {
      path += `/${String(item.params.additionalProperty)}`;
      message = 'is not a known field';
    } else if (item.keyword === 'enum') {
      message = `must be one of ${(item.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return { message, location: { field: path } };
  });
  const first = details[0];
  const summary = first ? `${first.location.field} ${first.message}` : error.message;
  return new PlinthError('REQUEST_INVALID', `invalid request: ${summary}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`, { details });
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: PlinthError): FastifyReply {
  return reply.code(error.status).type('application/problem+json').send(problemOf(error, String(request.id)));
}
