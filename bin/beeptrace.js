#!/usr/bin/env node
// The `beeptrace` command: registers tsx (TypeScript at run time), then runs src/node/cli.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/node/cli.ts');
process.exitCode = await main(process.argv.slice(2));
