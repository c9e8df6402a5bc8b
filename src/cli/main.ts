// `npx feikong …`: bin/feikong.mjs runs this file through tsx; the commands live in src/cli/cli.ts.
import { runCli } from './cli.js';

process.exitCode = runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env });
