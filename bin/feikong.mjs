#!/usr/bin/env node
// Launcher for the administration CLI (`npx feikong …`, or `feikong …` in the container image):
// runs the compiled CLI (dist/src/cli/main.js) where the package was built, as in the image, and
// otherwise src/cli/main.ts through tsx; from any working directory, passing signals and the exit
// code through.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// realpath: the image links this file from /usr/local/bin.
const root = join(dirname(realpathSync(fileURLToPath(import.meta.url))), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');
const args = existsSync(compiled)
  ? [compiled]
  // Resolved from this file, so the launcher works from any working directory.
  : ['--import', import.meta.resolve('tsx'), join(root, 'src', 'cli', 'main.ts')];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
