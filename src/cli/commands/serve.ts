import type { Command } from 'commander';
import { loadConfig, type PlinthConfig } from '../../core/config.js';
import { describeDatabase } from '../../store/store.js';
import { createPlatform, startCapabilities, startQueueWorker, type Platform } from '../../server/platform.js';
import { buildApp } from '../../server/app.js';
import { demoLocations, loadDemoData } from '../../server/demo.js';
import { bold } from '../output.js';

export interface ConfigOptions {
  config?: string;
  dataDir?: string;
  port?: string;
  demo?: boolean;
  workers?: boolean;
}

/** Config from plinth.yaml and the environment, with command-line flags on top. */
export function configFromOptions(options: ConfigOptions): PlinthConfig {
  return loadConfig({
    file: options.config,
    overrides: {
      dataDir: options.dataDir,
      port: options.port === undefined ? undefined : Number(options.port),
      demo: options.demo,
      'workers.enabled': options.workers,
    },
  });
}

function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    process.stderr.write(`${signal}: shutting down\n`);
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function registerServeCommands(program: Command): void {
  const withConfigOptions = (command: Command) =>
    command
      .option('-c, --config <file>', 'plinth.yaml (env PLINTH_CONFIG)')
      .option('-d, --data-dir <dir>', 'data directory (env PLINTH_DATA_DIR; default ./.data)');

  withConfigOptions(program.command('serve').description('Start the Plinth server: API, portal and (unless --no-workers) queue workers'))
    .option('-p, --port <port>', 'port to listen on (env PLINTH_PORT; default 7007; 0 picks a free one)')
    .option('--demo', 'load the demo organisation from examples/ and allow guests to look around')
    .option('--no-workers', 'run no queue workers in this process (run `plinth worker` instead)')
    .action(async (options: ConfigOptions & { workers: boolean }) => {
      const config = configFromOptions({ ...options, workers: options.workers === false ? false : undefined });
      if (config.demo) {
        if (!config.auth.guest.enabled) config.auth.guest = { enabled: true, role: 'viewer' };
        config.catalog.locations.push(...demoLocations());
      }
      const platform = await createPlatform(config);
      const demo = config.demo ? await loadDemoData(platform) : undefined;
      const worker = config.workers.enabled ? await startQueueWorker(platform) : undefined;
      const capabilities = await startCapabilities(platform);
      const app = await buildApp(platform, { worker });
      const address = await app.listen({ host: config.host, port: config.port });
      const port = new URL(address).port;
      // With port 0 the default public URL is only known now.
      if (config.publicUrl.endsWith(':0')) config.publicUrl = `${config.publicUrl.slice(0, -2)}:${port}`;
      const url = config.publicUrl;
      process.stdout.write(`Plinth is running at ${bold(url)}  (database ${describeDatabase(config.databaseUrl, config.dataDir)})\n`);
      if (demo?.adminToken) {
        process.stdout.write(`Demo admin token (shown once; log in with it in the portal): ${demo.adminToken}\n`);
      }
      if (config.demo) process.stdout.write('Guests may look around as viewers. Create more tokens with: plinth token create --name me --role admin\n');
      onShutdown(async () => {
        await app.close();
        await capabilities.stop();
        await worker?.stop();
        await platform.close();
      });
    });

  withConfigOptions(program.command('worker').description('Run queue workers only (scale-out; needs PLINTH_DATABASE_URL on PostgreSQL to share work)'))
    .option('--labels <labels>', 'runner labels this worker serves, comma-separated (env PLINTH_WORKER_LABELS)')
    .option('--concurrency <n>', 'jobs run at once (env PLINTH_WORKER_CONCURRENCY)')
    .action(async (options: ConfigOptions & { labels?: string; concurrency?: string }) => {
      const config = loadConfig({
        file: options.config,
        overrides: {
          dataDir: options.dataDir,
          'workers.labels': options.labels?.split(',').map((l) => l.trim()).filter(Boolean),
          'workers.concurrency': options.concurrency === undefined ? undefined : Number(options.concurrency),
        },
      });
      const platform: Platform = await createPlatform(config);
      const worker = await startQueueWorker(platform);
      process.stdout.write(`Plinth worker ${worker.id} is running (labels ${config.workers.labels.join(',')})\n`);
      onShutdown(async () => {
        await worker.stop();
        await platform.close();
      });
    });

  withConfigOptions(program.command('migrate').description('Bring the database schema up to date, then exit')).action(async (options: ConfigOptions) => {
    const config = configFromOptions(options);
    const platform = await createPlatform(config);
    await platform.close();
    process.stdout.write(`Database ${describeDatabase(config.databaseUrl, config.dataDir)} is up to date\n`);
  });
}
