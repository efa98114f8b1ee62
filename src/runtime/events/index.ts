// Public surface of eddy's events: Kubernetes Events with series and spam filtering, Flux
// metadata annotations, forwarding to the notification controller.
export { EventRecorder, eventAnnotations, eventMetadataAnnotationPrefix, formatMicroTime, referenceOf } from './recorder.ts';
export type { EventRecorderOptions, EventSink, EventType, RecordInput } from './recorder.ts';
export { NotificationForwarder, silentLogger } from './forwarder.ts';
export type { EventLogger, FluxEvent, ForwarderOptions, ObjectReference, Severity } from './forwarder.ts';
export { defaultSpamFilter, TokenBucketFilter } from './spam-filter.ts';
export type { TokenBucketOptions } from './spam-filter.ts';
