// The CLI entry point as a module of its own: tests run it through tsx, bin/plinth.js the built one.
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv);
