import { Command, CommanderError, Option } from 'commander';
import { ERROR_KINDS, PlinthError, formatLocation } from '../core/errors.js';
import { red } from './output.js';
import { registerServeCommands } from './commands/serve.js';
import { registerTokenCommands } from './commands/token.js';
import { registerLoginCommand } from './commands/login.js';
import { registerCatalogCommands } from './commands/catalog.js';
import { registerRepoCommands } from './commands/repo.js';
import { registerTemplateCommands } from './commands/template.js';
import { registerEnvironmentCommands } from './commands/env.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerRunCommands } from './commands/run.js';
import { registerRunLocalCommand } from './commands/run-local.js';

export function createProgram(): Command {
  const program = new Command('plinth')
    .description('Plinth — the Internal Developer Platform: catalog, templates, pipelines, environments')
    .version('0.1.0')
    .addOption(new Option('--server <url>', 'Plinth server URL (env PLINTH_SERVER; default: what `plinth login` saved)'))
    .addOption(new Option('--token <token>', 'API token (env PLINTH_TOKEN)'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerServeCommands(program);
  registerTokenCommands(program);
  registerLoginCommand(program);
  registerCatalogCommands(program);
  registerRepoCommands(program);
  registerTemplateCommands(program);
  registerEnvironmentCommands(program);
  registerDeployCommands(program);
  registerRunLocalCommand(registerRunCommands(program));
  return program;
}

/** Runs the CLI; resolves to the exit code (0 ok, 2 bad input, 3 not found, 4/5 auth, 6 conflict, 7 unavailable, 1 other). */
export async function runCli(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    // A command may end with a status of its own (`run logs -f` of a failed run exits 1).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exit code 0; usage errors were printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof PlinthError) {
    process.stderr.write(`${red('error')}: ${error.toString()} [${error.code}]\n`);
    for (const detail of error.details.slice(1)) process.stderr.write(`  ${formatLocation(detail.location)}${detail.message}\n`);
    return ERROR_KINDS[error.kind].exitCode;
  }
  process.stderr.write(`${red('error')}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}
