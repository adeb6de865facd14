import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Runs the real git client as "Alice" (author and committer), never prompting; resolves to stdout.
 * Asynchronous, so git may talk to a server running in the test process.
 */
export async function gitAsAlice(cwd: string, ...args: string[]): Promise<string> {
  return (await exec('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'a@e', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'a@e' } })).stdout;
}

/** An HTTP clone URL carrying a Plinth token as its password (git's basic auth). */
export function withToken(url: string, token: string): string {
  return url.replace('http://', `http://x-token:${token}@`);
}
