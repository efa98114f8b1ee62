// Packages a chart directory the way `helm package` does (tar.gz rooted at the chart name,
// files only, .helmignore honoured for simple basename globs) and writes a repo index.yaml.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { createTarGz, directoryEntries } from './tar.ts';

export interface PackagedChart {
  name: string;
  version: string;
  /** Absolute path of <name>-<version>.tgz. */
  file: string;
  /** Hex sha256 of the .tgz, as in index.yaml's digest. */
  digest: string;
  /** Chart.yaml contents (with the overridden version, if any). */
  metadata: Record<string, unknown>;
}

export interface PackageChartOptions {
  /** Override Chart.yaml's version (and appVersion when appVersion is given too). */
  version?: string;
  appVersion?: string;
}

export class ChartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartError';
  }
}

export async function packageChart(chartDir: string, outDir: string, options: PackageChartOptions = {}): Promise<PackagedChart> {
  const metadata = parse(await fs.readFile(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  if (options.version !== undefined) metadata.version = options.version;
  if (options.appVersion !== undefined) metadata.appVersion = options.appVersion;
  const name = metadata.name;
  const version = metadata.version;
  if (typeof name !== 'string' || typeof version !== 'string') {
    throw new ChartError(`${chartDir}/Chart.yaml needs string name and version`);
  }
  const ignore = await helmIgnore(chartDir);
  const entries = (await directoryEntries(chartDir, name)).filter((e) => !ignore(e.path.slice(name.length + 1)));
  const chartYaml = entries.find((e) => e.path === `${name}/Chart.yaml`);
  if (chartYaml && (options.version !== undefined || options.appVersion !== undefined)) chartYaml.content = stringify(metadata);
  // helm package puts Chart.yaml first; readers such as Flux's chart loader don't care, but keep it.
  entries.sort((a, b) => (a === chartYaml ? -1 : b === chartYaml ? 1 : 0));
  const archive = createTarGz(entries);
  await fs.mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `${name}-${version}.tgz`);
  await fs.writeFile(file, archive);
  return { name, version, file, digest: createHash('sha256').update(archive).digest('hex'), metadata };
}

/** Writes dir/index.yaml listing the charts; urls are relative to the repo unless baseUrl is given. */
export async function writeHelmIndex(dir: string, charts: readonly PackagedChart[], baseUrl?: string): Promise<string> {
  const entries: Record<string, Record<string, unknown>[]> = {};
  const created = '2024-01-01T00:00:00Z';
  for (const chart of charts) {
    const file = path.basename(chart.file);
    (entries[chart.name] ??= []).push({
      ...chart.metadata,
      urls: [baseUrl === undefined ? file : `${baseUrl.replace(/\/$/, '')}/${file}`],
      digest: chart.digest,
      created,
    });
  }
  const indexFile = path.join(dir, 'index.yaml');
  await fs.writeFile(indexFile, stringify({ apiVersion: 'v1', entries, generated: created }));
  return indexFile;
}

async function helmIgnore(chartDir: string): Promise<(relPath: string) => boolean> {
  const text = await fs.readFile(path.join(chartDir, '.helmignore'), 'utf8').catch(() => '');
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((p) => globRegExp(p.replace(/\/$/, '')));
  return (relPath) => relPath.split('/').some((segment) => patterns.some((re) => re.test(segment)));
}

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}
