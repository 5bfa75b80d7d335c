#!/usr/bin/env node
// The `fingate` command: TypeScript runs directly through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
await main(process.argv.slice(2));
