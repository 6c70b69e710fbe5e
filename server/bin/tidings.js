#!/usr/bin/env node
// The `tidings` command (package.json "bin"): runs server/cli/cli.ts through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/cli.ts');
const command = process.argv[2];
const code = await runCli(process.argv.slice(2));
// `serve` keeps running until a signal stops it; every other command ends here.
if (command !== 'serve') process.exit(code);
