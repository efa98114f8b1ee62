import { setTimeout as sleep } from 'node:timers/promises';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/types.ts';

const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** Unique per process, e.g. `<hostname>_<random>`. */
  identity: string;
  /** How long non-leaders wait after the last observed renewal (Flux: 35 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading (Flux: 30 s). */
  renewDeadlineMs?: number;
  /** Pause between acquire / renew attempts (Flux: 5 s). */
  retryPeriodMs?: number;
  /** Clear the holder on shutdown so the next leader need not wait a lease duration. */
  releaseOnCancel?: boolean;
  now?: () => number;
  onError?: (err: unknown) => void;
}

interface LeaseObject extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go's LeaseLock: expiry is judged
 * by the local time at which this process last saw the lease change (never by comparing
 * clocks), and the leader stops leading once it failed to renew for renewDeadline, which is
 * shorter than the lease duration, so two leaders never act at once.
 */
export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectionOptions, 'onError'>> & Pick<LeaderElectionOptions, 'onError'>;
  private observed: { record: string; at: number } | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.o = {
      leaseDurationMs: 35_000, renewDeadlineMs: 30_000, retryPeriodMs: 5_000, releaseOnCancel: true,
      now: () => Date.now(), ...opts,
    };
    if (this.o.renewDeadlineMs >= this.o.leaseDurationMs) throw new Error('renewDeadline must be shorter than leaseDuration');
  }

  /**
   * Blocks until leadership is acquired (or `signal` aborts), then runs `lead` with a signal
   * that aborts when leadership is lost or `signal` aborts. Resolves when leading has ended;
   * the result says whether leadership was lost (as opposed to a shutdown).
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<{ lost: boolean }> {
    while (!signal.aborted && !(await this.tryAcquireOrRenew())) {
      await sleep(this.o.retryPeriodMs, undefined, { signal }).catch(() => undefined);
    }
    if (signal.aborted) return { lost: false };
    const leading = new AbortController();
    const onAbort = () => leading.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const work = lead(leading.signal);
    const lost = await this.renewUntilLost(leading.signal);
    leading.abort();
    signal.removeEventListener('abort', onAbort);
    await work.catch((err: unknown) => this.o.onError?.(err));
    if (!lost && this.o.releaseOnCancel) await this.release().catch((err: unknown) => this.o.onError?.(err));
    return { lost };
  }

  /** Renews every retryPeriod; true when renewal failed for longer than renewDeadline. */
  private async renewUntilLost(leading: AbortSignal): Promise<boolean> {
    let lastRenew = this.o.now();
    while (!leading.aborted) {
      await sleep(this.o.retryPeriodMs, undefined, { signal: leading }).catch(() => undefined);
      if (leading.aborted) return false;
      if (await this.tryAcquireOrRenew()) lastRenew = this.o.now();
      else if (this.o.now() - lastRenew > this.o.renewDeadlineMs) return true;
    }
    return false;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name } = this.o;
    try {
      let lease: LeaseObject;
      try {
        lease = await client.get<LeaseObject>(LEASE, name, namespace);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const spec = { ...this.claim(), leaseTransitions: 0 };
        await client.create<LeaseObject>({ ...LEASE, metadata: { name, namespace }, spec });
        this.observe(JSON.stringify(spec));
        return true;
      }
      return await this.takeOver(lease);
    } catch (err) {
      // Conflict / AlreadyExists: someone else wrote first; anything else: try again later.
      if (!isConflict(err) && !isAlreadyExists(err)) this.o.onError?.(err);
      return false;
    }
  }

  /** Renews our lease, or takes over one whose holder has not renewed for a lease duration. */
  private async takeOver(lease: LeaseObject): Promise<boolean> {
    const current = lease.spec ?? {};
    const record = JSON.stringify(current);
    if (this.observed?.record !== record) this.observe(record);
    const mine = current.holderIdentity === this.o.identity;
    const expired = this.o.now() > (this.observed?.at ?? 0) + (current.leaseDurationSeconds ?? 0) * 1000;
    if (current.holderIdentity && !mine && !expired) return false;
    const claim = this.claim();
    const spec = {
      ...current, ...claim,
      acquireTime: mine ? (current.acquireTime ?? claim.acquireTime) : claim.acquireTime,
      leaseTransitions: (current.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    const updated = await this.o.client.update<LeaseObject>({ ...lease, spec });
    this.observe(JSON.stringify(updated.spec ?? {}));
    return true;
  }

  private claim(): Required<Pick<NonNullable<LeaseObject['spec']>, 'holderIdentity' | 'leaseDurationSeconds' | 'renewTime' | 'acquireTime'>> {
    // Lease times are MicroTime: microsecond precision.
    const now = new Date(this.o.now()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    return { holderIdentity: this.o.identity, leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000), renewTime: now, acquireTime: now };
  }

  private observe(record: string): void {
    this.observed = { record, at: this.o.now() };
  }

  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.o;
    const lease = await client.get<LeaseObject>(LEASE, name, namespace);
    if (lease.spec?.holderIdentity !== identity) return;
    await client.update<LeaseObject>({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
  }
}
