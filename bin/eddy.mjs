#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// Entry point kept as plain JS so npx can start it; the CLI itself is TypeScript run by Node 24's type stripping.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv);
