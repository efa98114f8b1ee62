import type { KubeClient } from '../../kube/client.ts';
import type { KubeObject, TypeRef } from '../../kube/types.ts';
import type { Artifact } from '../../api/meta.ts';
import type { ArtifactTree } from '../../artifact/tree.ts';
import type { Semaphore } from '../../runtime/semaphore.ts';
import type { RegistryPool } from '../../sources/oci/index.ts';

/** What a source kind's fetch step may read: secrets of the object's namespace, a scratch dir. */
export interface FetchContext {
  client: KubeClient;
  signal: AbortSignal;
  /** A fresh directory, made on the first call and removed after the reconcile. */
  tmpDir(): Promise<string>;
  timeoutMs: number;
  /** The data of a Secret in the object's namespace (values as strings), or a FetchError. */
  secret(name: string): Promise<Record<string, string>>;
  /** The artifact currently stored and still present in storage, if any. */
  current: Artifact | undefined;
  /** True when the inputs that shape the artifact (ignore, include, …) are as when it was built. */
  inputsUnchanged: boolean;
  /** OCI registry clients kept across reconciles (connections, origin, tokens). */
  registries: RegistryPool;
  /** Slots for layers too large to hold in memory freely (one per layer, until it is stored). */
  largeArtifacts: Semaphore;
}

export type FetchResult =
  /** Nothing changed since the stored artifact: no download, no new artifact. */
  | { kind: 'unchanged'; revision: string }
  /** A directory to package (ignore rules applied) as the artifact. */
  | { kind: 'dir'; revision: string; dir: string; ignore?: string | undefined; originRevision?: string; metadata?: Record<string, string>; /** false: take every file (the client already applied ignore rules). */ filter?: boolean }
  /** Files extracted in memory (an OCI layer) to package as a 'dir' would be, ignore rules applied. */
  | { kind: 'tree'; revision: string; tree: ArtifactTree; ignore?: string | undefined; originRevision?: string; metadata?: Record<string, string>; /** Frees a large-artifact slot once the tree is stored. */ release?: () => void }
  /** A ready tarball to store as is (OCI layer with operation copy). */
  | { kind: 'tarball'; revision: string; file: string; originRevision?: string; metadata?: Record<string, string> };

/** One source kind (GitRepository, OCIRepository, Bucket): everything the shared reconcile needs. */
export interface SourceKind<T extends KubeObject> {
  ref: TypeRef;
  /** Lower-case kind used in artifact paths. */
  storageKind: string;
  /** status fields recording the inputs an artifact was built from (observedIgnore, …). */
  observedInputs(obj: T): Record<string, unknown>;
  /** Resolves the revision, skips when unchanged, else downloads. Throws FetchError. */
  fetch(obj: T, ctx: FetchContext): Promise<FetchResult>;
  /** Extra checks after fetching (e.g. signature verification); may set conditions. */
  verify?(obj: T, result: FetchResult, ctx: FetchContext): Promise<void>;
  /** The URL named in events. */
  url(obj: T): string;
  /** Keep `latest.tar.gz` linked to the artifact and its URL in `status.url` (Flux: OCIRepository, Bucket). */
  latestLink?: boolean;
  /** The ArtifactInStorage (and so Ready) message; default Flux's GitRepository wording. */
  storedMessage?(revision: string): string;
}

/** A fetch failure with the condition reason Flux uses (AuthenticationFailed, GitOperationFailed, …). */
export class FetchError extends Error {
  readonly reason: string;
  readonly stalling: boolean;
  constructor(reason: string, message: string, opts: { cause?: unknown; stalling?: boolean } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'FetchError';
    this.reason = reason;
    this.stalling = opts.stalling ?? false;
  }
}
