import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { callApi, saveCredentials } from '../client.js';

async function readTokenFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question('API token: ');
    rl.close();
    return answer.trim();
  }
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}

export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .description('Check a token against a server and remember both for later commands')
    .action(async (_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<{ server?: string; token?: string }>();
      const server = (global.server ?? process.env.PLINTH_SERVER)?.replace(/\/$/, '');
      if (!server) throw new PlinthError('CLI_SERVER_REQUIRED', 'plinth login needs --server <url>', { location: { field: '--server' } });
      const token = global.token ?? process.env.PLINTH_TOKEN ?? (await readTokenFromStdin());
      if (!token) throw new PlinthError('REQUEST_INVALID', 'no token given (use --token, PLINTH_TOKEN or type it when asked)', { location: { field: '--token' } });
      const { actor } = await callApi<{ actor: { name: string; role: string } }>({ server, token }, 'GET', '/api/auth/me');
      const file = saveCredentials({ server, token });
      process.stdout.write(`Logged in to ${server} as ${actor.name} (${actor.role}); credentials saved in ${file}\n`);
    });
}
