import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBareRepository } from '../../src/git/bare-repository.js';
import { runHttpBackend } from '../../src/git/http-backend.js';

/**
 * A local stand-in for GitHub, following its documented REST API for what publish:github uses
 * (GET /users/:username, GET /user, POST /orgs/:org/repos, POST /user/repos, GET
 * /repos/:owner/:repo; `Authorization: token …` or `Bearer …`; 401, 404 and 422 bodies with a
 * `message`) and serving each repository over git's smart HTTP from a bare repository, with the
 * token as the basic-auth password — as github.com does. fake-github.test.ts is its contract test.
 */
export interface FakeGithub {
  url: string;
  /** The bare repository behind owner/repo. */
  gitDirOf(owner: string, repo: string): string;
  /** Repositories created through the API: `owner/repo` → the body they were created with. */
  created: Map<string, Record<string, unknown>>;
  stop(): Promise<void>;
}

interface Account {
  login: string;
  type: 'User' | 'Organization';
  /** Organisations: the users who may create repositories in it. */
  members?: string[];
}

interface RepositoryRecord {
  owner: Account;
  name: string;
  description: string | null;
  private: boolean;
  visibility: string;
}

export async function startFakeGithub(options: { tokens: Record<string, string>; accounts: Account[] }): Promise<FakeGithub> {
  const root = mkdtempSync(path.join(tmpdir(), 'plinth-fake-github-'));
  const accounts = new Map(options.accounts.map((a) => [a.login.toLowerCase(), a]));
  const repositories = new Map<string, RepositoryRecord>();
  const created = new Map<string, Record<string, unknown>>();
  let base = '';

  const gitDirOf = (owner: string, repo: string) => path.join(root, owner.toLowerCase(), `${repo.toLowerCase()}.git`);
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const userOf = (req: IncomingMessage): string | undefined => {
    const header = req.headers.authorization ?? '';
    const bearer = /^(?:token|bearer)\s+(.+)$/i.exec(header)?.[1];
    if (bearer) return options.tokens[bearer];
    const basic = /^basic\s+(.+)$/i.exec(header)?.[1];
    if (basic) return options.tokens[Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':')];
    return undefined;
  };
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
  };
  const accountJson = (account: Account) => ({ login: account.login, id: [...accounts.keys()].indexOf(account.login.toLowerCase()) + 1, type: account.type, html_url: `${base}/${account.login}` });
  const repositoryJson = (record: RepositoryRecord) => ({
    id: [...repositories.values()].indexOf(record) + 1,
    name: record.name,
    full_name: `${record.owner.login}/${record.name}`,
    owner: accountJson(record.owner),
    private: record.private,
    visibility: record.visibility,
    description: record.description,
    html_url: `${base}/${record.owner.login}/${record.name}`,
    clone_url: `${base}/${record.owner.login}/${record.name}.git`,
    default_branch: 'main',
  });

  async function createRepository(res: ServerResponse, owner: Account, body: Record<string, unknown>): Promise<void> {
    if (typeof body.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(body.name)) return send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'Repository', field: 'name', code: 'missing_field' }] });
    const key = `${owner.login}/${body.name}`.toLowerCase();
    if (repositories.has(key)) return send(res, 422, { message: 'Repository creation failed.', errors: [{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }] });
    const visibility = typeof body.visibility === 'string' ? body.visibility : body.private === false ? 'public' : 'private';
    const record: RepositoryRecord = { owner, name: body.name, description: (body.description as string | undefined) ?? null, private: visibility !== 'public', visibility };
    repositories.set(key, record);
    created.set(`${owner.login}/${body.name}`, body);
    await createBareRepository(gitDirOf(owner.login, body.name), 'main');
    send(res, 201, repositoryJson(record));
  }

  async function handleGit(req: IncomingMessage, res: ServerResponse, url: URL, owner: string, repo: string, rest: string): Promise<void> {
    const user = userOf(req);
    const record = repositories.get(`${owner}/${repo}`.toLowerCase());
    if (!user) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' });
      return void res.end();
    }
    if (!record) {
      res.writeHead(404);
      return void res.end('Repository not found.');
    }
    const response = await runHttpBackend({
      projectRoot: root,
      pathInfo: `/${owner.toLowerCase()}/${repo.toLowerCase()}.git/${rest}`,
      method: req.method ?? 'GET',
      query: url.search.slice(1),
      contentType: req.headers['content-type'],
      contentEncoding: req.headers['content-encoding'] as string | undefined,
      remoteUser: user,
      body: req.method === 'POST' ? req : undefined,
    });
    res.writeHead(response.status, response.headers);
    response.body.pipe(res);
    await response.done;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const git = /^\/([^/]+)\/([^/]+)\.git\/(.*)$/.exec(url.pathname);
    if (git) return handleGit(req, res, url, git[1]!, git[2]!, git[3]!);
    const user = userOf(req);
    if (!user) return send(res, 401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
    const me = accounts.get(user.toLowerCase())!;
    let match: RegExpExecArray | null;
    if (req.method === 'GET' && url.pathname === '/user') return send(res, 200, accountJson(me));
    if (req.method === 'GET' && (match = /^\/users\/([^/]+)$/.exec(url.pathname))) {
      const account = accounts.get(match[1]!.toLowerCase());
      return account ? send(res, 200, accountJson(account)) : send(res, 404, { message: 'Not Found' });
    }
    if (req.method === 'POST' && url.pathname === '/user/repos') return createRepository(res, me, await readJson(req));
    if (req.method === 'POST' && (match = /^\/orgs\/([^/]+)\/repos$/.exec(url.pathname))) {
      const org = accounts.get(match[1]!.toLowerCase());
      if (!org || org.type !== 'Organization') return send(res, 404, { message: 'Not Found' });
      if (!org.members?.includes(me.login)) return send(res, 403, { message: 'You need admin access to the organization before adding a repository to it.' });
      return createRepository(res, org, await readJson(req));
    }
    if (req.method === 'GET' && (match = /^\/repos\/([^/]+)\/([^/]+)$/.exec(url.pathname))) {
      const record = repositories.get(`${match[1]}/${match[2]}`.toLowerCase());
      return record ? send(res, 200, repositoryJson(record)) : send(res, 404, { message: 'Not Found' });
    }
    send(res, 404, { message: 'Not Found' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) send(res, 500, { message: error.message });
      else res.destroy(error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}`;
  return {
    url: base,
    gitDirOf,
    created,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
