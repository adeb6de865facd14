import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PlinthError } from '../../core/errors.js';

/** Requests for `host` whose path starts with `path` go to 127.0.0.1:`port`. */
export interface ProxyRoute {
  host: string;
  path: string;
  port: number;
}

export interface ReverseProxyOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * Plinth's reverse proxy for the local runtime: routes by Host header (and longest path
 * prefix) to workload processes on loopback, streaming request and response bodies and
 * passing WebSocket upgrades through. Routes are switched atomically per owner, which is how a
 * zero-downtime deploy moves traffic to the new revision.
 */
export class ReverseProxy {
  private server: http.Server | undefined;
  private readonly routesByOwner = new Map<string, ProxyRoute[]>();
  /** host → routes, longest path first. */
  private table = new Map<string, ProxyRoute[]>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private listeningPort = 0;

  constructor(private readonly options: ReverseProxyOptions) {}

  get port(): number {
    return this.listeningPort;
  }

  /** The URL a host is reached at through this proxy. */
  urlOf(host: string): string {
    return `http://${host}:${this.listeningPort}/`;
  }

  async start(): Promise<void> {
    const server = http.createServer((request, response) => this.forward(request, response));
    server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.tunnel(request, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE'
            ? new PlinthError('LOCAL_RUNTIME_PORT_IN_USE', `the proxy port ${this.options.port} on ${this.options.host} is in use by another program; set environments.proxy.port (or PLINTH_PROXY_PORT) to a free port`, {
                location: { field: 'environments.proxy.port' },
              })
            : error,
        );
      });
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    this.listeningPort = (server.address() as AddressInfo).port;
  }

  setRoutes(owner: string, routes: ProxyRoute[]): void {
    this.routesByOwner.set(owner, routes.map((route) => ({ ...route, host: route.host.toLowerCase() })));
    this.rebuild();
  }

  removeRoutes(owner: string): void {
    if (this.routesByOwner.delete(owner)) this.rebuild();
  }

  routes(): ProxyRoute[] {
    return [...this.routesByOwner.values()].flat();
  }

  async close(): Promise<void> {
    this.agent.destroy();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private rebuild(): void {
    const table = new Map<string, ProxyRoute[]>();
    for (const route of this.routes()) table.set(route.host, [...(table.get(route.host) ?? []), route]);
    for (const list of table.values()) list.sort((a, b) => b.path.length - a.path.length);
    this.table = table;
  }

  private match(request: http.IncomingMessage): ProxyRoute | undefined {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const pathname = (request.url ?? '/').split('?')[0]!;
    return this.table.get(host)?.find((route) => pathname.startsWith(route.path));
  }

  private forward(request: http.IncomingMessage, response: http.ServerResponse): void {
    const route = this.match(request);
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`Plinth proxy: no workload is routed for host '${request.headers.host ?? ''}' and path '${request.url}'. Workloads are reached at http://<workload>.<environment>.localhost:${this.listeningPort}/\n`);
      return;
    }
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: route.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, ...forwardedHeaders(request) },
        agent: this.agent,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      if (response.headersSent) {
        response.destroy(error);
        return;
      }
      response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`Plinth proxy: the workload behind '${route.host}' did not answer on port ${route.port}: ${error.message}\n`);
    });
    request.pipe(upstream);
  }

  private tunnel(request: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const route = this.match(request);
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    const upstream = net.connect(route.port, '127.0.0.1', () => {
      const headers = { ...request.headers, ...forwardedHeaders(request) };
      const lines = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => `${name}: ${v}`) : value === undefined ? [] : [`${name}: ${value}`]));
      upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
  }
}

function forwardedHeaders(request: http.IncomingMessage): Record<string, string> {
  return {
    'x-forwarded-for': request.socket.remoteAddress ?? '',
    'x-forwarded-host': request.headers.host ?? '',
    'x-forwarded-proto': 'http',
  };
}
