import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface HttpBackendRequest {
  /** The directory holding the repositories (GIT_PROJECT_ROOT). */
  projectRoot: string;
  /** `/<namespace>/<name>.git/info/refs` and the like. */
  pathInfo: string;
  method: string;
  query: string;
  contentType?: string;
  contentEncoding?: string;
  remoteUser?: string;
  remoteAddr?: string;
  body?: Readable;
}

export interface HttpBackendResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
  /** Settles when git has exited (after the body was sent). */
  done: Promise<number | null>;
}

/**
 * Runs `git http-backend` (git's own smart-HTTP server, as a CGI program) for one request:
 * what a real git client speaks to clone, fetch and push.
 */
export function runHttpBackend(request: HttpBackendRequest): Promise<HttpBackendResponse> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: request.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: request.pathInfo,
        REQUEST_METHOD: request.method,
        QUERY_STRING: request.query,
        CONTENT_TYPE: request.contentType ?? '',
        ...(request.contentEncoding ? { HTTP_CONTENT_ENCODING: request.contentEncoding } : {}),
        REMOTE_USER: request.remoteUser ?? '',
        REMOTE_ADDR: request.remoteAddr ?? '',
        GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const done = new Promise<number | null>((r) => child.on('close', r));
    child.on('error', reject);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {});
    if (request.body) request.body.pipe(child.stdin);
    else child.stdin.end();

    // Read the CGI header block, then hand the rest of stdout over as the body.
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') + 4 : head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') + 2 : -1;
      if (end < 0) return;
      child.stdout.off('data', onData);
      child.stdout.pause();
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/).filter(Boolean)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      const rest = head.subarray(end);
      if (rest.length) child.stdout.unshift(rest);
      resolve({ status, headers, body: child.stdout, done });
    };
    child.stdout.on('data', onData);
    child.on('close', (code) => {
      if (head.length === 0 || !head.includes('\n\n') && !head.includes('\r\n\r\n')) reject(new Error(`git http-backend exited ${code} without a response: ${stderr.trim()}`));
    });
  });
}
