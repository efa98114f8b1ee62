#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// Entry point kept as plain JS so npx can start it; the CLI is TypeScript, run compiled when
// lib/ is current (bin/entry.mjs).
import { pathToFileURL } from 'node:url';
import { cliEntry } from './entry.mjs';

const { main } = await import(pathToFileURL(cliEntry()).href);
process.exitCode = await main(process.argv);
