import { Command, CommanderError } from 'commander';
import { ClusterError } from '../cluster/errors.ts';
import { eddyHome } from '../cluster/paths.ts';
import { KUBERNETES_VERSION } from '../cluster/binary.ts';
import { registerCluster } from './cluster.ts';
import { registerLocal } from './local.ts';
import type { CliContext } from './context.ts';
import { registerInstall } from './install.ts';
import { normalizeBoolFlags, registerRun } from './run.ts';

export const VERSION = '0.1.0';

export function buildProgram(ctx: CliContext, env: NodeJS.ProcessEnv = {}): Command {
  const program = new Command('eddy')
    .description('eddy: the Flux v2 GitOps Toolkit in TypeScript')
    .version(VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s.trimEnd()), writeErr: (s) => ctx.err(s.trimEnd()) });

  program
    .command('version')
    .description('print versions')
    .action(() => ctx.out(`eddy ${VERSION} (local control plane: Kubernetes ${KUBERNETES_VERSION})`));
  registerLocal(program, ctx);
  registerCluster(program, ctx);
  registerRun(program, ctx, env);
  registerInstall(program, ctx);
  return program;
}

/** Runs the CLI; returns the exit code. Errors become one line (and a log path when known). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ctx: CliContext = {
    home: eddyHome(env),
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  };
  try {
    await buildProgram(ctx, env).parseAsync(normalizeBoolFlags(argv));
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ClusterError) {
      ctx.err(`eddy: ${err.message}${err.logPath ? ` (log: ${err.logPath})` : ''}`);
      return 1;
    }
    ctx.err(`eddy: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
