import type { Manager } from '../runtime/manager/manager.ts';

/** Settings every component receives from `eddy run`'s flags. */
export interface ComponentSettings {
  concurrent: number;
  requeueDependencyMs: number;
  intervalJitterPercent: number;
  watchAllNamespaces: boolean;
  /** Namespace watched when watchAllNamespaces is false. */
  namespace: string;
  watchLabelSelector: string;
}

/** A controller set that `eddy run --components` can enable (Flux's source, kustomize, helm, …). */
export interface Component {
  name: string;
  setup(manager: Manager, settings: ComponentSettings): void | Promise<void>;
}

/** The components implemented so far; later issues append theirs. */
export const components: readonly Component[] = [];
