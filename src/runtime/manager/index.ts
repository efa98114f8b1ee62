export { ControllerBuilder, type BuilderOptions, type MapFunc } from './builder.ts';
export { InformerCache, type InformerKey } from './informers.ts';
export { Manager, type LeaderElectionConfig, type ManagerOptions, type ManagerPhase, type Runnable } from './manager.ts';
export { and, annotationChanged, generationChanged, labelsChanged, or, type ObjectEvent, type Predicate } from './predicates.ts';
export { eventSink, objectGetter, statusWriter } from './kube-adapters.ts';
