// eddy/artifact: build, store, serve, fetch and safely extract source artifacts.
export { ArtifactError, isArtifactError, redactUrl, type ArtifactErrorReason } from './errors.ts';
export { digestFile, parseDigest, type ParsedDigest } from './digest.ts';
export {
  DEFAULT_EXCLUSIONS,
  SOURCE_IGNORE_FILE,
  VCS_EXCLUSIONS,
  ignoreFilter,
  loadIgnoreLayers,
  loadSourceIgnoreFiles,
  parsePatterns,
  sourceIgnoreFilter,
  sourceIgnoreFilterOf,
  type IgnoreFileTree,
  type IgnoreFilter,
  type IgnoreLayer,
  type IgnoreWalkEntry,
  type SourceIgnoreOptions,
} from './ignore.ts';
export {
  DIR_MODE,
  EXEC_MODE,
  FILE_MODE,
  GZIP_LEVEL,
  buildTarGz,
  collectEntries,
  type BuildEntry,
  type BuildOptions,
  type BuildResult,
  type BuildSource,
} from './build.ts';
export { ArtifactStorage, type Artifact, type ArtifactStorageOptions, type StoredFile, type StoreOptions } from './storage.ts';
export { ArtifactServer, type ArtifactServerOptions } from './server.ts';
export { extractTarGz, type ExtractLimits, type ExtractResult } from './extract.ts';
export { fetchArtifact, fetchArtifactTree, readArtifactTree, type FetchArtifactOptions, type FetchArtifactResult, type FetchOptions } from './fetch.ts';
export { ArtifactTree, extractTarGzToTree, type TreeNode } from './tree.ts';
export { archivableEntries, treeArchiveInput, type TreeArchiveInput } from './tree-archive.ts';
